"""Findings: what a detector says about one evidence file, hashed for reproducibility."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensics.canonical import digest, sha256_hex

FINDING_SCHEMA_VERSION = 1


class Verdict(str, enum.Enum):
    """What a finding supports. ``not_validated``: no calibration exists, so no LR is given."""

    SUPPORTS_MANIPULATION = "supports_manipulation"
    SUPPORTS_AUTHENTICITY = "supports_authenticity"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"
    NOT_VALIDATED = "not_validated"


# ENFSI (2015) verbal scale, by log10 of the likelihood ratio (upper bounds exclusive).
_VERBAL_STEPS: tuple[tuple[float, str], ...] = (
    (1.0, "weak"),
    (2.0, "moderate"),
    (3.0, "moderately strong"),
    (4.0, "strong"),
    (6.0, "very strong"),
)


# |log10 LR| below log10(2) is "no support either way" on the ENFSI scale
SUPPORT_THRESHOLD_LOG10 = 0.30103


def verdict_for(log10_lr: float) -> Verdict:
    """What a calibrated log10 LR supports: LR >= 2 one way or the other, else neither."""
    if log10_lr >= SUPPORT_THRESHOLD_LOG10:
        return Verdict.SUPPORTS_MANIPULATION
    if log10_lr <= -SUPPORT_THRESHOLD_LOG10:
        return Verdict.SUPPORTS_AUTHENTICITY
    return Verdict.INCONCLUSIVE


def verbal_scale(log10_lr: float) -> str:
    """The ENFSI verbal expression for a log10 likelihood ratio.

    LR 2-10 weak, 10-100 moderate, 100-1000 moderately strong, 1e3-1e4 strong,
    1e4-1e6 very strong, above 1e6 extremely strong; mirrored below 1 for authenticity.
    Between 1/2 and 2 the evidence is "no support either way".
    """
    magnitude = abs(log10_lr)
    if magnitude < SUPPORT_THRESHOLD_LOG10:  # |LR| < 2
        return "no support either way"
    side = "manipulation" if log10_lr > 0 else "authenticity"
    for bound, word in _VERBAL_STEPS:
        if magnitude < bound:
            return f"{word} support for {side}"
    return f"extremely strong support for {side}"


@dataclass(frozen=True)
class Artifact:
    """A file a detector produced (plot data, heatmap), referenced by its SHA-256.

    A detector makes one with its ``data``; read back from a stored finding it carries
    the recorded ``sha256`` only (``data`` None): the bytes are in the case's store.
    """

    name: str  #: short label, e.g. "radial_spectrum"
    media_type: str  #: e.g. "application/json", "image/png"
    data: bytes | None = field(default=None, repr=False, compare=False)  #: content, if at hand
    sha256: str = ""  #: SHA-256 of the content; computed from ``data`` when not given

    def __post_init__(self) -> None:
        if self.data is not None:
            actual = sha256_hex(self.data)
            if self.sha256 and self.sha256 != actual:
                raise ValueError(f"artifact {self.name}: data does not match sha256 {self.sha256}")
            object.__setattr__(self, "sha256", actual)
        elif not self.sha256:
            raise ValueError(f"artifact {self.name}: needs its data or its sha256")

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "media_type": self.media_type, "sha256": self.sha256}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Artifact:
        return cls(data["name"], data["media_type"], sha256=data["sha256"])


@dataclass(frozen=True)
class EvidenceInput:
    """What a detector is given: the stored read-only copy, never the original path."""

    path: Path  #: the file in the content-addressed store
    sha256: str  #: its SHA-256 (the store's file name)
    media_type: str  #: sniffed MIME type
    original_name: str = ""  #: for messages only; detectors must not trust it

    @property
    def kind(self) -> str:
        major = self.media_type.split("/", 1)[0]
        return major if major in ("image", "video") else "other"


@dataclass(frozen=True)
class Finding:
    """One statement of one detector about one evidence file.

    Its digest covers every field below; no timestamp is inside, so the same detector
    version with the same config on the same file reproduces it.
    """

    evidence_sha256: str  #: which file
    detector: str  #: registered detector name
    detector_version: str  #: SemVer; major goes up when the output's meaning changes
    config_digest: str  #: digest of the detector's frozen configuration
    weights_digest: str | None  #: SHA-256 of model weights, None for rule-based methods
    score: float | None  #: raw score (method-specific scale), None for errors
    log10_lr: float | None  #: calibrated log10 likelihood ratio, None when not validated
    verbal: str | None  #: ENFSI verbal expression of log10_lr
    verdict: Verdict  #: what the finding supports
    reason: str  #: one sentence a court can read
    details: dict[str, Any] = field(default_factory=dict)  #: plain JSON values
    artifacts: tuple[Artifact, ...] = ()  #: produced files
    schema_version: int = FINDING_SCHEMA_VERSION

    def as_json(self, *, with_digest: bool = True) -> dict[str, Any]:
        """The finding under the names of DESIGN.md (canonical-JSON ready)."""
        body: dict[str, Any] = {
            "schema_version": self.schema_version,
            "evidence_sha256": self.evidence_sha256,
            "detector": self.detector,
            "detector_version": self.detector_version,
            "config_digest": self.config_digest,
            "weights_digest": self.weights_digest,
            "score": self.score,
            "log10_lr": self.log10_lr,
            "verbal": self.verbal,
            "verdict": Verdict(self.verdict).value,
            "reason": self.reason,
            "details": self.details,
            "artifacts": [a.as_json() for a in self.artifacts],
        }
        if with_digest:
            body["digest"] = self.digest
        return body

    @property
    def digest(self) -> str:
        return digest(self.as_json(with_digest=False))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        """The finding back from its JSON (stored body, embedded report data); its
        ``digest`` is that of the original. Artifacts come back as references."""
        return cls(
            evidence_sha256=data["evidence_sha256"],
            detector=data["detector"],
            detector_version=data["detector_version"],
            config_digest=data["config_digest"],
            weights_digest=data["weights_digest"],
            score=data["score"],
            log10_lr=data["log10_lr"],
            verbal=data["verbal"],
            verdict=Verdict(data["verdict"]),
            reason=data["reason"],
            details=data["details"],
            artifacts=tuple(Artifact.from_json(a) for a in data["artifacts"]),
            schema_version=data["schema_version"],
        )
