"""Validating the fusion (``forensics.detectors.fusion``): run the validated detectors
on a labelled set, fit the fusion on one split, measure it on the other."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import numpy as np

from forensics.canonical import digest
from forensics.detectors.base import Detector
from forensics.detectors.fusion import Fusion, strongest_log10_lrs
from forensics.model import SUPPORT_THRESHOLD_LOG10
from forensics.model.calibration import Calibration
from forensics.model.validation import ValidationRecord
from forensics.pipeline import analyse_items
from forensics.validation.calibration import min_cllr
from forensics.validation.fusion import fit_fusion
from forensics.validation.manifest import LabelledFile, LabelledSet, split_by_group
from forensics.validation.runner import downsample, evidence_inputs, metric_report, roc_points

FUSION_NAME = Fusion.name


def validate_fusion(
    detectors: Sequence[Detector],
    labelled: LabelledSet,
    *,
    calibration_share: float = 0.5,
    on_item: Callable[[LabelledFile], None] | None = None,
) -> dict[str, Any]:
    """Run validated detectors on every item, fit the fusion on the calibration split,
    measure it on the metric split. Returns the shipped-file content (model + record)."""
    names = [d.name for d in detectors]
    inputs = evidence_inputs(labelled.items)
    lrs: dict[str, dict[str, float]] = {str(i.path): {} for i in labelled.items}
    for evidence, _, findings in analyse_items(detectors, inputs):
        for name, (lr, _) in strongest_log10_lrs(findings).items():
            lrs[str(evidence.path)][name] = lr
    for item in labelled.items:
        if on_item is not None:
            on_item(item)
    calibration, metric = split_by_group(labelled.items, calibration_share)

    def matrix(items: list[LabelledFile]) -> tuple[np.ndarray, np.ndarray]:
        rows = [[lrs[str(i.path)].get(n, math.nan) for n in names] for i in items]
        return np.array(rows, dtype=np.float64), np.array([i.label for i in items])

    x_cal, y_cal = matrix(calibration)
    model = fit_fusion(names, x_cal, y_cal)
    x_met, y_met = matrix(metric)
    fused = np.array([model.fuse({n: (None if math.isnan(v) else v) for n, v in zip(names, row, strict=False)})
                      for row in x_met])
    metrics = metric_report(fused, fused, y_met)
    metrics["min_cllr"] = min_cllr(fused, y_met)
    per_detector = {}
    for j, name in enumerate(names):  # each detector alone on the same metric split
        alone = np.nan_to_num(x_met[:, j], nan=0.0)
        per_detector[name] = {k: metrics_alone for k, metrics_alone in
                              metric_report(alone, alone, y_met).items()
                              if k in ("auc", "cllr", "false_positive_rate", "false_negative_rate")}
    near_reals = [(i.path.name, float(v)) for i, v in zip(metric, fused, strict=True)
                  if i.label == 0 and v >= SUPPORT_THRESHOLD_LOG10 / 2]
    near = [{"path": name, "log10_lr": lr}
            for name, lr in sorted(near_reals, key=lambda pair: -pair[1])]
    record = ValidationRecord(
        detector=Fusion.name,
        detector_version=Fusion.version,
        config_digest=digest(model.as_json()),  # as in every fusion finding
        weights_digest=None,
        data={
            "name": labelled.name,
            "manifest_digest": labelled.digest,
            "items": labelled.counts,
            "inputs": {d.name: {"version": d.version, "validation": d.validation.digest
                                if d.validation else None} for d in detectors},
            "calibration_split": {"real": int((y_cal == 0).sum()), "fake": int((y_cal == 1).sum())},
            "metric_split": {"real": int((y_met == 0).sum()), "fake": int((y_met == 1).sum())},
            "split_rule": f"by group, SHA-256 order, {calibration_share:.0%} of groups per "
                          "label for fitting the fusion, the rest for the metrics",
        },
        # the fused value is already a log10 LR: the calibration is the identity, capped
        calibration=Calibration("identity", math.log(10), 0.0, model.cap,
                                int((y_cal == 0).sum()), int((y_cal == 1).sum())),
        metrics=dict(metrics, detectors_alone=per_detector, real_items_near_support=near),
        plots={
            "roc": roc_points(fused, y_met),
            "tippett": {"real": downsample(np.sort(fused[y_met == 0])),
                        "fake": downsample(np.sort(fused[y_met == 1]))},
        },
        created=date.today().isoformat(),
    )
    return {"model": model.as_json(), "record": record.as_json()}
