"""`forensics validate`: score a labelled set, calibrate on one part, measure on the other.

The calibration split fits the score -> log10 LR mapping; every reported metric comes
from the metric split, which the calibration never saw. Items that could not be
scored (error findings, not applicable) are counted and reported, never dropped
silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from forensics.detectors.base import Detector
from forensics.evidence.hashing import sha256_file
from forensics.evidence.sniff import sniff_media_type
from forensics.model import SUPPORT_THRESHOLD_LOG10, EvidenceInput
from forensics.model.calibration import Calibration, Transform
from forensics.model.validation import ValidationRecord
from forensics.pipeline import analyse_items
from forensics.validation.calibration import (
    fit_calibration,
    min_cllr,
    reliability,
)
from forensics.validation.error_rates import rate_interval
from forensics.validation.manifest import LabelledFile, LabelledSet, split_by_group
from forensics.validation.metrics import bootstrap_auc, cllr, eer

MAX_PLOT_POINTS = 200


@dataclass(frozen=True)
class ScoredItem:
    item: LabelledFile
    score: float | None  #: None when the detector could not score the file
    reason: str  #: why not, when score is None


def evidence_inputs(items: Sequence[LabelledFile]) -> list[EvidenceInput]:
    """The files as a detector sees evidence: hashed and sniffed from content."""
    inputs = []
    for item in items:
        with item.path.open("rb") as handle:
            sha = sha256_file(handle)
        inputs.append(EvidenceInput(item.path, sha, sniff_media_type(item.path), item.path.name))
    return inputs


def score_items(
    detector: Detector,
    items: Sequence[LabelledFile],
    on_item: Callable[[LabelledFile], None] | None = None,
) -> list[ScoredItem]:
    """Run the detector on each file (as it would run on evidence) and keep its score."""
    inputs = evidence_inputs(items)
    by_path = {evidence.path: evidence for evidence in inputs}
    item_of = {item.path: item for item in items}
    scored: dict[Any, ScoredItem] = {}
    for evidence, _, findings in analyse_items([detector], inputs):
        item = item_of[evidence.path]
        if on_item is not None:
            on_item(item)
        score = detector.validation_score(findings)
        reason = "" if score is not None else "; ".join(f.reason for f in findings)[:200]
        scored[evidence.path] = ScoredItem(item, score, reason)
    return [
        scored.get(i.path, ScoredItem(i, None, f"{detector.name} does not read "
                                      f"{by_path[i.path].kind} files"))
        for i in items
    ]


def downsample(values: np.ndarray) -> list[float]:
    if values.size <= MAX_PLOT_POINTS:
        return [float(v) for v in values]
    idx = np.linspace(0, values.size - 1, MAX_PLOT_POINTS).round().astype(int)
    return [float(values[i]) for i in idx]


def roc_points(scores: np.ndarray, labels: np.ndarray) -> dict[str, list[float]]:
    thresholds = np.unique(scores)[::-1]
    pos, neg = scores[labels == 1], scores[labels == 0]
    fpr = [0.0] + [float((neg >= t).mean()) for t in thresholds]
    tpr = [0.0] + [float((pos >= t).mean()) for t in thresholds]
    keep = np.linspace(0, len(fpr) - 1, min(len(fpr), MAX_PLOT_POINTS)).round().astype(int)
    return {"fpr": [fpr[i] for i in keep], "tpr": [tpr[i] for i in keep]}


def metric_report(log10_lr: np.ndarray, scores: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Every metric of the issue, on the metric split, with 95% intervals."""
    auc = bootstrap_auc(scores, labels)
    real, fake = log10_lr[labels == 0], log10_lr[labels == 1]
    rng = np.random.default_rng(0)
    boot_cllr = []
    for _ in range(1000):
        r = real[rng.integers(0, real.size, real.size)]
        f = fake[rng.integers(0, fake.size, fake.size)]
        boot_cllr.append(cllr(np.concatenate([r, f]), np.concatenate([np.zeros(r.size), np.ones(f.size)])))
    bins, ece = reliability(log10_lr, labels)
    return {
        "n_real": int(real.size),
        "n_fake": int(fake.size),
        "auc": {"estimate": auc.estimate, "low": auc.low, "high": auc.high},
        "eer": eer(scores, labels),
        "cllr": {
            "estimate": cllr(log10_lr, labels),
            "low": float(np.quantile(boot_cllr, 0.025)),
            "high": float(np.quantile(boot_cllr, 0.975)),
        },
        "min_cllr": min_cllr(scores, labels),
        # error rates at the reporting threshold: LR >= 2 is stated as support
        "false_positive_rate": rate_interval(int((real >= SUPPORT_THRESHOLD_LOG10).sum()), real.size),
        "false_negative_rate": rate_interval(int((fake <= -SUPPORT_THRESHOLD_LOG10).sum()), fake.size),
        "inconclusive_real": rate_interval(int((np.abs(real) < SUPPORT_THRESHOLD_LOG10).sum()), real.size),
        "inconclusive_fake": rate_interval(int((np.abs(fake) < SUPPORT_THRESHOLD_LOG10).sum()), fake.size),
        "ece": ece,
        "reliability": [vars(b) for b in bins],
    }


def validate(
    detector: Detector,
    labelled: LabelledSet,
    *,
    transform: Transform = "identity",
    calibration_share: float = 0.5,
    on_item: Callable[[LabelledFile], None] | None = None,
) -> tuple[ValidationRecord, list[ScoredItem]]:
    """Score, split by group, calibrate, measure. Returns the record and every score."""
    scored = score_items(detector, labelled.items, on_item)
    usable = [s for s in scored if s.score is not None]
    calibration_items, metric_items = split_by_group([s.item for s in usable], calibration_share)
    score_of = {s.item.path: s.score for s in usable}

    def arrays(items: list[LabelledFile]) -> tuple[np.ndarray, np.ndarray]:
        return (np.array([score_of[i.path] for i in items], dtype=np.float64),
                np.array([i.label for i in items], dtype=np.int64))

    cal_scores, cal_labels = arrays(calibration_items)
    calibration: Calibration = fit_calibration(cal_scores, cal_labels, transform)
    metric_scores, metric_labels = arrays(metric_items)
    log10_lr = calibration.log10_lrs(metric_scores)
    if detector.one_sided:  # as the detector reports: no LR below 1
        log10_lr = np.maximum(log10_lr, 0.0)
    metrics = metric_report(log10_lr, metric_scores, metric_labels)
    record = ValidationRecord(
        detector=detector.name,
        detector_version=detector.version,
        config_digest=detector.config_digest,
        weights_digest=detector.weights_digest,
        data={
            "name": labelled.name,
            "manifest_digest": labelled.digest,
            "items": labelled.counts,
            "unscored": sum(1 for s in scored if s.score is None),
            "one_sided": detector.one_sided,
            "calibration_split": {"real": int((cal_labels == 0).sum()), "fake": int((cal_labels == 1).sum())},
            "metric_split": {"real": metrics["n_real"], "fake": metrics["n_fake"]},
            "split_rule": f"by group, SHA-256 order, {calibration_share:.0%} of groups per "
                          "label for calibration, the rest for the metrics",
        },
        calibration=calibration,
        metrics=metrics,
        plots={
            "roc": roc_points(metric_scores, metric_labels),
            "tippett": {
                "real": downsample(np.sort(log10_lr[metric_labels == 0])),
                "fake": downsample(np.sort(log10_lr[metric_labels == 1])),
            },
        },
        created=date.today().isoformat(),
    )
    return record, scored
