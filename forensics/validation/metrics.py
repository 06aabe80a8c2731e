"""Validation metrics: ROC AUC with a bootstrap interval, equal error rate, Cllr.

Conventions: ``labels`` are 1 for the "synthetic / manipulated" class (H1) and 0 for
"authentic" (H2); a higher score means more support for H1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata


def _split(scores: np.ndarray | list, labels: np.ndarray | list) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels)
    if s.shape != y.shape or s.ndim != 1:
        raise ValueError("scores and labels must be 1-D and of the same length")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores must be finite")
    pos, neg = s[y == 1], s[y == 0]
    if pos.size == 0 or neg.size == 0:
        raise ValueError("need at least one score of each class")
    return pos, neg


def roc_auc(scores: np.ndarray | list, labels: np.ndarray | list) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties count 1/2.

    Computed from ranks (Mann-Whitney U / (n_pos * n_neg)), exact with ties.
    """
    pos, neg = _split(scores, labels)
    ranks = rankdata(np.concatenate([pos, neg]))  # average ranks for ties
    u = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2.0
    return float(u / (pos.size * neg.size))


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided percentile interval."""

    estimate: float
    low: float
    high: float
    level: float  #: e.g. 0.95

    def __str__(self) -> str:
        return f"{self.estimate:.3f} [{self.low:.3f}, {self.high:.3f}]"


def bootstrap_auc(
    scores: np.ndarray | list,
    labels: np.ndarray | list,
    *,
    n_resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> Interval:
    """ROC AUC with a percentile bootstrap interval.

    Positives and negatives are resampled separately (stratified), so every resample
    keeps the class sizes and has an AUC. Deterministic for a given ``seed``.
    """
    pos, neg = _split(scores, labels)
    rng = np.random.default_rng(seed)
    p = pos[rng.integers(0, pos.size, (n_resamples, pos.size))]
    n = neg[rng.integers(0, neg.size, (n_resamples, neg.size))]
    # pairwise comparison per resample: fine for the few hundred items validation uses
    greater = (p[:, :, None] > n[:, None, :]).mean(axis=(1, 2))
    ties = (p[:, :, None] == n[:, None, :]).mean(axis=(1, 2))
    aucs = greater + 0.5 * ties
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(aucs, [alpha, 1.0 - alpha])
    return Interval(roc_auc(scores, labels), float(low), float(high), level)


def eer(scores: np.ndarray | list, labels: np.ndarray | list) -> float:
    """Equal error rate: where the false-positive and false-negative rates cross.

    The threshold is swept over every distinct score ("score >= t" means positive); the
    EER is the mean of the two rates at the threshold where they are closest.
    """
    pos, neg = _split(scores, labels)
    thresholds = np.unique(np.concatenate([pos, neg, [np.inf]]))
    fpr = (neg[None, :] >= thresholds[:, None]).mean(axis=1)
    fnr = (pos[None, :] < thresholds[:, None]).mean(axis=1)
    i = int(np.argmin(np.abs(fpr - fnr)))
    return float((fpr[i] + fnr[i]) / 2.0)


def cllr(log10_lr: np.ndarray | list, labels: np.ndarray | list) -> float:
    """Log-likelihood-ratio cost (Brummer & du Preez 2006), in bits.

    Cllr = 1/2 [mean over H1 of log2(1 + 1/LR) + mean over H2 of log2(1 + LR)].
    0 is perfect, 1 is a system that always says LR = 1; above 1 is misleading.
    """
    pos, neg = _split(log10_lr, labels)
    ln10 = np.log(10.0)
    # log2(1 + 10^-x) computed stably as logaddexp(0, -x ln10) / ln2
    c_pos = np.logaddexp(0.0, -pos * ln10).mean() / np.log(2.0)
    c_neg = np.logaddexp(0.0, neg * ln10).mean() / np.log(2.0)
    return float(0.5 * (c_pos + c_neg))
