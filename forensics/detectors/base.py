"""The method interface: detectors read evidence files, combiners combine findings.

A method has a registered name, a SemVer version, a frozen configuration and, where it
uses a model, the SHA-256 of its weights. It owns everything specific to it: its
description, what it cannot see (``limitations``), notes that its findings in a case
call for (``case_notes``), and how its artifacts are drawn (``figure``). The report,
the fusion and the CLI know no method by name.

A ``Detector`` yields frozen Findings for one stored evidence file, reading decoded
pixels, frames and faces from the item's shared ``ItemMedia`` (one decode per item):

- input it does not handle -> raise ``NotApplicable`` (nothing is recorded);
- damaged input -> yield ``self.error(...)`` with the reason (recorded, never skipped);
- a bug -> any other exception propagates.

A ``Combiner`` (the fusion) makes one finding per item from other methods' findings.

Plug-ins (entry-point group ``forensics.detectors``) declare the ``interface_version``
they implement; the registry refuses any other.
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar, cast

from forensics.canonical import digest
from forensics.errors import NotApplicable
from forensics.media.item import ItemMedia, VideoNeeds
from forensics.model import Artifact, EvidenceInput, Finding, Verdict, verbal_scale, verdict_for
from forensics.model.figures import Figure, ImageFigure
from forensics.model.validation import ValidationRecord, shipped_record

#: Version of this interface. 2: analyze() takes the item's shared media; methods own
#: their limitations and figures; combiners are registered methods.
INTERFACE_VERSION = 2


@dataclasses.dataclass(frozen=True)
class DetectorConfig:
    """Base for method configurations: frozen, plain-valued, hashed into every finding."""

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


ConfigT = TypeVar("ConfigT", bound=DetectorConfig)


class Method(ABC, Generic[ConfigT]):
    """What every registered method has: identity, configuration, validation, text."""

    name: ClassVar[str]
    version: ClassVar[str]  # SemVer: major changes when the meaning of the output changes
    interface_version: ClassVar[int] = INTERFACE_VERSION
    kind: ClassVar[str] = "method"  #: "detector" or "combiner"
    inputs: ClassVar[frozenset[str]] = frozenset()  #: evidence kinds read ("image", "video")
    description: ClassVar[str] = ""  #: one sentence for the report's method list
    #: What the method cannot see, in words a court reads (the report's limitations).
    limitations: ClassVar[str] = ""
    #: What its result takes for granted (e.g. a fusion's assumption about how far the
    #: methods it combines are independent), in words a court reads; "" when nothing beyond
    #: the validation's representativeness.
    assumptions: ClassVar[str] = ""
    # True for methods whose signal can only incriminate (a generator's tag): their
    # absence is no evidence of authenticity, so calibrated LRs are never below 1.
    one_sided: ClassVar[bool] = False

    def __init__(self, config: ConfigT | None = None) -> None:
        self.config: ConfigT = config if config is not None else self.default_config()

    @classmethod
    def default_config(cls) -> ConfigT:
        """The configuration used when none is given; methods with settings override it."""
        return cast(ConfigT, DetectorConfig())

    @property
    def config_digest(self) -> str:
        return digest(self.config.as_json())

    @property
    def weights_digest(self) -> str | None:
        """SHA-256 of the model weights or learned parameters this method uses, if any."""
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

    def __enter__(self) -> Method[ConfigT]:
        """Acquire per-run resources (a subprocess, a model); the default needs none."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Release what ``__enter__`` acquired."""

    # -- what the report asks of a method ----------------------------------------------

    @classmethod
    def case_notes(cls, findings: Sequence[Finding], labels: Mapping[str, str]) -> list[str]:
        """Limitations that this method's findings in one case call for (e.g. items
        where a known confounder is present); ``labels`` maps evidence SHA-256 to "E1"."""
        return []

    @classmethod
    def background(cls, findings: Sequence[Finding]) -> list[str]:
        """What this method's findings on one item say about the file's history (edited,
        re-encoded, rewritten by some software), in sentences: the report's propositions
        for the item allow for it and list it as background information."""
        return []

    @classmethod
    def figure(cls, artifact: Artifact) -> Figure | None:
        """How to draw one of this method's artifacts (``artifact.data`` is set); None
        lets the report fall back to its generic drawing. Images are shown as they are."""
        if artifact.data is not None and artifact.media_type in ("image/png", "image/jpeg"):
            return ImageFigure(artifact.data)
        return None

    # -- findings ------------------------------------------------------------------------

    def finding(
        self,
        evidence_sha256: str,
        *,
        verdict: Verdict,
        reason: str,
        score: float | None = None,
        log10_lr: float | None = None,
        details: dict[str, Any] | None = None,
        artifacts: tuple[Artifact, ...] = (),
    ) -> Finding:
        """A finding with this method's identity filled in."""
        return Finding(
            evidence_sha256=evidence_sha256,
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

    def describe(self) -> dict[str, Any]:
        """Name, version, inputs and digests, as `forensics detectors --json` lists them."""
        return {
            "name": self.name,
            "version": self.version,
            "kind": self.kind,
            "inputs": sorted(self.inputs),
            "description": self.description,
            "config_digest": self.config_digest,
            "weights_digest": self.weights_digest,
            "validation": validation_summary(self.validation),
        }



class Detector(Method[ConfigT]):
    """A method that reads evidence files; subclasses register with ``@register``."""

    kind: ClassVar[str] = "detector"
    inputs: ClassVar[frozenset[str]]  # subset of {"image", "video"}
    #: False for methods that read the file, not its pixels (metadata): they are run
    #: over all items in batches instead of item by item on the shared media.
    uses_media: ClassVar[bool] = True

    def video_needs(self) -> VideoNeeds | None:
        """What this detector reads from a video's one decoding pass (None: nothing)."""
        return None

    def accepts(self, evidence: EvidenceInput) -> bool:
        return evidence.kind in self.inputs

    def media_for(self, evidence: EvidenceInput) -> ItemMedia:
        """Media for one item read by this detector alone."""
        needs = self.video_needs()
        return ItemMedia(evidence, () if needs is None else (needs,))

    def run(self, evidence: EvidenceInput, media: ItemMedia | None = None) -> list[Finding]:
        """Analyse one file (on shared ``media`` when given); ``NotApplicable`` when its
        kind is not among ``inputs``."""
        if not self.accepts(evidence):
            raise NotApplicable(f"{self.name} does not read {evidence.kind} files")
        return list(self.analyze(evidence, media if media is not None else self.media_for(evidence)))

    def run_batch(
        self, items: Sequence[EvidenceInput]
    ) -> Iterator[tuple[EvidenceInput, list[Finding]]]:
        """Analyse several files, yielding each applicable one with its findings, in order.

        Detectors with a per-run resource (one stay-open exiftool) override this to batch;
        inapplicable items are left out. Call inside ``with detector:``.
        """
        for item in items:
            if self.accepts(item):
                yield item, self.run(item)

    def __enter__(self) -> Detector[ConfigT]:
        return self

    @abstractmethod
    def analyze(self, evidence: EvidenceInput, media: ItemMedia) -> Iterator[Finding]:
        """Yield the findings for one stored evidence file."""

    # -- helpers that fill in the detector's identity -------------------------------

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
                evidence.sha256, verdict=Verdict.NOT_VALIDATED, score=score, details=details,
                artifacts=artifacts,
                reason=f"{reason.rstrip('.')} (method not validated: no likelihood ratio).",
            )
        log10_lr = record.calibration.log10_lr(score)
        if self.one_sided:
            log10_lr = max(log10_lr, 0.0)
        return self.finding(
            evidence.sha256, verdict=verdict_for(log10_lr), score=score, log10_lr=log10_lr,
            details=details, artifacts=artifacts,
            reason=f"{reason.rstrip('.')}; {verbal_scale(log10_lr)}.",
        )

    def inconclusive(self, evidence: EvidenceInput, reason: str, **details: Any) -> Finding:
        """Input outside the validated domain (too small, no face...): no LR, the reason."""
        return self.finding(evidence.sha256, verdict=Verdict.INCONCLUSIVE, reason=reason,
                            details=details)

    def error(self, evidence: EvidenceInput, reason: str, **details: Any) -> Finding:
        """An explicit error finding for damaged or unreadable input."""
        return self.finding(evidence.sha256, verdict=Verdict.ERROR, reason=reason, details=details)

    def validation_score(self, findings: Sequence[Finding]) -> float | None:
        """The one number validation and calibration use for a file: by default the
        highest raw score among the non-error findings; None when none has a score."""
        scores = [f.score for f in findings if f.verdict != Verdict.ERROR and f.score is not None]
        return max(scores) if scores else None


class Combiner(Method[ConfigT]):
    """A method that reads no file: one finding per item from other methods' findings."""

    kind: ClassVar[str] = "combiner"

    @abstractmethod
    def combine(self, evidence_sha256: str, findings: Sequence[Finding]) -> Finding | None:
        """The combined finding for one item, or None when none of its inputs is there."""


def logit_score(logit: float) -> float:
    """The score in [0, 1] of a network's or a probe's logit (the logistic function)."""
    return 1.0 / (1.0 + math.exp(-logit))


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
