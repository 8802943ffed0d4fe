"""Regression metrics against scipy / scikit-learn (or numpy from the
definition): weights, several batches and a short last batch, one and three
outputs, targets far from 0; eager, compiled, in `evaluate`; exact merges;
the input rules."""

import keras
import numpy as np
import pytest
import scipy.stats
from helpers import (
    assert_same_results,
    assert_save_load,
    evaluate_compiled,
    run_compiled,
    run_eager,
    run_metric,
    to_numpy,
)
from metric_suite import all_metrics, regression_data
from sklearn import metrics as skm

import keras_extras.metrics as kem
from keras_extras.metrics.regression import wide

ROWS, BATCH = 150, 32  # batches of 32 and a last one of 22


def _weighted_cov(a, b, w):
    am, bm = np.average(a, 0, w), np.average(b, 0, w)
    return np.sum(w[:, None] * (a - am) * (b - bm), 0)


def pearson(t, p, w):
    return _weighted_cov(p, t, w) / np.sqrt(
        _weighted_cov(p, p, w) * _weighted_cov(t, t, w)
    )


def concordance(t, p, w):
    shift = np.average(p, 0, w) - np.average(t, 0, w)
    total = w.sum()
    return (
        2
        * _weighted_cov(p, t, w)
        / (_weighted_cov(p, p, w) + _weighted_cov(t, t, w) + total * shift**2)
    )


def weighted_midranks(v, w):
    """Each value's weight below it plus half its tie group's weight."""
    below = np.array([w[v < x].sum() for x in v])
    tied = np.array([w[v == x].sum() for x in v])
    return below + tied / 2


def spearman(t, p, w):
    """Pearson's correlation of weighted mid-ranks (scipy's `spearmanr` for
    unit weights: test_rank_references_are_scipy_for_unit_weights)."""
    return np.array(
        [
            pearson(
                weighted_midranks(t[:, k], w)[:, None],
                weighted_midranks(p[:, k], w)[:, None],
                w,
            )[0]
            for k in range(t.shape[1])
        ]
    )


def kendall(t, p, w):
    """Tau-b with each pair of samples weighing w_i * w_j (scipy's
    `kendalltau` for unit weights)."""
    pair = np.triu(w[:, None] * w[None, :], 1)
    values = []
    for k in range(t.shape[1]):
        dt = np.sign(t[:, k, None] - t[None, :, k])
        dp = np.sign(p[:, k, None] - p[None, :, k])
        score = np.sum(pair * dt * dp)
        untied_t, untied_p = np.sum(pair * (dt != 0)), np.sum(pair * (dp != 0))
        values.append(score / np.sqrt(untied_t * untied_p))
    return np.array(values)


def per_column(score):
    def reference(t, p, w):
        return np.array([score(t[:, k], p[:, k], w) for k in range(t.shape[1])])

    return reference


def smape(t, p, w):
    values = 2 * np.abs(p - t) / np.maximum(np.abs(t) + np.abs(p), 1.17e-6)
    return np.average(values, 0, w)


def wmape(t, p, w):
    return (w[:, None] * np.abs(p - t)).sum(0) / (w[:, None] * np.abs(t)).sum(0)


# name: (make(num_outputs, multioutput), reference(t, p, w) per output, positive)
CASES = {
    "pearson": (
        lambda d, m: kem.PearsonCorrelation(num_outputs=d, multioutput=m),
        pearson,
        False,
    ),
    "concordance": (
        lambda d, m: kem.ConcordanceCorrelation(num_outputs=d, multioutput=m),
        concordance,
        False,
    ),
    "spearman": (
        lambda d, m: kem.SpearmanCorrelation(num_outputs=d, multioutput=m),
        spearman,
        False,
    ),
    "kendall": (
        lambda d, m: kem.KendallTau(num_outputs=d, multioutput=m),
        kendall,
        False,
    ),
    "r2": (
        lambda d, m: kem.R2Score(num_outputs=d, multioutput=m),
        lambda t, p, w: skm.r2_score(t, p, sample_weight=w, multioutput="raw_values"),
        False,
    ),
    "explained_variance": (
        lambda d, m: kem.ExplainedVariance(num_outputs=d, multioutput=m),
        lambda t, p, w: skm.explained_variance_score(
            t, p, sample_weight=w, multioutput="raw_values"
        ),
        False,
    ),
    "pinball": (
        lambda d, m: kem.MeanPinballLoss(0.8, num_outputs=d, multioutput=m),
        lambda t, p, w: skm.mean_pinball_loss(
            t, p, alpha=0.8, sample_weight=w, multioutput="raw_values"
        ),
        False,
    ),
    "tweedie_1.5": (
        lambda d, m: kem.TweedieDeviance(1.5, num_outputs=d, multioutput=m),
        per_column(
            lambda t, p, w: skm.mean_tweedie_deviance(t, p, sample_weight=w, power=1.5)
        ),
        True,
    ),
    "smape": (
        lambda d, m: kem.SymmetricMeanAbsolutePercentageError(d, m),
        smape,
        False,
    ),
    "wmape": (
        lambda d, m: kem.WeightedMeanAbsolutePercentageError(d, m),
        wmape,
        False,
    ),
}

