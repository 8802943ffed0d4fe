"""Streaming bootstrap confidence intervals for any keras-extras metric whose state
is a weighted sum."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_extras._keras_compat import compiled_output_name
from keras_extras._naming import (
    BOUNDS,
    LogKey,
    expand_classes,
    interval_keys,
    per_class_keys,
)
from keras_extras._typing import Tensor
from keras_extras._validation import check_int, check_number
from keras_extras.metrics.accumulators import CompensatedSum
from keras_extras.metrics.base import ExtrasMetric, ScoreRangeGuard
from keras_extras.metrics.inputs import cast_to

# P(X <= k) for X ~ Poisson(1), k = 0..11; P(X > 11) < 1e-9.
_POISSON_CDF = np.cumsum(
    [math.exp(-1.0) / math.factorial(k) for k in range(12)]
).astype("float32")


class Bootstrap(ExtrasMetric):
    """A confidence interval for a metric, streaming (Poisson bootstrap).

    Each sample gets, for each of `num_replicates` replicates, an independent
    Poisson(1) weight (drawn with a Keras `SeedGenerator`, on the device): the
    online bootstrap of Oza & Russell, which needs no pass over stored data. Every
    replicate's statistics (per-class counts, score histograms, calibration bins,
    weighted sums) are one more slice of the same sum-decomposable state,
    `(1 + num_replicates, ...)`, filled by the same single scatter-add as the
    point estimate (slice 0, weight 1). `result()` is a
    dict: the wrapped metric's value under its own key, plus `<key>_low` and
    `<key>_high`, the `(1 - confidence) / 2` and `(1 + confidence) / 2` quantiles
    of the replicates' values (percentile interval). A confusion-family or curve
    metric with `average=None` gets an interval per class (per label): `<key>/<class>`,
    `<key>/<class>_low` and `<key>/<class>_high`, scalar keys (class names from
    `ClassificationMetrics(class_names=...)`, else the indices), so `CSVLogger`
    and `PlotHistory` take them like any other.

    Measured coverage of the nominal 95 % interval: see docs/metrics.md
    (`benchmarks/bootstrap_coverage.py`).

    What a `seed` promises: the same intervals again for the same data in the
    same batches, on the same backend and the same kind of execution. JAX
    draws the same numbers eagerly and compiled, so its intervals agree
    exactly; TensorFlow draws other numbers under XLA (`jit_compile=True`)
    than eagerly from the same seed, and each backend has its own generator,
    so there the bounds differ by sampling noise (one measured case: 0.0525
    against 0.0566), while the point values are identical everywhere. Each
    update draws, so a different batching (or an empty batch) changes the
    draws that follow.

    Several processes that each update their own copy and merge with
    `keras_extras.distributed.merge_state` must not share a seed (their samples
    would get the same weights): pass `seed=base + process_index()`. Under a Keras
    distribution (JAX: one `update_state` over the global batch) keep one seed.
    Under TensorFlow's `MirroredStrategy` every replica draws the same weights
    for its share of a batch (a Keras `SeedGenerator` does not differ by replica),
    so the interval comes out too wide: bootstrap on one device there.

    Args:
        metric: a keras-extras metric with a scalar result whose state is a
            weighted sum: a confusion-family metric (a `ScoreMetric` such as
            `F1Score`, or `ClassificationMetrics`; any task, multilabel with
            its sample averages, exact match and Hamming loss included;
            `num_classes` given; not `ConfusionMatrix` or
            `CohenKappa(weights=...)`, which keep a matrix), a curve metric
            (`AUROC`, `AveragePrecision`, `PrecisionAtRecall`, ...),
            `ExpectedCalibrationError`, `BrierScore`,
            `UniformKLDivergence` or `PredictiveEntropy`. Other metrics can
            join by implementing `replicate_state_shape`, `replicate_increment`
            and `replicate_values` (see `PerSampleMean`); the keys and their
            directions are the wrapped metric's `value_keys()` that have a
            direction (scores, not thresholds), each with its `_low` and
            `_high` bound.
        num_replicates: bootstrap replicates, >= 2. The state and the cost of
            `result()` grow with it. Defaults to 100.
        confidence: the interval's nominal coverage, in (0, 1). Defaults to 0.95.
        seed: seed of the replicates' weights (None: random). Defaults to None.
        name: metric name. Defaults to "bootstrap_" + the metric's name.
        dtype: dtype of the result.

    Example:
        >>> import numpy as np
        >>> from keras_extras.metrics import F1Score
        >>> m = Bootstrap(F1Score(num_classes=3), num_replicates=50, seed=1)
        >>> rng = np.random.default_rng(0)
        >>> labels = rng.integers(0, 3, 200)
        >>> predicted = np.where(rng.random(200) < 0.8, labels, 0)
        >>> m.update_state(labels, predicted)
        >>> r = {k: float(v) for k, v in m.result().items()}
        >>> sorted(r)
        ['f1_score', 'f1_score_high', 'f1_score_low']
        >>> r["f1_score_low"] < r["f1_score"] < r["f1_score_high"]
        True
    """

    default_name = "bootstrap"  # followed by "_" and the wrapped metric's name
    config_fields = ("num_replicates", "confidence", "seed")

    def __init__(
        self,
        metric: ExtrasMetric | dict[str, Any],
        num_replicates: int = 100,
        confidence: float = 0.95,
        seed: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        scored: ExtrasMetric = (
            keras.saving.deserialize_keras_object(metric)  # from_config
            if isinstance(metric, dict)
            else metric
        )
        self.num_replicates = check_int("num_replicates", num_replicates, minimum=2)
        self.confidence = check_number(
            "confidence", confidence, 0.0, 1.0, low_inclusive=False
        )
        if self.confidence >= 1.0:
            raise ValueError(
                f"Invalid `confidence`: expected a value in (0, 1). "
                f"Received: confidence={confidence!r}"
            )
        self.seed = check_int("seed", seed, minimum=0, allow_none=True)
        shape = _check_metric(scored, 1 + self.num_replicates)
        super().__init__(name=name or f"{self.default_name}_{scored.name}", dtype=dtype)
        # The wrapped metric describes the scores; its own state is not used (slice
        # 0 of ours is the point estimate), so it is kept out of Keras' tracking.
        self.__dict__["_scored"] = scored
        # Exact sums of the replicated state: the metric's own kind where it
        # names one (moment words that carry, `WideSum`), else `CompensatedSum`.
        accumulator = getattr(scored, "replicate_accumulator", CompensatedSum)
        self.replicates = accumulator(self, "replicates", shape)
        self.score_range = ScoreRangeGuard(self)
        self.seed_generator = keras.random.SeedGenerator(seed)
        # A metric variable, so compiled steps carry the generator's state.
        self.rng_state = self.seed_generator.state
        # A device copy (a torch variable's tensor changes in place): no host read.
        self._initial_rng = ops.copy(ops.convert_to_tensor(self.rng_state))
        self._cdf = ops.convert_to_tensor(_POISSON_CDF)

    @property
    def metric(self) -> ExtrasMetric:
        scored: ExtrasMetric = self.__dict__["_scored"]
        return scored

    def reset_state(self) -> None:
        super().reset_state()
        # A fresh copy each time: on JAX the variable takes the array itself, and a
        # compiled step donates it.
        self.rng_state.assign(ops.copy(self._initial_rng))

    def _replicator(self) -> Any:
        """A function giving each sample's weight in the point estimate (column
        0, its own weight) and in every replicate (times a Poisson(1) draw),
        `(samples, 1 + num_replicates)`. The draw is made once per batch, however
        often the metric asks."""
        drawn: list[Tensor] = []

        def replicate(weights: Tensor) -> Any:
            if not drawn:
                uniform = keras.random.uniform(
                    (ops.shape(weights)[0], self.num_replicates, 1),
                    seed=self.seed_generator,
                )
                poisson = ops.sum(ops.cast(uniform > self._cdf, "float32"), axis=-1)
                drawn.append(
                    ops.concatenate([ops.ones_like(poisson[:, :1]), poisson], axis=-1)
                )
            return drawn[0] * ops.expand_dims(weights, -1)

        return replicate

    def update_state(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> None:
        increment, out_of_range = self.metric.replicate_increment(
            y_true, y_pred, sample_weight, self._replicator()
        )
        self.score_range.add(out_of_range)
        self.replicates.add(increment)

    def intervals(self, view: ExtrasMetric | None = None) -> dict[str, Any]:
        """`{key: (point, low, high)}` for every scored key of the wrapped metric
        (one per class for a per-class value), scalar tensors, keys without
        their lead.

        Args:
            view: read the replicates through another metric whose replicated
                state has the same layout, e.g. the same scores under another
                `average`, so that a report's per-class and averaged intervals
                come from the same replicate weights. Defaults to the wrapped
                metric.
        """
        reader = self.metric if view is None else view
        if view is not None:
            shape = tuple(view.replicate_state_shape(1 + self.num_replicates))
            layout, own = view.replicate_layout(), self.metric.replicate_layout()
            if shape != tuple(self.replicates.shape) or layout != own:
                raise ValueError(
                    f"Invalid `view`: its replicated state ({shape}, {layout}) is "
                    f"not laid out as this Bootstrap's "
                    f"({tuple(self.replicates.shape)}, {own}). Received: {view!r}"
                )
        keys = reader.value_keys()
        names, columns = [], []
        for key, value in reader.replicate_values(self.replicates.readout()).items():
            info = keys[key]
            if info.direction is None:
                continue
            if info.classes:  # (1 + R, C): one column per class
                names += list(per_class_keys(key, info, info.classes))
                columns.append(value)
            else:
                names.append(key)
                columns.append(value[:, None])
        # NaN after out-of-range scores; (1 + R, K): one sort for every key. This
        # runs every step: a few whole-tensor ops, none per key.
        stacked = columns[0] if len(columns) == 1 else ops.concatenate(columns, -1)
        stacked = self.score_range.apply(stacked)
        tail = (1.0 - self.confidence) / 2.0
        bounds = ops.quantile(stacked[1:], [tail, 1.0 - tail], axis=0)
        rows = (ops.unstack(row) for row in (stacked[0], bounds[0], bounds[1]))
        return dict(zip(names, zip(*rows, strict=True), strict=True))

    def value_keys(self) -> dict[str, LogKey]:
        """The wrapped metric's scored keys (one per class for a per-class
        value), each with its interval bounds, in its direction."""
        keys: dict[str, LogKey] = {}
        for key, info in expand_classes(self.metric.value_keys()).items():
            if info.direction is not None:
                keys.update(interval_keys(key, info))
        return keys

    def key_lead(self, output_name: str | None) -> str:
        return self.metric.key_lead(output_name)

    def result(self) -> Any:
        lead = self.key_lead(compiled_output_name(self))
        results = {}
        for key, values in self.intervals().items():
            for end, value in zip(("", *BOUNDS), values, strict=True):
                results[lead + key + end] = cast_to(value, self.dtype)
        return results

    def get_config(self) -> Any:
        return {
            **super().get_config(),
            "metric": keras.saving.serialize_keras_object(self.metric),
        }


def _check_metric(metric: Any, replicates: int) -> tuple[int, ...]:
    """The replicated state's shape, once `metric` is known to take part."""
    if not isinstance(metric, ExtrasMetric) or not hasattr(
        metric, "replicate_increment"
    ):
        raise ValueError(
            "Invalid `metric` for Bootstrap: expected a keras-extras metric whose "
            "state is a weighted sum and that implements the replicate protocol "
            "(`replicate_state_shape`, `replicate_increment`, `replicate_values`): "
            "a confusion-family metric (F1Score, ..., ClassificationMetrics), a "
            "curve metric (AUROC, AveragePrecision, PrecisionAtRecall, ...), "
            "ExpectedCalibrationError, BrierScore, a per-sample mean "
            "(UniformKLDivergence, PredictiveEntropy) or a regression metric "
            "(PearsonCorrelation, R2Score, ...; not the rank correlations, whose "
            "table of num_bins**2 cells each replicate would copy). Received: "
            f"{metric!r}"
        )
    return tuple(metric.replicate_state_shape(replicates))
