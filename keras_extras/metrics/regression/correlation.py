"""Correlation over every sample seen: Pearson's r and Lin's concordance."""

from __future__ import annotations

from typing import Any

from keras import ops

from keras_extras._docstrings import document
from keras_extras._typing import Tensor
from keras_extras.metrics.regression.base import MomentMetric


class _CorrelationMetric(MomentMetric):
    # Variables: the prediction (0) and the target (1); pairs: pp, tt, pt.
    direction = "up"
    pairs = ((0, 0), (1, 1), (0, 1))

    def moment_variables(self, y_true: Tensor, y_pred: Tensor) -> Any:
        return ops.stack([y_pred, y_true])


class PearsonCorrelation(_CorrelationMetric):
    """Pearson's correlation between predictions and targets over every sample
    seen (not a mean of per-batch correlations), per output.

        r = sum w (p - mean p)(t - mean t)
            / sqrt(sum w (p - mean p)**2 * sum w (t - mean t)**2)

    with `w` the sample weights (weighted means). Matches
    `scipy.stats.pearsonr` (unweighted) and the weighted covariance formula.
    The state is exact (`ExactMoments`): targets far from 0 (house prices,
    1000 ± 1) keep their correlation, and replicas merge by addition. NaN when
    the predictions or the targets of an output have no variance (as scipy).

    Keras' `PearsonCorrelation` correlates along the last axis of each sample
    and averages over samples and batches: NaN on a `(B, 1)` head, and with
    `axis=0` a mean of per-batch correlations.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = PearsonCorrelation()
        >>> m.update_state(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 2.9]))
        >>> round(float(m.result()), 4)
        0.9484
    """

    default_name = "pearson_correlation"

    def scores(self, words: Tensor) -> tuple[Any, None]:
        pp, tt, pt = ops.unstack(self.moments.centred(words), num=3)
        return pt / ops.sqrt(pp * tt), None


class ConcordanceCorrelation(_CorrelationMetric):
    """Lin's concordance correlation coefficient over every sample seen, per
    output: how well predictions agree with targets (correlation, penalised for
    a shift or a scale between them).

        ccc = 2 cov(p, t) / (var(p) + var(t) + (mean p - mean t)**2)

    with weighted (population) moments. NaN when both variances and the mean
    difference are 0. Exact state (`ExactMoments`), as `PearsonCorrelation`.

    Args:
    {args}
    Example:
        >>> import numpy as np
        >>> m = ConcordanceCorrelation()
        >>> m.update_state(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 2.9]))
        >>> round(float(m.result()), 4)
        0.936
    """

    default_name = "concordance_correlation"

    def scores(self, words: Tensor) -> tuple[Any, None]:
        pp, tt, pt = ops.unstack(self.moments.centred(words), num=3)
        shift = self.moments.mean_difference(0, 1, words)
        weight = self.moments.weight(words)
        return 2.0 * pt / (pp + tt + weight * shift * shift), None


for _metric in (PearsonCorrelation, ConcordanceCorrelation):
    document(_metric, ("num_outputs", "multioutput", "name", "dtype"), "regression")
