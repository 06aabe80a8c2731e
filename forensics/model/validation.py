"""Validation records: what a detector's likelihood ratios rest on, quoted in reports.

A record names the detector (name, version, config and weights digests), the data
(manifest digest, counts per split, how it was split), the calibration, and the
metrics measured on the metric split with 95% intervals. Shipped defaults live in
``forensics/data/validation/<detector>.json``; records made with `forensics validate`
are also stored in the case database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from forensics.canonical import canonical_json, digest
from forensics.model.calibration import Calibration

RECORD_SCHEMA_VERSION = 1
SHIPPED_DIR = "data/validation"


@dataclass(frozen=True)
class ValidationRecord:
    """A detector's validation: identity, data, calibration and measured metrics."""

    detector: str  #: detector name
    detector_version: str  #: SemVer of the detector validated; a new major needs a new record
    config_digest: str  #: the configuration validated
    weights_digest: str | None  #: the weights validated (None for rule-based methods)
    data: dict[str, Any]  #: name, manifest_digest, counts per split, split rule
    calibration: Calibration  #: raw score -> log10 LR
    metrics: dict[str, Any]  #: auc, eer, cllr, min_cllr, error rates (with intervals), ece
    plots: dict[str, Any]  #: ROC points and Tippett curves for the report
    created: str  #: date of the validation run (not part of the identity digest)

    def as_json(self) -> dict[str, Any]:
        return {
            "schema_version": RECORD_SCHEMA_VERSION,
            "detector": self.detector,
            "detector_version": self.detector_version,
            "config_digest": self.config_digest,
            "weights_digest": self.weights_digest,
            "data": self.data,
            "calibration": self.calibration.as_json(),
            "metrics": self.metrics,
            "plots": self.plots,
            "created": self.created,
        }

    @property
    def digest(self) -> str:
        return digest(self.as_json())

    def to_text(self) -> str:
        return json.dumps(json.loads(canonical_json(self.as_json())), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ValidationRecord:
        return cls(
            detector=data["detector"],
            detector_version=data["detector_version"],
            config_digest=data["config_digest"],
            weights_digest=data["weights_digest"],
            data=data["data"],
            calibration=Calibration.from_json(data["calibration"]),
            metrics=data["metrics"],
            plots=data["plots"],
            created=data["created"],
        )

    def applies_to(self, name: str, version: str, config_digest: str, weights_digest: str | None) -> bool:
        """True when this record validated exactly this detector build (same major
        version, same configuration, same weights)."""
        return (
            self.detector == name
            and self.detector_version.split(".")[0] == version.split(".")[0]
            and self.config_digest == config_digest
            and self.weights_digest == weights_digest
        )


def shipped_record(name: str) -> ValidationRecord | None:
    """The validation record shipped inside the package for a detector, if any."""
    resource = files("forensics").joinpath(SHIPPED_DIR, f"{name}.json")
    if not resource.is_file():
        return None
    data = json.loads(resource.read_text(encoding="utf-8"))
    # fusion.json holds the fusion model beside its record
    return ValidationRecord.from_json(data.get("record", data))
