"""Names for the types in keras-extras' signatures."""

from __future__ import annotations

from typing import Any, TypeAlias

Tensor: TypeAlias = Any
"""A backend tensor (a `jax.Array`, `torch.Tensor` or `tf.Tensor`), or anything
`keras.ops.convert_to_tensor` accepts (numpy arrays, nested lists, scalars).
keras-extras is written against `keras.ops` alone, so no one framework's type
fits."""
