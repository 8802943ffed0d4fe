"""Regression inputs, and exact weighted moments over every sample seen.

`ExactMoments` keeps, per output, the total weight, the weighted sum of each
variable and the weighted sums of chosen products of two variables, all exact
(`wide.WideSum`): replicas merge by addition. Each batch is centred on its own
mean rounded to 12 bits, so the batch's float32 sums are of centred values
(accurate whatever the offset); the products that put the centre back are exact
(`wide.scaled_products`). `result()` centres the totals again on the overall
means, exactly, before the one division. So house prices (2e5 ± 5e4) and values
like 1000 ± 1 keep their variances and covariances to float32 precision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keras import ops

from keras_extras._typing import Tensor
from keras_extras.metrics.base import safe_divide
from keras_extras.metrics.inputs import broadcast_sample_weight, static_shape
from keras_extras.metrics.inputs.labels import refuse_non_numbers
from keras_extras.metrics.regression.wide import (
    WORDS,
    WideSum,
    double_scaled_products,
    exact_sum,
    round_to_bits,
    scaled_products,
    split3,
    words_value,
)


def _float_tensor(name: str, value: Tensor, allow_bool: bool = False) -> Any:
    """`value` as float32; a `TypeError` naming `name` for strings (or booleans
    unless `allow_bool`)."""
    refuse_non_numbers(
        value, name, "numbers (regression targets or predictions)", allow_bool
    )
    return ops.cast(ops.convert_to_tensor(value), "float32")


def regression_inputs(
    y_true: Tensor, y_pred: Tensor, sample_weight: Tensor, num_outputs: int
) -> tuple[Any, Any, Any]:
    """`(y_true, y_pred, weights)`, each float32 `(N, num_outputs)`.

    Accepted: `(batch, ..., num_outputs)` (leading axes flattened), the same
    static shape for both; with one output also `(batch,)` (Keras' `(B,)`
    targets for a `(B, 1)` head). `sample_weight` per sample (`(B,)`, `(B, 1)`,
    any prefix of the sample shape) or per value (the shape of `y_pred`). A
    value whose target, prediction or weight is NaN is not counted (weight 0,
    value 0), output by output.
    """
    y_true = _float_tensor("y_true", y_true)
    y_pred = _float_tensor("y_pred", y_pred)
    if sample_weight is not None:
        sample_weight = _float_tensor("sample_weight", sample_weight, allow_bool=True)
    if num_outputs == 1:  # (B,) is one output
        if len(static_shape(y_pred)) == 1:
            y_pred = y_pred[:, None]
        if len(static_shape(y_true)) == 1:
            y_true = y_true[:, None]
    shape, true_shape = static_shape(y_pred), static_shape(y_true)
    if len(shape) < 2 or shape[-1] != num_outputs:
        raise ValueError(
            f"`y_pred` must have {num_outputs} output(s) on its last axis, "
            f"(batch, ..., {num_outputs}), for num_outputs={num_outputs} (a head "
            "of several outputs needs num_outputs=<their number>). Received: "
            f"y_pred.shape={shape}"
        )
    if len(true_shape) != len(shape) or any(
        a is not None and b is not None and a != b
        for a, b in zip(true_shape, shape, strict=True)
    ):
        raise ValueError(
            "`y_true` and `y_pred` must have the same shape. Received: "
            f"y_true.shape={true_shape}, y_pred.shape={shape}"
        )
    weight_shape = () if sample_weight is None else static_shape(sample_weight)
    if len(weight_shape) == len(shape) and weight_shape[-1] not in (1, None):
        weights = broadcast_sample_weight(sample_weight, shape)
    else:
        weights = broadcast_sample_weight(sample_weight, shape[:-1])[..., None]
    counted = ops.logical_not(ops.logical_or(ops.isnan(y_true), ops.isnan(y_pred)))
    weights = ops.where(counted, weights, 0.0)
    y_true = ops.where(counted, y_true, 0.0)
    y_pred = ops.where(counted, y_pred, 0.0)
    flat = (-1, num_outputs)
    weights = ops.reshape(ops.broadcast_to(weights, ops.shape(y_pred)), flat)
    return ops.reshape(y_true, flat), ops.reshape(y_pred, flat), weights


ROUNDING = 64 * 2.0**-24
"""Relative size of the float32 rounding a centred moment may carry (each
batch's sums of centred values are float32): below it, a moment is 0. A real
variance falls under it only when |mean| / std passes about 4e6, past the
accuracy range (1e5) anyway."""


class ExactMoments:
    """Exact weighted moments of `variables` per output: the weight `W`, each
    variable's `sum w v`, and `sum w a b` for each pair `(a, b)` of `pairs`.

    Args:
        metric: the metric that owns the state (one variable of
            `WORDS x (1 + variables + len(pairs)) x num_outputs` float32).
        num_outputs: outputs (the last axis of the inputs).
        variables: how many variables are given to `update`.
        pairs: the products kept, as pairs of variable indices.
    """

    def __init__(
        self,
        metric: Any,
        num_outputs: int,
        variables: int,
        pairs: Sequence[tuple[int, int]],
    ) -> None:
        self.variables = variables
        self.pairs = tuple(pairs)
        self.first = [a for a, _ in self.pairs]
        self.second = [b for _, b in self.pairs]
        self.total = WideSum(
            metric, "moments", (1 + variables + len(self.pairs), num_outputs)
        )

    def update(self, values: Tensor, weights: Tensor) -> None:
        """Add `values` `(variables, N, D)` (0 where not counted) with `weights`
        `(N, D)`."""
        self.total.add(self.batch_words(values, weights))

    def batch_words(self, values: Tensor, weights: Tensor) -> Any:
        """This batch's moments as exact words `(WORDS, quantities, D)`."""
        weight = ops.sum(weights, axis=0)  # (D,)
        mean = safe_divide(ops.sum(values * weights, axis=1), weight)  # (V, D)
        integer, scale = round_to_bits(mean)
        centred = values - (integer * scale)[:, None]  # (V, N, D)
        weighted = centred * weights
        sums = ops.sum(weighted, axis=1)  # (V, D)
        first, second = self.first, self.second
        products = ops.sum(
            ops.take(weighted, first, axis=0) * ops.take(centred, second, axis=0),
            axis=1,
        )  # (P, D)
        # sum w a = sum w (a - c) + c W;
        # sum w a b = sum w (a - ca)(b - cb) + ca sum w (b - cb) + cb sum w (a - ca)
        #             + ca cb W.
        # Zero terms pad every quantity to 19 (shapes may be unknown in a graph).
        weight_terms = ops.concatenate(
            [weight[None], ops.repeat(ops.zeros_like(weight)[None], 18, axis=0)]
        )
        sum_terms = ops.concatenate(
            [
                sums[None],
                scaled_products(integer, scale, weight[None]),
                ops.repeat(ops.zeros_like(sums)[None], 15, axis=0),
            ]
        )
        integer_a, scale_a = ops.take(integer, first, 0), ops.take(scale, first, 0)
        integer_b, scale_b = ops.take(integer, second, 0), ops.take(scale, second, 0)
        product_terms = ops.concatenate(
            [
                products[None],
                scaled_products(integer_a, scale_a, ops.take(sums, second, 0)),
                scaled_products(integer_b, scale_b, ops.take(sums, first, 0)),
                double_scaled_products(
                    integer_a, integer_b, scale_a * scale_b, weight[None]
                ),
            ]
        )
        terms = ops.concatenate(
            [weight_terms[:, None], sum_terms, product_terms], axis=1
        )  # (19, quantities, D)
        return exact_sum(terms)

    # The values, from the words.

    def words(self) -> Any:
        return self.total.words.value

    def weight(self, words: Tensor | None = None) -> Any:
        """Total weight per output, `(D,)`."""
        words = self.words() if words is None else words
        return words_value(words[:, 0])

    def means(self, words: Tensor | None = None) -> Any:
        """Weighted mean of each variable, `(V, D)`."""
        words = self.words() if words is None else words
        sums = words_value(words[:, 1 : 1 + self.variables])
        return safe_divide(sums, self.weight(words))

    def raw(self, words: Tensor | None = None) -> Any:
        """`sum w a b` of each pair, `(P, D)` (no centring: for sums of squares
        that do not cancel, like a residual's)."""
        words = self.words() if words is None else words
        return words_value(words[:, 1 + self.variables :])

    def mean_difference(self, a: int, b: int, words: Tensor | None = None) -> Any:
        """`mean(a) - mean(b)` per output, from the exact difference of the sums
        (no cancellation of two large means)."""
        words = self.words() if words is None else words
        difference = words_value(words[:, 1 + a] - words[:, 1 + b])
        return safe_divide(difference, self.weight(words))

    def centred(self, words: Tensor | None = None) -> Any:
        """`sum w (a - mean a)(b - mean b)` of each pair, `(P, D)`.

        Centred exactly on the means rounded to 12 bits (`c`): `sum w (a - ca)
        (b - cb) = Q - ca Sb - cb Sa + ca cb W` from exact products of the words,
        and `sum w (a - ca)`, then the small remaining offset is removed in
        float32.
        """
        words = self.words() if words is None else words
        count = self.variables
        weight_words = words[:, 0]  # (WORDS, D)
        sum_words = words[:, 1 : 1 + count]  # (WORDS, V, D)
        product_words = words[:, 1 + count :]  # (WORDS, P, D)
        weight = words_value(weight_words)
        integer, scale = round_to_bits(safe_divide(words_value(sum_words), weight))
        # sum w (v - c) for each variable.
        offsets = words_value(
            exact_sum(
                ops.concatenate(
                    [
                        sum_words,
                        ops.reshape(
                            -integer * split3(weight_words[:, None]) * scale,
                            (3 * WORDS, count, -1),
                        ),
                    ]
                )
            )
        )  # (V, D)
        first, second = self.first, self.second
        integer_a, scale_a = ops.take(integer, first, 0), ops.take(scale, first, 0)
        integer_b, scale_b = ops.take(integer, second, 0), ops.take(scale, second, 0)
        terms = ops.concatenate(
            [
                product_words,
                ops.reshape(
                    -scaled_products(
                        integer_a, scale_a, ops.take(sum_words, second, axis=1)
                    ),
                    (3 * WORDS, len(first), -1),
                ),
                ops.reshape(
                    -scaled_products(
                        integer_b, scale_b, ops.take(sum_words, first, axis=1)
                    ),
                    (3 * WORDS, len(first), -1),
                ),
                ops.reshape(
                    double_scaled_products(
                        integer_a, integer_b, scale_a * scale_b, weight_words[:, None]
                    ),
                    (12 * WORDS, len(first), -1),
                ),
            ]
        )  # (19 WORDS, P, D)
        around_centres = words_value(exact_sum(terms))
        offset_a = ops.take(offsets, first, 0)
        offset_b = ops.take(offsets, second, 0)
        correction = safe_divide(offset_a * offset_b, weight)
        centred = around_centres - correction
        # The batches' float32 sums round: a moment within rounding of 0 is 0
        # (a constant target has no variance, not a tiny one of either sign).
        noise = ROUNDING * (ops.abs(around_centres) + ops.abs(correction))
        return ops.where(ops.abs(centred) <= noise, 0.0, centred)
