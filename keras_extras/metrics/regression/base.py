"""What every regression metric shares: `num_outputs`, `multioutput`, the
per-output log keys, and the replicate protocol of `Bootstrap`.

- `RegressionMetric`: the arguments, the reduction over outputs, the keys;
- `MomentMetric`: a metric of exact moments (`ExactMoments`), with its
  replicated state held as exact words too (`WideSum`);
- `SumsMetric`: a metric of per-output weighted sums (`CompensatedSum`).
"""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_extras._keras_compat import compiled_output_name
from keras_extras._naming import LogKey, class_labels, per_class_keys
from keras_extras._typing import MultiOutput, Tensor
from keras_extras._validation import check_int, check_one_of
from keras_extras.metrics.accumulators import CompensatedSum
from keras_extras.metrics.base import ExtrasMetric, safe_divide
from keras_extras.metrics.inputs import static_shape
from keras_extras.metrics.regression.moments import ExactMoments, regression_inputs
from keras_extras.metrics.regression.wide import WORDS, WideSum

MULTIOUTPUT = ("raw_values", "uniform_average", "variance_weighted")


class RegressionMetric(ExtrasMetric):
    """Base of the regression metrics: one value per output, reduced by
    `multioutput` (scikit-learn's argument).

    Args:
        num_outputs: number of outputs, the last axis of `y_pred` (`(B,)` is one
            output). Defaults to 1.
        multioutput: "uniform_average" (the mean over outputs), "raw_values" (one
            value per output, logged as `<name>/0`, `<name>/1`, ...) or, where
            the metric has it, "variance_weighted" (weighted by each output's
            target variance). Defaults to "uniform_average".
        name: metric name.
        dtype: dtype of the result.
    """

    config_fields: tuple[str, ...] = ("num_outputs", "multioutput")
    multioutputs: tuple[str, ...] = ("raw_values", "uniform_average")

    def __init__(
        self,
        num_outputs: int = 1,
        multioutput: MultiOutput = "uniform_average",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.num_outputs = check_int("num_outputs", num_outputs)
        self.multioutput = check_one_of("multioutput", multioutput, self.multioutputs)

    def inputs(self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor) -> Any:
        """`(y_true, y_pred, weights)`, each `(N, num_outputs)` (see
        `regression_inputs`)."""
        return regression_inputs(y_true, y_pred, sample_weight, self.num_outputs)

    def reduce(self, values: Tensor, variances: Tensor | None = None) -> dict[str, Any]:
        """Per-output `values` (outputs on the last axis) reduced by
        `multioutput` (`variances`: the weights of "variance_weighted"; uniform
        where they are all 0): `{key: value}` as `value_keys()` names them."""
        if self.multioutput == "raw_values":
            values = ops.cast(values, self.dtype)
            parts = ops.unstack(values, num=self.num_outputs, axis=-1)
            return dict(zip(self.value_keys(), parts, strict=True))
        mean = ops.mean(values, axis=-1)
        if self.multioutput == "variance_weighted" and variances is not None:
            total = ops.sum(variances, axis=-1)
            weighted = safe_divide(ops.sum(values * variances, axis=-1), total)
            mean = ops.where(total > 0, weighted, mean)
        return {self.name: ops.cast(mean, self.dtype)}

    def value_keys(self) -> dict[str, LogKey]:
        """The metric's name, or with "raw_values" one key per output,
        `<name>/0`, `<name>/1`, ... (a scalar each, in the logs)."""
        info = LogKey(self.declared_direction(), self.name)
        if self.multioutput != "raw_values":
            return {self.name: info}
        outputs = class_labels(None, self.num_outputs)
        return per_class_keys(self.name, info, outputs)

    def keyed_result(self, values: Tensor, variances: Tensor | None = None) -> Any:
        """`result()`: the one value, or the dict of per-output values."""
        reduced = self.reduce(values, variances)
        if self.multioutput != "raw_values":
            return reduced[self.name]
        # Keras writes a dict result into the logs without the output's name.
        lead = self.key_lead(compiled_output_name(self))
        return {lead + key: value for key, value in reduced.items()}

    def replicate_draws(self, y_pred: Tensor, weights: Tensor, replicate: Any) -> Any:
        """`(N, replicates)`: each value's draw, one per sample (a sample of
        shape `(T, D)` gives T rows of `regression_inputs`, all drawn alike:
        drawing per value would treat a sequence's steps or a map's pixels as
        independent samples and narrow the intervals)."""
        shape = static_shape(y_pred)
        per_sample = 1
        for size in shape[1:-1] if len(shape) > 2 else ():
            if size is None:
                raise ValueError(
                    "Bootstrap draws one weight per sample: the axes between "
                    "the batch and the outputs must have static sizes. Received: "
                    f"y_pred.shape={shape}"
                )
            per_sample *= size
        draws = replicate(ops.ones_like(weights[::per_sample, 0]))  # (B, R)
        return ops.repeat(draws, per_sample, axis=0) if per_sample > 1 else draws


class MomentMetric(RegressionMetric):
    """A regression metric of exact weighted moments (`ExactMoments`) of the
    variables `moment_variables(y_true, y_pred)`, scored by `scores(words)`."""

    pairs: tuple[tuple[int, int], ...] = ()
    replicate_accumulator = WideSum  # Bootstrap keeps exact words per replicate

    def __init__(
        self,
        num_outputs: int = 1,
        multioutput: MultiOutput = "uniform_average",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(num_outputs, multioutput, name=name, dtype=dtype)
        self.moments = ExactMoments(self, self.num_outputs, 2, self.pairs)

    def moment_variables(self, y_true: Tensor, y_pred: Tensor) -> Any:
        """The two variables, stacked `(2, N, D)`."""
        raise NotImplementedError  # pragma: no cover - abstract

    def scores(self, words: Tensor) -> tuple[Any, Any]:
        """Per-output values (and the weights of "variance_weighted", or None)
        from moment words `(WORDS, quantities, D)`."""
        raise NotImplementedError  # pragma: no cover - abstract

    def update_state(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> None:
        y_true, y_pred, weights = self.inputs(y_true, y_pred, sample_weight)
        self.moments.update(self.moment_variables(y_true, y_pred), weights)

    def counted_scores(self, words: Tensor) -> tuple[Any, Any]:
        """`scores(words)`, NaN for an output that has counted no value."""
        values, variances = self.scores(words)
        counted = self.moments.weight(words) != 0
        return ops.where(counted, values, float("nan")), variances

    def result(self) -> Any:
        return self.keyed_result(*self.counted_scores(self.moments.words()))

    # Bootstrap: the replicated state is `(WORDS, replicates, quantities, D)`
    # exact words; each replicate's moments are a batch's with its weights.

    def replicate_state_shape(self, replicates: int) -> tuple[int, ...]:
        return (replicates, 3 + len(self.pairs), self.num_outputs)

    def replicate_increment(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor, replicate: Any
    ) -> Any:
        given = y_pred
        y_true, y_pred, weights = self.inputs(y_true, y_pred, sample_weight)
        draws = self.replicate_draws(given, weights, replicate)
        weights = weights[:, :, None] * draws[:, None, :]  # (N, D, R)
        # Static sizes: the batch may be unknown (None) in a TensorFlow graph.
        outputs, replicates = self.num_outputs, int(draws.shape[-1])
        values = self.moment_variables(y_true, y_pred)[..., None] * ops.ones_like(
            weights
        )
        words = self.moments.batch_words(
            ops.reshape(values, (2, -1, outputs * replicates)),
            ops.reshape(weights, (-1, outputs * replicates)),
        )  # (WORDS, Q, D R)
        quantities = 3 + len(self.pairs)
        words = ops.reshape(words, (WORDS, quantities, outputs, replicates))
        return ops.transpose(words, (0, 3, 1, 2)), 0.0

    def replicate_values(self, state: Tensor) -> dict[str, Any]:
        words = ops.transpose(state, (0, 2, 1, 3))  # (WORDS, Q, R, D)
        shape = ops.shape(words)
        values, variances = self.counted_scores(ops.reshape(words, (*shape[:2], -1)))
        per_replicate = (shape[2], shape[3])
        if variances is not None:
            variances = ops.reshape(variances, per_replicate)
        return self.reduce(ops.reshape(values, per_replicate), variances)


class SumsMetric(RegressionMetric):
    """A regression metric of per-output weighted sums: `sums(y_true, y_pred,
    weights)` gives `(S, N, D)` weighted terms whose totals over the samples
    `scores(totals)` turns into per-output values (NaN for an output that has
    counted no value); values outside the metric's domain are counted by `sums`
    and make the result NaN (see `_PerValueMean`)."""

    sum_names: tuple[str, ...] = ()

    def __init__(
        self,
        num_outputs: int = 1,
        multioutput: MultiOutput = "uniform_average",
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(num_outputs, multioutput, name=name, dtype=dtype)
        shape = (len(self.sum_names), self.num_outputs)
        self.totals = CompensatedSum(self, "totals", shape)

    def sums(self, y_true: Tensor, y_pred: Tensor, weights: Tensor) -> Any:
        """`(terms (S, N, D), out-of-domain count)`."""
        raise NotImplementedError  # pragma: no cover - abstract

    def scores(self, totals: Tensor) -> Any:
        raise NotImplementedError  # pragma: no cover - abstract

    def add_out_of_domain(self, count: Any) -> None:
        """Keep the count of values outside the domain (none by default)."""

    def update_state(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None
    ) -> None:
        terms, out_of_domain = self.sums(*self.inputs(y_true, y_pred, sample_weight))
        self.add_out_of_domain(out_of_domain)
        self.totals.add(ops.sum(terms, axis=1))

    def result(self) -> Any:
        return self.keyed_result(self.scores(self.totals.value()))

    # Bootstrap: the replicated state is `(replicates, S, D)`.

    def replicate_state_shape(self, replicates: int) -> tuple[int, ...]:
        return (replicates, len(self.sum_names), self.num_outputs)

    def replicate_increment(
        self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor, replicate: Any
    ) -> Any:
        given = y_pred
        y_true, y_pred, weights = self.inputs(y_true, y_pred, sample_weight)
        draws = self.replicate_draws(given, weights, replicate)
        terms, out_of_domain = self.sums(y_true, y_pred, weights)  # (S, N, D)
        # An elementwise product and sum (a matmul may run in TF32 on GPUs).
        increment = ops.sum(terms[:, :, :, None] * draws[None, :, None, :], axis=1)
        return ops.transpose(increment, (2, 0, 1)), out_of_domain

    def replicate_values(self, state: Tensor) -> dict[str, Any]:
        # (R, S, D) -> scores of (S, R, D): each replicate's per-output values.
        return self.reduce(self.scores(ops.transpose(state, (1, 0, 2))))