RANK = ("spearman", "kendall")  # bounded tables: no exact merge of other grids

# (location, scale) of the targets: centred, then |mean| / std of 1e3 and 1e4
# and house prices.
OFFSETS = {"centred": (0.0, 1.0), "1000+-1": (1000.0, 1.0), "houses": (2e5, 5e4)}


def data(outputs, offset="centred", seed=0, positive=False):
    rng = np.random.default_rng(seed)
    location, scale = OFFSETS[offset]
    if positive:
        location, scale = 5.0, 1.0
    t = location + scale * rng.normal(size=(ROWS, outputs))
    p = t + scale * rng.normal(size=(ROWS, outputs)) * rng.uniform(0.3, 1.5, outputs)
    p = p + 0.2 * scale  # a bias, so R² and explained variance differ
    if positive:  # Tweedie's domain
        t, p = np.abs(t), np.abs(p) + 0.1
    w = rng.uniform(0.1, 2.0, ROWS)
    return t.astype("float32"), p.astype("float32"), w.astype("float32")


def batches(t, p, w):
    return [
        (t[i : i + BATCH], p[i : i + BATCH], w[i : i + BATCH])
        for i in range(0, ROWS, BATCH)
    ]


def expected(name, t, p, w, multioutput):
    values = CASES[name][1](*(x.astype("float64") for x in (t, p, w)))
    return values if multioutput == "raw_values" else np.mean(values)


def as_array(result):
    """A result as an array: the per-output keys `<name>/0`, ... in order."""
    if isinstance(result, dict):
        return np.array([result[k] for k in sorted(result, key=_output_index)])
    return np.asarray(result)


def _output_index(key):
    return int(key.rsplit("/", 1)[1])


def tolerance(name, offset):
    """Absolute for the scores in [-1, 1] (1e-5, or 1e-4 far from 0; 1e-3 for
    the rank correlations, whose tables interpolate ranks within a bin:
    tests/test_rank.py), relative for the losses (1e-5 of their value)."""
    if name in RANK:
        return 1e-3
    if name in ("pearson", "concordance", "r2", "explained_variance"):
        return 1e-5 if offset == "centred" else 1e-4
    return None


def assert_close(got, want, name, offset, message):
    atol = tolerance(name, offset)
    if atol is None:
        np.testing.assert_allclose(got, want, rtol=1e-5, err_msg=message)
    else:
        np.testing.assert_allclose(got, want, rtol=0, atol=atol, err_msg=message)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("offset", sorted(OFFSETS))
def test_matches_the_reference(name, offset):
    make, _, positive = CASES[name]
    for outputs, multioutput in ((1, "uniform_average"), (3, "raw_values")):
        t, p, w = data(outputs, offset, positive=positive)
        want = expected(name, t, p, w, multioutput)
        got = as_array(run_metric(make(outputs, multioutput), batches(t, p, w)))
        assert_close(got, want, name, offset, "run_metric")
        # `run_metric` is eager on torch and TensorFlow, jitted on JAX (eager JAX
        # compiles each op again per shape). Eager JAX against compiled for every
        # registered metric: test_every_registered_regression_metric_empty_batch_
        # and_compiled; compiled `evaluate`: the test below.


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_the_reference_in_compiled_evaluate(name):
    make, _, positive = CASES[name]
    t, p, w = data(3, "1000+-1", seed=1, positive=positive)
    got = evaluate_compiled(
        lambda: make(3, "uniform_average"), t, p, w, batch_size=BATCH
    )
    want = expected(name, t, p, w, "uniform_average")
    assert_close(got, want, name, "1000+-1", "evaluate")


