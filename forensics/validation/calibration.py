"""Score-to-likelihood-ratio calibration and the checks that it means what it says.

Logistic calibration (Brummer & van Leeuwen 2006; Morrison 2013): a weighted logistic
regression of the label on a transformed score, with each class weighted to half of
the total, so that the fitted log-odds are a natural-log likelihood ratio
(equal priors). The LR is then capped at what the calibration data can support: with
n items of the smaller class no LR beyond about n can be claimed (the spirit of the
empirical lower and upper bound, ELUB, of Vergeer et al. 2016), so
|log10 LR| <= log10(n + 1).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from forensics.model.calibration import Calibration, Transform, transform_scores

L2 = 1e-4  # tiny ridge: keeps the slope finite on separable calibration data


def _class_weights(labels: np.ndarray) -> np.ndarray:
    n_fake = int((labels == 1).sum())
    n_real = int((labels == 0).sum())
    return np.where(labels == 1, 0.5 / n_fake, 0.5 / n_real)


def fit_balanced_logistic(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    fit_intercept: bool = True,
    coefficient_bounds: tuple[float, float] | None = None,
) -> tuple[np.ndarray, float]:
    """Weighted logistic regression with each class weighted to half the total.

    Returns (coefficients, intercept) on the original feature scale; the fitted
    log-odds are then a natural-log likelihood ratio (equal priors). Features are
    standardised for the optimiser; a tiny ridge keeps separable data finite. Without
    an intercept, all-zero features give log-odds 0 (LR = 1).
    """
    from scipy.optimize import minimize  # imported here: intake and verify never need it

    y = np.asarray(labels, dtype=np.int64)
    x = np.atleast_2d(np.asarray(features, dtype=np.float64).T).T  # n x d
    if (y == 1).sum() == 0 or (y == 0).sum() == 0:
        raise ValueError("a logistic fit needs items of both classes")
    centre = x.mean(axis=0) if fit_intercept else np.zeros(x.shape[1])
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - centre) / scale
    sign = np.where(y == 1, 1.0, -1.0)
    weights = _class_weights(y)
    d = z.shape[1]

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        a, b = params[:d], params[d]
        margin = sign * (z @ a + b)
        value = float(np.sum(weights * np.logaddexp(0.0, -margin)) + L2 * a @ a)
        g = -weights * sign / (1.0 + np.exp(margin))
        return value, np.concatenate([z.T @ g + 2 * L2 * a, [np.sum(g)]])

    low, high = coefficient_bounds if coefficient_bounds else (None, None)
    bounds = [
        (None if low is None else low * sc, None if high is None else high * sc) for sc in scale
    ] + [(None, None) if fit_intercept else (0.0, 0.0)]
    result = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B", bounds=bounds)
    a, b = result.x[:d], result.x[d]
    coefficients = a / scale
    return coefficients, float(b - coefficients @ centre)


def fit_calibration(
    scores: np.ndarray | list, labels: np.ndarray | list, transform: Transform = "identity"
) -> Calibration:
    """Fit the logistic calibration on a calibration split (never on the metric split)."""
    y = np.asarray(labels, dtype=np.int64)
    x = transform_scores(np.asarray(scores, dtype=np.float64), transform)
    (slope,), intercept = fit_balanced_logistic(x[:, None], y)
    n_real, n_fake = int((y == 0).sum()), int((y == 1).sum())
    return Calibration(
        transform=transform,
        slope=float(slope),
        intercept=intercept,
        cap=elub_cap(n_real, n_fake),
        n_real=n_real,
        n_fake=n_fake,
    )


def elub_cap(n_real: int, n_fake: int) -> float:
    """Largest |log10 LR| that n items of the smaller class can support."""
    return math.log10(min(n_real, n_fake) + 1)


def min_cllr(scores: np.ndarray | list, labels: np.ndarray | list) -> float:
    """Cllr after the best monotone recalibration (PAV): the discrimination loss alone.

    Cllr - min Cllr is what calibration costs; min Cllr is what the scores' ranking
    allows at best.
    """
    from scipy.optimize import isotonic_regression

    from forensics.validation.metrics import cllr

    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    weights = _class_weights(y)
    # Tied scores must get one posterior: pool them before the isotonic fit.
    _unique, inverse = np.unique(s, return_inverse=True)
    pooled_weight = np.bincount(inverse, weights=weights)
    pooled_label = np.bincount(inverse, weights=weights * y) / pooled_weight
    fitted = isotonic_regression(pooled_label, weights=pooled_weight).x  # equal-prior posterior
    posterior = np.clip(fitted[inverse], 1e-12, 1.0 - 1e-12)
    log10_lr = np.log10(posterior / (1.0 - posterior))
    return cllr(log10_lr, y)


@dataclass(frozen=True)
class ReliabilityBin:
    """Items whose log10 LR fell in [low, high): stated vs observed proportion of fakes."""

    low: float
    high: float
    n: int
    expected_fake: float  #: mean posterior implied by the LRs at the metric set's prior
    observed_fake: float  #: proportion of fakes actually among them


def reliability(
    log10_lr: np.ndarray | list, labels: np.ndarray | list, edges: tuple[float, ...] = (-3, -2, -1, -0.3, 0.3, 1, 2, 3)
) -> tuple[list[ReliabilityBin], float]:
    """Reliability table and expected calibration error (weighted |observed - expected|).

    The posterior an LR implies depends on the prior: it is taken as the metric set's
    own proportion of fakes, so a calibrated LR gives observed ~ expected in each bin.
    """
    lr = np.asarray(log10_lr, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    prior_odds = (y == 1).mean() / max((y == 0).mean(), 1e-12)
    bounds = [-np.inf, *edges, np.inf]
    bins, ece = [], 0.0
    for low, high in itertools.pairwise(bounds):
        mask = (lr >= low) & (lr < high)
        if not mask.any():
            continue
        odds = prior_odds * np.power(10.0, lr[mask])
        expected = float(np.mean(odds / (1.0 + odds)))
        observed = float(y[mask].mean())
        bins.append(ReliabilityBin(float(low), float(high), int(mask.sum()), expected, observed))
        ece += mask.mean() * abs(observed - expected)
    return bins, float(ece)
