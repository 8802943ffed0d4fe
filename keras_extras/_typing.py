"""Names for the types in keras-extras' signatures."""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

Tensor: TypeAlias = Any
"""A backend tensor (a `jax.Array`, `torch.Tensor` or `tf.Tensor`), or anything
`keras.ops.convert_to_tensor` accepts (numpy arrays, nested lists, scalars).
keras-extras is written against `keras.ops` alone, so no one framework's type
fits."""

Task: TypeAlias = Literal["binary", "multiclass", "multilabel"]
"""What a classification metric reads from its inputs."""

Average: TypeAlias = Literal["binary", "micro", "macro", "weighted", "samples"] | None
"""How per-class scores are reduced (None: one value per class; "samples":
multilabel, per row then over the rows)."""

CurveAverage: TypeAlias = Literal["micro", "macro", "weighted"] | None
"""How per-class curve scores (AUROC, average precision, ...) are reduced."""

KappaWeights: TypeAlias = Literal["linear", "quadratic"] | None
"""The disagreement weights of Cohen's kappa (None: unweighted)."""

Normalization: TypeAlias = Literal["true", "pred", "all"] | None
"""How a confusion matrix is normalised (None: counts)."""

Norm: TypeAlias = Literal["l1", "l2", "max"]
"""The norm of a calibration error."""

Direction: TypeAlias = Literal["up", "down"]
"""Which way a logged value is better: "up" (higher) or "down" (lower)."""

Mode: TypeAlias = Literal["auto", "min", "max"]
"""How a monitor callback ranks its value ("auto": from the metric's direction)."""

MultiOutput: TypeAlias = Literal["raw_values", "uniform_average", "variance_weighted"]
"""How a regression metric reduces its per-output values (scikit-learn's
`multioutput`; "raw_values": one value per output)."""
