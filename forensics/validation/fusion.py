"""Fitting the fusion (``forensics.detectors.fusion``) on validation data."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from forensics.detectors.fusion import FusionModel
from forensics.validation.calibration import elub_cap, fit_balanced_logistic


def fit_fusion(detectors: Sequence[str], matrix: np.ndarray, labels: np.ndarray) -> FusionModel:
    """Fit the fusion on items x detectors log10 LRs (NaN or missing -> 0)."""
    x = np.nan_to_num(np.asarray(matrix, dtype=np.float64), nan=0.0) * math.log(10)
    coefficients, _ = fit_balanced_logistic(
        x, labels, fit_intercept=False, coefficient_bounds=(0.0, 1.0)
    )
    y = np.asarray(labels)
    return FusionModel(
        detectors=tuple(detectors),
        weights=tuple(float(c) for c in coefficients),  # ln-in/ln-out equals log10-in/log10-out
        intercept=0.0,
        cap=elub_cap(int((y == 0).sum()), int((y == 1).sum())),
    )
