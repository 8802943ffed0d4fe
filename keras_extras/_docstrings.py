"""The argument texts that several metrics' docstrings share, and the one helper
that puts them in.

A docstring that shares arguments holds the line `    {args}` where its `Args:`
entries go; `document(cls, names, inputs)` replaces it with the entries named (in
order) and, when given, an `Inputs:` section.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

ARGS = {
    # The confusion family.
    "num_classes": """num_classes: number of classes (labels, for multilabel). Required
            unless it can be read from the static last dimension of `y_pred` at the
            first update; 2 (or omitted) for binary.""",
    "task": """task: "binary", "multiclass" or "multilabel". Defaults to
            "multiclass".""",
    "average": """average: "micro", "macro", "weighted", or None for one value per
            class. Defaults to "macro" (all `num_classes` classes weigh the same).
            Binary scores always describe the positive class (average "binary").
            Multilabel also "samples": the score of each row (over its labels)
            averaged over the rows, weighted by `sample_weight`
            (scikit-learn's; a row whose denominator is 0 scores
            `zero_division`).""",
    "threshold": """threshold: decision threshold on probabilities for binary and
            multilabel scores, or for multilabel one threshold per label (a
            list of `num_classes` numbers). Defaults to 0.5.""",
    "from_logits": """from_logits: whether binary/multilabel scores are logits.
            Defaults to False.""",
    "ignore_class": """ignore_class: label whose samples are not counted. Defaults
            to None.""",
    "top_k": """top_k: multiclass with class scores: a sample counts as predicting
            its label when the label is among its `top_k` highest scores, and as
            its arg-max otherwise (torchmetrics' definition; a score tied with the
            k-th counts as among them). Defaults to 1.""",
    "zero_division": """zero_division: value of a ratio whose denominator is 0, in
            [0, 1]. Defaults to 0.0.""",
    "name": "name: metric name (the key in the training logs).",
    "dtype": "dtype: dtype of the result. Defaults to Keras' float type.",
    # The curve family (histograms over a threshold grid).
    "curve_num_classes": """num_classes: number of classes (labels, for multilabel).
            Required for multiclass (one-vs-rest) and multilabel; 2 (or omitted)
            for binary.""",
    "curve_task": """task: "binary", "multiclass" (one-vs-rest) or "multilabel".
            Defaults to "multiclass".""",
    "curve_average": """average: "macro" (mean over classes), "weighted" (by
            positive support), "micro" (pool every class's scores into one curve)
            or None (one value per class). Classes without both positive and
            negative samples are left out of the averages (and give 0 with
            average=None). Defaults to "macro".""",
    "num_thresholds": """num_thresholds: size of the threshold grid, >= 4 (see
            `threshold_grid`: uniform in steps of 0.01 for 200, plus log-spaced
            tails near 0 and 1). Defaults to 200.""",
    "curve_from_logits": """from_logits: whether `y_pred` holds logits (softmax for
            multiclass, sigmoid otherwise). Defaults to False.""",
    # Metrics of the predicted distribution.
    "distribution_from_logits": """from_logits: whether `y_pred` holds logits (a
            softmax is applied) rather than probabilities. Defaults to False.""",
    "recall": "recall: the recall to reach, in [0, 1].",
    # Scores within rows.
    "row_num_classes": """num_classes: labels (items) per row, checked against the
            last axis of the inputs; None takes any. Defaults to None.""",
    # Regression.
    "num_outputs": """num_outputs: number of outputs, the last axis of `y_pred`
            (`(batch,)` is one output). Defaults to 1.""",
    "multioutput": """multioutput: "uniform_average" (the mean over outputs) or
            "raw_values" (one value per output, logged as `<name>/0`, ...).
            Defaults to "uniform_average".""",
    "multioutput_weighted": """multioutput: "uniform_average" (the mean over
            outputs), "variance_weighted" (weighted by each output's target
            variance) or "raw_values" (one value per output, logged as
            `<name>/0`, ...). Defaults to "uniform_average".""",
    "precision": "precision: the precision to reach, in [0, 1].",
    "sensitivity": "sensitivity: the sensitivity (recall) to reach, in [0, 1].",
}

INPUTS = {
    "classification": """
    Inputs:
        y_true: integer ids `(batch, ...)` or `(batch, ..., 1)`, or one-hot /
            multi-hot `(batch, ..., C)`.
        y_pred: scores, probabilities or logits `(batch, ..., C)` (arg-max for
            multiclass, `>= threshold` for binary/multilabel), or integer ids.
            Binary scores may be `(batch, ...)` or `(batch, ..., 1)`.
        sample_weight: optional, `(batch, ...)` or a prefix of it.

    Labels outside `[0, num_classes)`, equal to `ignore_class`, all-zero one-hot
    rows and NaN scores are not counted (a compiled step cannot raise on values).
""",
    "probabilities": """
    Inputs:
        y_true: multiclass integer ids or one-hot `(batch, ..., C)`; binary 0/1
            labels; multilabel multi-hot `(batch, ..., C)`.
        y_pred: probabilities (or logits) `(batch, ..., C)`; binary `(batch, ...)`
            or `(batch, ..., 1)`.
        sample_weight: optional, `(batch, ...)` or a prefix of it.
""",
}

INPUTS["distribution"] = """
    Inputs:
        y_pred: probabilities or logits of shape `(batch, ..., K)`, `K >= 2`.
        sample_weight: optional, shape `(batch, ...)` or a prefix of it.
"""

INPUTS["regression"] = """
    Inputs:
        y_true: targets `(batch, ..., D)`; with one output also `(batch, ...)`
            (a `(batch,)` target for a `(batch, 1)` head).
        y_pred: predictions of the same shape.
        sample_weight: optional, per sample (`(batch,)`, `(batch, 1)` or a prefix
            of the sample shape) or per value (the shape of `y_pred`).

    A value whose target, prediction or weight is NaN is not counted, output by
    output (a compiled step cannot raise on values).
"""

INPUTS["rows"] = """
    Inputs:
        y_true: one row per sample, `(batch, L)`: 0/1 labels (a value >= 0.5 is
            a label; for `NDCG` graded relevance, for `MeanReciprocalRank`
            relevance > 0).
        y_pred: scores (or probabilities) `(batch, L)`.
        sample_weight: optional, `(batch,)`: each row's weight.

    A row with a NaN label or score is not counted.
"""

CURVE_ARGS = (
    "curve_num_classes",
    "curve_task",
    "curve_average",
    "num_thresholds",
    "curve_from_logits",
    "name",
    "dtype",
)

Documented = TypeVar("Documented", bound=type)


def document(cls: Documented, names: Sequence[str], inputs: str = "") -> Documented:
    """Replace the `    {args}` line of `cls.__doc__` with the `ARGS` entries
    named, in order, and the `INPUTS` section named by `inputs` (if any)."""
    entries = "".join(f"        {ARGS[name]}\n" for name in names)
    section = INPUTS[inputs] + "\n" if inputs else ""
    cls.__doc__ = (cls.__doc__ or "").replace("    {args}\n", entries + section)
    return cls
