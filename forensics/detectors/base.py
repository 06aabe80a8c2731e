"""The detector interface.

A detector has a registered name, a SemVer version, the input kinds it reads
("image", "video"), a frozen configuration and, where it uses a model, the SHA-256
of its weights. ``analyze`` yields frozen Findings for one stored evidence file:

- input it does not handle -> raise ``NotApplicable`` (nothing is recorded);
- damaged input -> yield ``self.error(...)`` with the reason (recorded, never skipped);
- a bug -> any other exception propagates.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from forensics.canonical import digest
from forensics.errors import NotApplicable
from forensics.model import Artifact, EvidenceInput, Finding, Verdict, verbal_scale, verdict_for
from forensics.model.validation import ValidationRecord, shipped_record


@dataclasses.dataclass(frozen=True)
class DetectorConfig:
    """Base for detector configurations: frozen, plain-valued, hashed into every finding."""

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Detector(ABC):
    """Base class of every detector; subclasses register with ``@register``."""

    name: ClassVar[str]
    version: ClassVar[str]  # SemVer: major changes when the meaning of the output changes
    inputs: ClassVar[frozenset[str]]  # subset of {"image", "video"}
    description: ClassVar[str] = ""
    # True for methods whose signal can only incriminate (a generator's tag): their
    # absence is no evidence of authenticity, so calibrated LRs are never below 1.
    one_sided: ClassVar[bool] = False

    def __init__(self, config: DetectorConfig | None = None) -> None:
        self.config = config if config is not None else self.default_config()

    @classmethod
    def default_config(cls) -> DetectorConfig:
        return DetectorConfig()

    @property
    def config_digest(self) -> str:
        return digest(self.config.as_json())

    @property
    def weights_digest(self) -> str | None:
        """SHA-256 of the model weights or learned parameters this detector uses, if any."""
        return None

    @property
    def validation(self) -> ValidationRecord | None:
        """The shipped validation record for exactly this build, or None (not validated)."""
        if not hasattr(self, "_validation"):
            record = shipped_record(self.name)
            applies = record is not None and record.applies_to(
                self.name, self.version, self.config_digest, self.weights_digest
            )
            self._validation = record if applies else None
        return self._validation

    def accepts(self, evidence: EvidenceInput) -> bool:
        return evidence.kind in self.inputs

    def run(self, evidence: EvidenceInput) -> list[Finding]:
        """Analyse one file; ``NotApplicable`` when its kind is not among ``inputs``."""
        if not self.accepts(evidence):
            raise NotApplicable(f"{self.name} does not read {evidence.kind} files")
        return list(self.analyze(evidence))

    def run_batch(
        self, items: Sequence[EvidenceInput]
    ) -> Iterator[tuple[EvidenceInput, list[Finding]]]:
        """Analyse several files, yielding each applicable one with its findings, in order.

        Detectors with a per-run resource (one stay-open exiftool) override this to batch;
        inapplicable items are left out. Call inside ``with detector:``.
        """
        for item in items:
            if self.accepts(item):
                yield item, list(self.analyze(item))

    def __enter__(self) -> Detector:
        """Acquire per-run resources (a subprocess, a model); the default needs none."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Release what ``__enter__`` acquired."""

    @abstractmethod
    def analyze(self, evidence: EvidenceInput) -> Iterator[Finding]:
        """Yield the findings for one stored evidence file."""

    # -- helpers that fill in the detector's identity -------------------------------

    def finding(
        self,
        evidence: EvidenceInput,
        *,
        verdict: Verdict,
        reason: str,
        score: float | None = None,
        log10_lr: float | None = None,
        details: dict[str, Any] | None = None,
        artifacts: tuple[Artifact, ...] = (),
    ) -> Finding:
        return Finding(
            evidence_sha256=evidence.sha256,
            detector=self.name,
            detector_version=self.version,
            config_digest=self.config_digest,
            weights_digest=self.weights_digest,
            score=score,
            log10_lr=log10_lr,
            verbal=None if log10_lr is None else verbal_scale(log10_lr),
            verdict=verdict,
            reason=reason,
            details=details or {},
            artifacts=artifacts,
        )

    def scored(
        self,
        evidence: EvidenceInput,
        *,
        score: float,
        reason: str,
        details: dict[str, Any] | None = None,
        artifacts: tuple[Artifact, ...] = (),
    ) -> Finding:
        """A finding for a raw score: calibrated to a log10 LR with its verdict when a
        validation record applies, else "not_validated" with no LR."""
        record = self.validation
        if record is None:
            return self.finding(
                evidence, verdict=Verdict.NOT_VALIDATED, score=score, details=details,
                artifacts=artifacts,
                reason=f"{reason.rstrip('.')} (method not validated: no likelihood ratio).",
            )
        log10_lr = record.calibration.log10_lr(score)
        if self.one_sided:
            log10_lr = max(log10_lr, 0.0)
        return self.finding(
            evidence, verdict=verdict_for(log10_lr), score=score, log10_lr=log10_lr, details=details,
            artifacts=artifacts, reason=f"{reason.rstrip('.')}; {verbal_scale(log10_lr)}.",
        )

    def inconclusive(self, evidence: EvidenceInput, reason: str, **details: Any) -> Finding:
        """Input outside the validated domain (too small, no face...): no LR, the reason."""
        return self.finding(evidence, verdict=Verdict.INCONCLUSIVE, reason=reason, details=details)

    def error(self, evidence: EvidenceInput, reason: str, **details: Any) -> Finding:
        """An explicit error finding for damaged or unreadable input."""
        return self.finding(evidence, verdict=Verdict.ERROR, reason=reason, details=details)

    def validation_score(self, findings: Sequence[Finding]) -> float | None:
        """The one number validation and calibration use for a file: by default the
        highest raw score among the non-error findings; None when none has a score."""
        scores = [f.score for f in findings if f.verdict != Verdict.ERROR and f.score is not None]
        return max(scores) if scores else None

    def describe(self) -> dict[str, Any]:
        """Name, version, inputs and digests, as `forensics detectors --json` lists them."""
        return {
            "name": self.name,
            "version": self.version,
            "inputs": sorted(self.inputs),
            "description": self.description,
            "config_digest": self.config_digest,
            "weights_digest": self.weights_digest,
            "validation": validation_summary(self.validation),
        }


def validation_summary(record: ValidationRecord | None) -> dict[str, Any] | None:
    """auc, eer, cllr, n_real, n_fake, data_digest, as `forensics detectors --json` lists them."""
    if record is None:
        return None
    metrics = record.metrics
    return {
        "auc": metrics["auc"]["estimate"],
        "eer": metrics["eer"],
        "cllr": metrics["cllr"]["estimate"],
        "n_real": metrics["n_real"],
        "n_fake": metrics["n_fake"],
        "data_digest": record.data["manifest_digest"],
        "record_digest": record.digest,
    }
