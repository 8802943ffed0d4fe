"""Exact sums over the whole float32 range, for moments that cancel.

A centred second moment `sum w (x - mean)**2` computed from running power sums
(`sum w x**2 - (sum w x)**2 / sum w`) loses everything to cancellation in
float32 once `|mean| / std` passes a few hundred (house prices, 1000 ± 1). Chan's
update of running means and variances avoids that but merges replicas with a
formula, not by addition. keras-extras keeps power sums, exactly:

- `WideSum` holds a total as float32 **words in fixed binades** like
  `accumulators.CompensatedSum`, but spanning the float32 range (`EXPONENTS`:
  quanta 2**-48 to 2**96, 16 binades apart; word 0 holds what lies below 2**-48
  as a plain float). Any number of exact float32 terms (up to 500 per update)
  add exactly, and replicas merge exactly by an element-wise sum of the words.
- `split3` writes a float32 number as three parts of at most 10 significant bits,
  so that its product with a number of 13 bits is exact (no fused multiply-add
  needed; `keras.ops` has none).
- `round_to_bits` rounds a value to 12 significant bits, `M * 2**k` with the
  integer `M` and the power of two both known, so products with it are exact.

`moments.ExactMoments` builds the regression metrics' state on these.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from keras import ops

from keras_extras._keras_compat import is_placeholder
from keras_extras._typing import Tensor

EXPONENTS = tuple(range(-48, 97, 16))
"""The quanta `2**e` of words 1 to K (word 0 is a plain float below 2**-48)."""

WORDS = len(EXPONENTS) + 1
"""Float32 numbers per total."""

MAX_TERMS = 500
"""Terms one `exact_sum` adds exactly: each part is at most 2**15 + 1/2 quanta of
its word, and a word holds 2**24 quanta exactly."""

_POWERS = np.float32(2.0) ** np.arange(-126, 128, dtype=np.float32)
"""Every normal power of two of float32 (`2**k` at index `k + 126`), exact."""


def _column(values: Any, rank: int) -> Any:
    """`values` as a float32 tensor with `rank` trailing axes of size 1 (to
    broadcast)."""
    column = np.asarray(values, "float32").reshape((-1,) + (1,) * rank)
    return ops.convert_to_tensor(column)


def power_of_two(exponent: Tensor) -> Any:
    """`2**exponent` for integer-valued float exponents, exactly (a table look-up:
    `ops.power(2.0, k)` goes through `exp(k log 2)` on some backends). Exponents
    are clipped to float32's normal range."""
    index = ops.cast(ops.clip(exponent + 126.0, 0.0, 253.0), "int32")
    return ops.take(ops.convert_to_tensor(_POWERS), index)


def _round_to(x: Tensor, quantum: Any, limit: Any) -> Any:
    """`x` rounded to the nearest multiple of `quantum`, a power of two (exact);
    `x` itself where `|x| >= limit = quantum * 2**23`, where it is one already
    (and scaling it could overflow)."""
    scaled = ops.round(x * (1.0 / quantum)) * quantum
    return ops.where(ops.abs(x) < limit, scaled, x)


def split_words(x: Tensor) -> Any:
    """`x` (any shape) as `(WORDS, *x.shape)` exact parts, finest first: word 0
    below 2**-48 (a float), word i a multiple of `2**EXPONENTS[i-1]` of at most
    2**15 + 1/2 quanta (the top word: any multiple). The parts add up to `x`."""
    rank = len(x.shape)
    quanta = _column([2.0**e for e in EXPONENTS], rank)
    limits = _column([2.0 ** (e + 23) for e in EXPONENTS], rank)
    rounded = _round_to(ops.expand_dims(x, 0), quanta, limits)  # (K, ...)
    return ops.concatenate(
        [
            ops.expand_dims(x - rounded[0], 0),
            rounded[:-1] - rounded[1:],
            rounded[-1:],
        ],
        axis=0,
    )


