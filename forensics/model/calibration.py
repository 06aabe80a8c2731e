"""Calibration records: how a raw score becomes a log10 likelihood ratio.

The fitting lives in ``forensics.validation.calibration``; the record and its mapping
live here because detectors, storage and reports all read it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # NumPy (about 100 ms) loads when a calibration is applied, not with the
    import numpy as np  # repository that stores the records

Transform = Literal["identity", "logit"]
LOGIT_EPS = 1e-6  # probabilities are clipped before the logit: scores of exactly 0 or 1
LN10 = math.log(10.0)


def transform_scores(scores: np.ndarray, transform: Transform) -> np.ndarray:
    import numpy as np

    scores = np.asarray(scores, dtype=np.float64)
    if transform == "logit":
        p = np.clip(scores, LOGIT_EPS, 1.0 - LOGIT_EPS)
        return np.log(p / (1.0 - p))
    return scores


@dataclass(frozen=True)
class Calibration:
    """log10 LR = clip((slope * t(score) + intercept) / ln 10, -cap, cap)."""

    transform: Transform  #: score transform t before the linear map
    slope: float  #: natural-log LR per unit of t(score)
    intercept: float  #: natural-log LR at t(score) = 0
    cap: float  #: largest |log10 LR| the calibration data supports
    n_real: int  #: calibration items of the authentic class
    n_fake: int  #: calibration items of the manipulated class

    def log10_lr(self, score: float) -> float:
        import numpy as np

        value = float(transform_scores(np.array([score]), self.transform)[0])
        return float(np.clip((self.slope * value + self.intercept) / LN10, -self.cap, self.cap))

    def log10_lrs(self, scores: np.ndarray) -> np.ndarray:
        import numpy as np

        t = transform_scores(scores, self.transform)
        return np.clip((self.slope * t + self.intercept) / LN10, -self.cap, self.cap)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        return cls(**data)