def test_naive_power_sums_would_fail_where_the_exact_state_holds():
    """The check above can fail: float32 power sums of 1000 ± 1 lose Pearson's r
    (what a naive streaming state does), the exact state keeps it."""
    rng = np.random.default_rng(9)
    y = (1e4 + rng.normal(size=ROWS)).astype("float32")
    x = (y + rng.normal(size=ROWS)).astype("float32")
    t, p, n = y, x, np.float32(ROWS)
    sxy = np.sum(x * y, dtype="float32") - np.sum(x) * np.sum(y) / n
    sxx = np.sum(x * x, dtype="float32") - np.sum(x) ** 2 / n
    syy = np.sum(y * y, dtype="float32") - np.sum(y) ** 2 / n
    naive = sxy / np.sqrt(sxx * syy)
    truth = scipy.stats.pearsonr(x.astype(float), y.astype(float))[0]
    assert not abs(naive - truth) < 1e-2
    assert (
        abs(float(run_metric(kem.PearsonCorrelation(), [(t, p, None)])) - truth) < 1e-5
    )


def test_pearson_is_scipy_unweighted_and_keras_is_not():
    t, p, _ = data(1, "houses", seed=3)
    got = run_metric(kem.PearsonCorrelation(), batches(t, p, np.ones(ROWS)))
    truth = scipy.stats.pearsonr(p[:, 0].astype(float), t[:, 0].astype(float))[0]
    assert abs(float(got) - truth) < 1e-5


@pytest.mark.parametrize("multioutput", ["uniform_average", "variance_weighted"])
def test_r2_and_explained_variance_multioutput_and_adjusted(multioutput):
    t, p, w = data(3, "centred", seed=4)
    t[:, 2] = 0.0  # a constant output: scikit-learn's force_finite rule
    for metric, reference in (
        (kem.R2Score(3, multioutput), skm.r2_score),
        (kem.ExplainedVariance(3, multioutput), skm.explained_variance_score),
    ):
        got = as_array(run_metric(metric, batches(t, p, w)))
        want = reference(t, p, sample_weight=w, multioutput=multioutput)
        np.testing.assert_allclose(got, want, atol=1e-5)
    adjusted = run_metric(kem.R2Score(num_regressors=4), [(t[:, 0], p[:, 0], None)])
    plain = skm.r2_score(t[:, 0], p[:, 0])
    want = 1 - (1 - plain) * (ROWS - 1) / (ROWS - 4 - 1)
    np.testing.assert_allclose(adjusted, want, atol=1e-5)


@pytest.mark.parametrize("power", [-1.0, 0.0, 1.0, 2.0, 3.0])
def test_tweedie_powers_and_the_domain_rule(power):
    rng = np.random.default_rng(5)
    t = rng.gamma(2.0, 1.0, ROWS).astype("float32")
    if power == 1.0:
        t[:10] = 0.0  # Poisson counts may be 0
    p = rng.gamma(2.0, 1.0, ROWS).astype("float32")
    w = rng.uniform(0.5, 2, ROWS).astype("float32")
    metric = kem.TweedieDeviance(power)
    got = run_metric(metric, batches(t, p, w))
    want = skm.mean_tweedie_deviance(t, p, sample_weight=w, power=power)
    np.testing.assert_allclose(got, want, rtol=2e-5)
    if power != 0.0:  # a prediction outside the domain: NaN until reset
        metric.update_state(t[:2], np.array([1.0, -1.0], "float32"))
        assert np.isnan(to_numpy(metric.result()))
        metric.reset_state()
        metric.update_state(t[:2], p[:2])
        assert np.isfinite(to_numpy(metric.result()))


@pytest.mark.parametrize("name", sorted(CASES))
def test_two_replicas_merge_by_addition(name):
    """Each replica sees half the batches; their summed state (the variables
    aggregated by "sum", as `merge_state` does) is the whole. The rank
    correlations' replicas share a fixed grid (tests/test_rank.py: other grids
    give NaN)."""
    make, _, positive = CASES[name]
    if name in RANK:
        make = _with_grid(make, value_range=(1e5, 3e5))
    t, p, w = data(3, "houses", seed=6, positive=positive)
    parts = batches(t, p, w)
    whole, first, second = (make(3, "raw_values") for _ in range(3))
    expected_value = as_array(run_metric(whole, parts))
    run_metric(first, parts[::2])
    run_metric(second, parts[1::2])
    for a, b in zip(first.variables, second.variables, strict=True):
        if a.aggregation == "sum":
            a.assign(a + b)
    np.testing.assert_allclose(
        as_array(to_numpy(first.result())), expected_value, rtol=1e-6, atol=1e-7
    )


