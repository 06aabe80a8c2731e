"""Fusion: one evaluative statement per evidence item from the detectors' log10 LRs.

Logistic-regression fusion (Brummer et al. 2007; Ramos & Gonzalez-Rodriguez): the
fused natural-log LR is ``sum_d a_d * ln LR_d``, fitted with balanced class weights
on validation data. Unlike a plain sum it learns how far detectors are redundant
(a_d < 1) instead of assuming independence. A detector that gave no LR for an item
(not validated, inconclusive, not applicable) contributes nothing (LR = 1).

There is deliberately no intercept: the inputs are already calibrated LRs, and an
intercept would turn "no detector said anything" into evidence (on a corpus where
camera originals lack generator tags it learns "no tag, so authentic", which is
exactly the inference absence of metadata must never support). Weights lie in [0, 1]:
a calibrated detector cannot be evidence for the opposite of what it says, and the
fusion may discount redundant detectors but never inflate an LR beyond what its own
validation measured (on small validation sets an unbounded fit does, and then states
moderate support for manipulation about real files).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib.resources import files
from typing import Any

import numpy as np

from forensics.model import Verdict, verbal_scale, verdict_for
from forensics.validation.calibration import elub_cap, fit_balanced_logistic

SHIPPED_FUSION = "data/validation/fusion.json"


@dataclass(frozen=True)
class FusionModel:
    """Fused log10 LR = clip(intercept + sum of weight[d] * log10 LR[d], -cap, cap)."""

    detectors: tuple[str, ...]  #: detector names, in weight order
    weights: tuple[float, ...]  #: one per detector (dimensionless: log-LR in, log-LR out)
    intercept: float  #: log10 LR when no detector says anything
    cap: float  #: largest |log10 LR| the fusion's data supports

    def contributions(self, log10_lrs: Mapping[str, float | None]) -> dict[str, float]:
        """Each detector's share of the fused log10 LR (0 where it gave no LR)."""
        return {
            name: weight * (log10_lrs.get(name) or 0.0)
            for name, weight in zip(self.detectors, self.weights)
        }

    def fuse(self, log10_lrs: Mapping[str, float | None]) -> float:
        total = self.intercept + sum(self.contributions(log10_lrs).values())
        return float(np.clip(total, -self.cap, self.cap))

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FusionModel:
        return cls(tuple(data["detectors"]), tuple(data["weights"]), data["intercept"], data["cap"])


@dataclass(frozen=True)
class FusedStatement:
    """The combined statement about one evidence item, for the report's summary."""

    log10_lr: float | None  #: None when no detector gave a likelihood ratio
    verbal: str  #: ENFSI verbal expression, or why there is none
    verdict: Verdict
    contributions: dict[str, float]  #: detector -> its share of log10_lr


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


def state(model: FusionModel | None, log10_lrs: Mapping[str, float | None]) -> FusedStatement:
    """The fused statement for one item (no model or no LR: an explicit "no statement")."""
    given = {k: v for k, v in log10_lrs.items() if v is not None}
    if model is None:
        return FusedStatement(None, "no validated fusion model", Verdict.NOT_VALIDATED, {})
    if not any(name in given for name in model.detectors):
        return FusedStatement(None, "no validated detector gave a likelihood ratio",
                              Verdict.INCONCLUSIVE, {})
    fused = model.fuse(given)
    return FusedStatement(fused, verbal_scale(fused), verdict_for(fused), model.contributions(given))


def shipped_fusion() -> tuple[FusionModel, dict[str, Any]] | None:
    """The shipped fusion model and its validation record, if one is shipped."""
    resource = files("forensics").joinpath(SHIPPED_FUSION)
    if not resource.is_file():
        return None
    data = json.loads(resource.read_text(encoding="utf-8"))
    return FusionModel.from_json(data["model"]), data