def carry(words: Tensor) -> Any:
    """One carry round: each word below the top keeps what is below half the
    next word's quantum and passes the rest up (exact)."""
    rank = len(words.shape) - 1
    quanta = _column([2.0**e for e in EXPONENTS], rank)
    limits = _column([2.0 ** (e + 23) for e in EXPONENTS], rank)
    carried = _round_to(words[:-1], quanta, limits)
    zero = ops.zeros_like(words[:1])
    return (
        words
        - ops.concatenate([carried, zero], axis=0)
        + ops.concatenate([zero, carried], axis=0)
    )


def exact_sum(terms: Tensor, axis: int = 0) -> Any:
    """The exact sum of float32 `terms` over `axis` (at most `MAX_TERMS` of
    them), as `(WORDS, ...)` carried words."""
    return carry(ops.sum(split_words(terms), axis=axis + 1))


def words_value(words: Tensor) -> Any:
    """The float32 value of `(WORDS, ...)` words: carried once more (each word
    then below about half the next word's quantum, so no word cancels more
    than half of the one above it), then added in one reduction: within a few
    float32 roundings of the exact total."""
    return ops.sum(carry(words), axis=0)


def exponent_of(x: Tensor) -> Any:
    """`floor(log2(|x|))`, possibly off by one near powers of two (every user
    allows for it); 0 for 0."""
    magnitude = ops.abs(x)
    found = ops.floor(ops.log2(ops.where(magnitude > 0, magnitude, 1.0)))
    return ops.clip(found, -126.0, 127.0)


def split3(x: Tensor) -> Any:
    """`x` as `(3, *x.shape)` parts that add up to it exactly, each an integer
    of magnitude below 2**10 times a power of two: the product of a part and a
    13-bit integer times a power of two is exact in float32."""
    top = exponent_of(x)
    first_quantum = power_of_two(top - 7.0)
    first = ops.round(x / first_quantum) * first_quantum
    rest = x - first
    second_quantum = power_of_two(top - 15.0)
    second = ops.round(rest / second_quantum) * second_quantum
    return ops.stack([first, second, rest - second])


def round_to_bits(x: Tensor) -> Any:
    """`(integer, scale)` with `integer * scale` within 2**-11 of `x` (relative),
    `|integer| < 2**13` and `scale` a power of two: a centre whose products with
    `split3` parts are exact."""
    scale = power_of_two(exponent_of(x) - 11.0)
    return ops.round(x / scale), scale


def split_integer(integer: Tensor) -> Any:
    """A 13-bit integer as `(2, ...)` parts of at most 7 bits each (exact)."""
    high = ops.round(integer * (1.0 / 64.0)) * 64.0
    return ops.stack([high, integer - high])


def scaled_products(integer: Tensor, scale: Tensor, x: Tensor) -> Any:
    """`integer * scale * x` as `(3, ...)` exact terms (`integer` below 2**13)."""
    return integer * split3(x) * scale


def double_scaled_products(
    first: Tensor, second: Tensor, scale: Tensor, x: Tensor
) -> Any:
    """`first * second * scale * x` as `(12, ...)` exact terms (both integers
    below 2**13, `scale` a power of two)."""
    a = ops.unstack(split_integer(first), num=2)
    b = ops.unstack(split_integer(second), num=2)
    parts = split3(x)
    # Each product of a part of `first` and one of `second` has at most 14 bits.
    return ops.concatenate([i * j * parts * scale for i in a for j in b])


class WideSum:
    """Running totals held exactly in one float32 metric variable of `WORDS`
    words each (see the module docstring); replicas merge by addition.

    Args:
        metric: the `keras.metrics.Metric` that owns the state.
        name: the variable's name.
        shape: shape of the totals.
    """

    def __init__(self, metric: Any, name: str, shape: tuple[int, ...]) -> None:
        self.shape = tuple(shape)
        self.words = metric.add_variable(
            shape=(WORDS, *self.shape),
            initializer="zeros",
            dtype="float32",
            aggregation="sum",
            name=name,
        )

    def add(self, words: Tensor) -> None:
        """Add carried words (`exact_sum`'s) to the totals."""
        if not is_placeholder(words):
            self.words.assign(carry(self.words.value + words))

    def readout(self) -> Any:
        """What a replicated state is read from (`Bootstrap`): the words,
        `(WORDS, *shape)`."""
        return self.words.value

    def value(self) -> Any:
        """The totals as float32."""
        return words_value(self.words.value)