def test_nan_values_are_not_counted_output_by_output():
    t, p, w = data(2, "centred", seed=7)
    t_nan, p_nan = t.copy(), p.copy()
    t_nan[3, 0] = np.nan
    p_nan[5, 1] = np.nan
    for make in (
        lambda: kem.R2Score(2, "raw_values"),
        lambda: kem.PearsonCorrelation(2, "raw_values"),
    ):
        got = as_array(run_metric(make(), [(t_nan, p_nan, w)]))
        keep0 = np.arange(ROWS) != 3
        keep1 = np.arange(ROWS) != 5
        clean0 = as_array(run_metric(make(), [(t[keep0], p[keep0], w[keep0])]))
        clean1 = as_array(run_metric(make(), [(t[keep1], p[keep1], w[keep1])]))
        np.testing.assert_allclose(got, [clean0[0], clean1[1]], atol=1e-6)


def test_bad_inputs_are_refused_naming_them():
    with pytest.raises(ValueError, match=r"num_outputs=1.*y_pred.shape=\(4, 3\)"):
        kem.R2Score().update_state(np.zeros((4, 3)), np.zeros((4, 3)))
    with pytest.raises(TypeError, match="sample_weight"):
        kem.R2Score().update_state(np.zeros(2), np.zeros(2), np.array(["a", "b"]))
    metric = kem.R2Score(num_outputs=2)
    with pytest.raises(ValueError, match=r"y_pred.shape=\(4, 3\)"):
        metric.update_state(np.zeros((4, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="y_true.shape"):
        metric.update_state(np.zeros((4, 1)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="y_true.shape"):
        kem.R2Score().update_state(np.zeros((4,)), np.zeros((5, 1)))


def test_one_output_targets_with_or_without_the_trailing_axis():
    t, p, w = data(1, "centred", seed=10)
    want = run_metric(kem.R2Score(), [(t, p, w)])
    for y_true, y_pred in ((t[:, 0], p), (t, p[:, 0]), (t[:, 0], p[:, 0])):
        got = run_metric(kem.R2Score(), [(y_true, y_pred, w)])
        np.testing.assert_allclose(got, want, atol=1e-7)
    with pytest.raises(TypeError, match="y_true"):
        kem.PearsonCorrelation().update_state(np.array(["a", "b"]), np.zeros(2))
    with pytest.raises(ValueError, match="power=0.5"):
        kem.TweedieDeviance(power=0.5)
    with pytest.raises(ValueError, match="multioutput='variance_weighted'"):
        kem.PearsonCorrelation(multioutput="variance_weighted")
    with pytest.raises(ValueError, match="num_regressors=2"):
        kem.Bootstrap(kem.R2Score(num_regressors=2))


def test_save_and_load(tmp_path):
    t, p, _ = data(1, "centred", seed=8)
    assert_save_load(lambda: kem.R2Score(), t, p, tmp_path)


def test_wide_sum_is_exact_where_float32_is_not():
    """Terms of very different sizes that cancel: the wide sum gives the exact
    total, a float32 sum gives 0."""
    terms = np.array([2.0**60, 1.0, -(2.0**60), 2.0**-30, 3.0**20], "float32")
    total = to_numpy(
        wide.words_value(wide.exact_sum(keras.ops.convert_to_tensor(terms)))
    )
    exact = sum(float(x) for x in terms)
    assert float(total) == np.float32(exact)
    assert np.sum(terms[:4]) != np.float32(1.0 + 2.0**-30)


REGISTERED = all_metrics(inputs="regression")


def test_every_registered_regression_class_is_checked_in_compiled_evaluate():
    cased = {type(make(1, "uniform_average")).__name__ for make, *_ in CASES.values()}
    assert {type(metric).__name__ for metric in REGISTERED} <= cased


@pytest.mark.parametrize("metric", REGISTERED, ids=lambda m: m.name)
def test_every_registered_regression_metric_empty_batch_and_compiled(metric):
    """An empty batch changes nothing, and eager equals `run_metric` over the
    suite's regression data (targets 1000 ± 1, weights, two batches): on JAX
    that is eager against jitted. XLA-compiled against the reference on every
    backend: test_matches_the_reference_in_compiled_evaluate (every class)."""
    t, p, w = regression_data()
    parts = [(t[:40], p[:40], w[:40]), (t[40:], p[40:], w[40:])]
    eager = as_array(run_eager(metric, parts))
    metric.update_state(t[:0], p[:0], sample_weight=w[:0])
    np.testing.assert_allclose(as_array(to_numpy(metric.result())), eager, atol=1e-6)
    compiled = as_array(run_metric(metric, parts))
    np.testing.assert_allclose(compiled, eager, rtol=1e-5, atol=1e-6)


def test_a_regressor_trained_in_fit_logs_what_sklearn_computes():
    """Diabetes data, a linear model trained with these metrics among Keras'
    own, validated on a dataset (`PyDataset`) of 90 rows; the validation logs
    equal scikit-learn's and scipy's scores of `predict` (the training logs'
    352 rows take the rank correlations through their table)."""
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True)
    x = ((x - x.mean(0)) / x.std(0)).astype("float32")
    y = y.astype("float32")[:, None]
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(1)])
    model.compile(
        optimizer=keras.optimizers.Adam(0.5),
        loss="mse",
        metrics=[
            kem.R2Score(),
            kem.PearsonCorrelation(),
            kem.SpearmanCorrelation(),
            kem.KendallTau(),
            "mae",
        ],
    )

    class Validation(keras.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            rows = slice(352 + 30 * i, 352 + 30 * (i + 1))
            return x[rows], y[rows]

    history = model.fit(
        x[:352], y[:352], validation_data=Validation(), epochs=3, batch_size=64,
        verbose=0,
    )  # fmt: skip
    predicted = model.predict(x[352:], verbose=0)
    truth = y[352:, 0].astype(float)
    for key, score in (
        ("val_spearman_correlation", scipy.stats.spearmanr),
        ("val_kendall_tau", scipy.stats.kendalltau),
    ):
        want = score(truth, predicted[:, 0].astype(float))[0]
        np.testing.assert_allclose(history.history[key][-1], want, atol=1e-4)
    np.testing.assert_allclose(
        history.history["val_r2_score"][-1],
        skm.r2_score(truth, predicted[:, 0].astype(float)),
        atol=1e-4,
    )
    np.testing.assert_allclose(
        history.history["val_pearson_correlation"][-1],
        scipy.stats.pearsonr(truth, predicted[:, 0].astype(float))[0],
        atol=1e-4,
    )


def _with_grid(make, **grid):
    def made(outputs, multioutput):
        cls = type(make(1, "uniform_average"))
        return cls(num_outputs=outputs, multioutput=multioutput, **grid)

    return made


@pytest.mark.parametrize("name", sorted(set(CASES) - set(RANK)))
def test_bootstrap_intervals_around_the_metric_alone(name):
    """`Bootstrap` of each regression metric: its point value is the metric's,
    per output with "raw_values", inside its interval; compiled too (for a
    moment metric and a sums metric)."""
    make, _, positive = CASES[name]
    t, p, w = data(3, "1000+-1", seed=11, positive=positive)
    alone = as_array(run_metric(make(3, "raw_values"), batches(t, p, w)))
    boot = kem.Bootstrap(make(3, "raw_values"), num_replicates=50, seed=3)
    got = run_metric(boot, batches(t, p, w))
    key = boot.metric.name
    assert sorted(got) == sorted(
        f"{key}/{k}{end}" for k in range(3) for end in ("", "_low", "_high")
    )
    for k in range(3):
        point = got[f"{key}/{k}"]
        np.testing.assert_allclose(point, alone[k], rtol=1e-6, atol=1e-6)
        assert got[f"{key}/{k}_low"] <= point <= got[f"{key}/{k}_high"]
        assert got[f"{key}/{k}_low"] < got[f"{key}/{k}_high"]
    if name in ("pearson", "pinball"):  # one moment and one sums metric
        compiled = run_compiled(
            kem.Bootstrap(make(3, "raw_values"), num_replicates=50, seed=3),
            batches(t, p, w),
        )
        # TensorFlow's compiled generator draws other numbers than its eager
        # one (docs: what a seed promises): the bounds need only bracket.
        assert_same_results(compiled, got, atol=1e-5)


def test_bootstrap_pearson_interval_covers_the_population_value():
    """Pearson's r of a bivariate normal with rho = 0.6: over 40 samples of 400
    the 90 % interval holds 0.6 in most (a broken interval — a point, or one
    off centre — holds it rarely)."""
    rng = np.random.default_rng(12)
    hits = 0
    for _ in range(40):  # one seed, new data each time: one program on JAX
        x = rng.normal(size=400)
        y = 0.6 * x + 0.8 * rng.normal(size=400)
        boot = kem.Bootstrap(
            kem.PearsonCorrelation(), num_replicates=100, confidence=0.9, seed=0
        )
        y_true, y_pred = (1e3 + y).astype("float32"), (1e3 + x).astype("float32")
        result = {
            k: float(v) for k, v in run_metric(boot, [(y_true, y_pred, None)]).items()
        }
        hits += (
            result["pearson_correlation_low"]
            <= 0.6
            <= result["pearson_correlation_high"]
        )
    assert 30 <= hits <= 40


@pytest.mark.parametrize("metric", REGISTERED, ids=lambda m: m.name)
def test_no_value_counted_gives_nan_not_a_perfect_score(metric):
    """Before any value, and after a batch of NaN targets only, the result is
    NaN (an empty validation set must not log R² = 1 or a loss of 0)."""
    t, p, w = regression_data()
    nan = np.full_like(t[:4], np.nan)
    metric.reset_state()  # the registered instances are shared between tests
    for result in (metric.result(), run_metric(metric, [(nan, p[:4], w[:4])])):
        assert np.all(np.isnan(as_array(to_numpy(result))))


def test_raw_values_log_one_scalar_key_per_output_and_early_stopping_reads_one():
    t, p, w = data(3, "centred", seed=13)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse", metrics=[kem.R2Score(3, "raw_values")])
    from keras_extras.callbacks import EarlyStopping

    history = model.fit(
        p,
        t,
        validation_data=(p, t),
        epochs=2,
        verbose=0,
        callbacks=[EarlyStopping(monitor="val_r2_score/1", patience=5)],
    )
    keys = {k for k in history.history if "r2" in k}
    assert keys == {f"{lead}r2_score/{i}" for lead in ("", "val_") for i in range(3)}
    assert all(np.ndim(v[-1]) == 0 for v in history.history.values())


@pytest.mark.skipif(
    keras.backend.backend() != "torch", reason="the meta-device trace is torch's"
)
def test_metrics_before_a_bootstrap_in_fit():
    """Keras' torch backend first traces every metric on its "meta" device and
    traces them again on the CPU when one fails there: a metric traced before
    must not keep meta state (`_keras_compat.is_placeholder`)."""
    t, p, _ = data(3, "centred", seed=14)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
    model.compile(
        optimizer="sgd",
        loss="mse",
        metrics=[
            kem.R2Score(3),
            kem.Bootstrap(kem.PearsonCorrelation(3), num_replicates=5, seed=0),
            kem.F1Score(num_classes=3),
        ],
    )
    history = model.fit(p, np.abs(t), epochs=1, verbose=0)
    assert {"r2_score", "pearson_correlation_low", "f1_score"} <= set(history.history)


def test_bootstrap_draws_per_sample_not_per_value():
    """A sample of 16 time steps is one sample: copies of each value along a
    time axis give the same intervals as the values alone (drawing per value
    would narrow them by about 4)."""
    t, p, _ = data(1, "centred", seed=15)
    alone = run_metric(
        kem.Bootstrap(kem.R2Score(), num_replicates=40, seed=5), [(t, p, None)]
    )
    repeated = (np.repeat(t[:, None], 16, 1), np.repeat(p[:, None], 16, 1), None)
    steps = run_metric(
        kem.Bootstrap(kem.R2Score(), num_replicates=40, seed=5), [repeated]
    )
    for key, value in alone.items():
        np.testing.assert_allclose(steps[key], value, atol=1e-5)


def test_a_constant_target_has_no_variance():
    """Targets fixed at 1000.1 (not exact in float32): Pearson is NaN (as
    scipy), R² is 0 for imperfect predictions (scikit-learn's force_finite),
    whatever the batches' float32 rounding."""
    rng = np.random.default_rng(16)
    t = np.full((ROWS, 1), 1000.1, "float32")
    p = (t + rng.normal(size=(ROWS, 1))).astype("float32")
    pearson = run_metric(kem.PearsonCorrelation(), batches(t, p, np.ones(ROWS)))
    assert np.isnan(pearson)
    r2 = run_metric(kem.R2Score(), batches(t, p, np.ones(ROWS)))
    assert float(r2) == 0.0


def test_boolean_sample_weight_is_a_mask():
    t, p, _ = data(1, "centred", seed=17)
    mask = np.arange(ROWS) % 3 > 0
    got = run_metric(kem.R2Score(), [(t, p, mask)])
    want = skm.r2_score(t[mask], p[mask])
    np.testing.assert_allclose(got, want, atol=1e-5)
