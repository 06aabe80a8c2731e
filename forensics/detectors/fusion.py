"""Fusion: one evaluative statement per evidence item from the detectors' log10 LRs.

Logistic-regression fusion (Brummer et al. 2007; Ramos & Gonzalez-Rodriguez): the
fused natural-log LR is ``sum_d a_d * ln LR_d``, fitted with balanced class weights
on validation data (``forensics.validation.fusion.fit_fusion``). Unlike a plain sum it
learns how far detectors are redundant (a_d < 1) instead of assuming independence. A
detector that gave no LR for an item (not validated, inconclusive, not applicable)
contributes nothing (LR = 1).

There is deliberately no intercept: the inputs are already calibrated LRs, and an
intercept would turn "no detector said anything" into evidence (on a corpus where
camera originals lack generator tags it learns "no tag, so authentic", which is
exactly the inference absence of metadata must never support). Weights lie in [0, 1]:
a calibrated detector cannot be evidence for the opposite of what it says, and the
fusion may discount redundant detectors but never inflate an LR beyond what its own
validation measured (on small validation sets an unbounded fit does, and then states
moderate support for manipulation about real files).

The combined statement is recorded as a finding of this registered method, so that it
is hashed, chained and reported like every other finding; its details name the
findings (by digest) and log10 LRs it combined.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, ClassVar

import numpy as np

from forensics.detectors.base import Combiner, DetectorConfig
from forensics.detectors.registry import register
from forensics.model import Finding, Verdict, verbal_scale, verdict_for

SHIPPED_FUSION = "data/validation/fusion.json"


@dataclass(frozen=True)
class FusionModel(DetectorConfig):
    """Fused log10 LR = clip(intercept + sum of weight[d] * log10 LR[d], -cap, cap).

    The model is the fusion's configuration: its digest is every fused finding's
    ``config_digest``.
    """

    detectors: tuple[str, ...] = ()  #: detector names, in weight order
    weights: tuple[float, ...] = ()  #: one per detector (log-LR in, log-LR out)
    intercept: float = 0.0  #: log10 LR when no detector says anything
    cap: float = 0.0  #: largest |log10 LR| the fusion's data supports

    def contributions(self, log10_lrs: Mapping[str, float | None]) -> dict[str, float]:
        """Each detector's share of the fused log10 LR (0 where it gave no LR)."""
        return {
            name: weight * (log10_lrs.get(name) or 0.0)
            for name, weight in zip(self.detectors, self.weights, strict=True)
        }

    def fuse(self, log10_lrs: Mapping[str, float | None]) -> float:
        total = self.intercept + sum(self.contributions(log10_lrs).values())
        return float(np.clip(total, -self.cap, self.cap))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FusionModel:
        return cls(tuple(data["detectors"]), tuple(data["weights"]), data["intercept"], data["cap"])


@dataclass(frozen=True)
class FusedStatement:
    """The combined statement about one evidence item."""

    log10_lr: float | None  #: None when no detector gave a likelihood ratio
    verbal: str  #: ENFSI verbal expression, or why there is none
    verdict: Verdict
    contributions: dict[str, float]  #: detector -> its share of log10_lr


def state(model: FusionModel | None, log10_lrs: Mapping[str, float | None]) -> FusedStatement:
    """The fused statement for one item (no model or no LR: an explicit "no statement")."""
    given = {k: v for k, v in log10_lrs.items() if v is not None}
    if model is None or not model.detectors:
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


def strongest_log10_lrs(findings: Iterable[Finding]) -> dict[str, tuple[float, str]]:
    """Per detector, its log10 LR of largest magnitude and that finding's digest."""
    best: dict[str, tuple[float, str]] = {}
    for finding in findings:
        if finding.log10_lr is None:
            continue
        current = best.get(finding.detector)
        if current is None or abs(finding.log10_lr) > abs(current[0]):
            best[finding.detector] = (finding.log10_lr, finding.digest)
    return best


@register
class Fusion(Combiner[FusionModel]):
    """Logistic-regression fusion of the validated detectors' calibrated LRs."""

    name: ClassVar[str] = "fusion"
    version: ClassVar[str] = "1.0.0"
    description: ClassVar[str] = (
        "Logistic-regression fusion: one combined log10 likelihood ratio per item, a weighted "
        "sum of the validated detectors' calibrated log10 LRs with weights in [0, 1] and no "
        "intercept, fitted on labelled validation data."
    )
    limitations: ClassVar[str] = (
        "The fusion does not assume the detectors are independent: their weights, fitted on "
        "its validation data, discount what they share. It assumes that this redundancy is "
        "the same on the examined files as on that data. A detector that gave no likelihood "
        "ratio for an item (not validated, inconclusive, no face) contributes nothing, so "
        "the combined statement can rest on one method alone; it never exceeds the largest "
        "likelihood ratio its validation data can support."
    )

    assumptions: ClassVar[str] = (
        "Multiplying the methods' likelihood ratios would assume that they are conditionally "
        "independent given each proposition (that, for a file of either kind, one method's "
        "result says nothing about another's). The fusion does not assume that: it assumes "
        "instead that the methods depend on one another on the examined files as they did on "
        "its validation data, where their weights were fitted, and that those files are "
        "represented by that data."
    )

    @classmethod
    def default_config(cls) -> FusionModel:
        shipped = shipped_fusion()
        return FusionModel() if shipped is None else shipped[0]

    def combine(self, evidence_sha256: str, findings: Sequence[Finding]) -> Finding | None:
        """The combined statement about one item, as a finding; None when no finding of
        the fused detectors is among ``findings``."""
        model = self.config
        if not model.detectors or not any(f.detector in model.detectors for f in findings):
            return None
        inputs = strongest_log10_lrs(f for f in findings if f.detector in model.detectors)
        statement = state(model, {name: lr for name, (lr, _) in inputs.items()})
        if statement.log10_lr is None:
            reason = f"No combined statement: {statement.verbal}."
        else:
            shares = ", ".join(f"{name} {share + 0.0:+.2f}"  # + 0.0: no "-0.00"
                               for name, share in statement.contributions.items())
            capped = abs(statement.log10_lr) >= model.cap - 1e-9
            reason = (f"Combined statement (logistic-regression fusion): {statement.verbal} "
                      f"(log10 LR {statement.log10_lr:+.2f}"
                      + (", the most its validation data support" if capped else "")
                      + f"; contributions {shares}).")
        return self.finding(
            evidence_sha256,
            verdict=statement.verdict,
            reason=reason,
            log10_lr=statement.log10_lr,
            details={
                "contributions": statement.contributions,
                "inputs": {name: {"log10_lr": lr, "finding": d} for name, (lr, d) in inputs.items()},
            },
        )
