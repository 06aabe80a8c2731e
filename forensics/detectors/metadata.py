"""The metadata detector: generator fingerprints, C2PA, editing traces, video containers.

One stay-open exiftool per run (``with detector:``) reads files in batches of
``batch_size`` with ``-G1`` group names; a batch that fails (exiftool dies, hangs or
answers garbage) is retried file by file on a fresh process, so one bad file never
costs the others their findings. Each signal becomes its own Finding (see
``metadata_rules`` and ``c2pa_signals``); a file without any signal gets exactly one
inconclusive finding, because absence of metadata proves nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import exiftool
from exiftool.exceptions import ExifToolException

from forensics.detectors.base import Detector, DetectorConfig
from forensics.detectors.c2pa_signals import c2pa_signals, read_c2pa
from forensics.detectors.metadata_rules import tag_rules, thumbnail_mismatch
from forensics.detectors.metadata_signals import Signal, TagView, clip_tags, signal_finding
from forensics.detectors.registry import register
from forensics.errors import ConfigurationError
from forensics.media.item import ItemMedia
from forensics.model import EvidenceInput, Finding, Verdict

EXIFTOOL_ARGS = ["-G1", "-api", "LargeFileSupport=1"]
POLL_S = 0.2  # how often the watchdog looks at exiftool
PER_FILE_S = 0.5  # extra time a batch command gets per file


@dataclasses.dataclass(frozen=True)
class MetadataConfig(DetectorConfig):
    """Settings that change findings (hashed into each one's config digest)."""

    date_tolerance_s: float = 60.0  #: capture/modify dates closer than this agree
    thumbnail_min_correlation: float = 0.5  #: below this the EXIF thumbnail "does not match"
    max_value_chars: int = 300  #: longer tag values are clipped (their SHA-256 is kept)


# -- exiftool -------------------------------------------------------------------------

ExifRecord = dict[str, Any] | str  # exiftool's -G1 JSON for one file, or why there is none


class ExifToolFailure(Exception):
    """The exiftool process failed on a command (died, hung, or answered out of step)."""


class _Watchdog:
    """Kills a hung or dead exiftool so a blocked read returns.

    pyexiftool reads until a sentinel and would wait forever on a hung process, or spin
    on EOF after a crash; killing the process and closing its pipes makes that read fail.
    """

    def __init__(self, process: Any, timeout_s: float) -> None:
        self._process = process
        self._deadline = time.monotonic() + timeout_s
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="exiftool-watchdog", daemon=True)
        self.fired = False

    def __enter__(self) -> _Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._done.wait(POLL_S):
            if self._process.poll() is not None or time.monotonic() > self._deadline:
                self.fired = True
                with contextlib.suppress(OSError):
                    self._process.kill()
                for pipe in (self._process.stdout, self._process.stderr):
                    with contextlib.suppress(OSError, ValueError):
                        pipe.close()
                return


class ExifToolSession:
    """One stay-open exiftool process, restarted after any failure."""

    def __init__(self, *, executable: str | None = None, timeout_s: float = 30.0) -> None:
        self._executable = executable
        self.timeout_s = timeout_s  # per command; a batch gets PER_FILE_S more per file
        self._helper: exiftool.ExifToolHelper | None = None
        self.restarts = 0

    def __enter__(self) -> ExifToolSession:
        self._start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        process = getattr(self._helper, "_process", None)
        return None if process is None else process.pid

    def _start(self) -> None:
        kwargs: dict[str, Any] = {"common_args": EXIFTOOL_ARGS, "encoding": "utf-8", "check_execute": False}
        if self._executable:
            kwargs["executable"] = self._executable
        helper = exiftool.ExifToolHelper(auto_start=False, **kwargs)
        try:
            helper.run()
        except (ExifToolException, OSError, RuntimeError) as exc:
            raise ConfigurationError(f"exiftool could not be started: {exc}") from exc
        self._helper = helper

    def close(self) -> None:
        helper, self._helper = self._helper, None
        if helper is None:
            return
        process = getattr(helper, "_process", None)  # pyexiftool forgets it once it sees it dead
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pyexiftool warns when the process already died
            if helper.running:
                with contextlib.suppress(ExifToolException, OSError, ValueError):
                    helper.terminate(timeout=5)
                    return
        if process is not None:  # dead or stuck: kill and reap it
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                process.kill()
                process.wait(timeout=5)

    def _restart(self) -> None:
        self.close()
        self._start()
        self.restarts += 1

    def _alive(self) -> bool:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pyexiftool warns when it notices a dead process
            return self._helper is not None and self._helper.running

    def _execute(self, paths: Sequence[str]) -> list[dict[str, Any]]:
        if not self._alive():
            self._restart()
        assert self._helper is not None
        process = self._helper._process  # pyexiftool keeps its Popen here
        with _Watchdog(process, self.timeout_s + PER_FILE_S * len(paths)) as dog:
            try:
                records = self._helper.execute_json(*paths)
            except (ExifToolException, OSError, ValueError) as exc:
                if dog.fired:
                    raise ExifToolFailure("exiftool hung or died while reading") from exc
                stderr = str(self._helper.last_stderr or "").strip()
                raise ExifToolFailure(stderr[:300] or type(exc).__name__) from exc
        if dog.fired:
            raise ExifToolFailure("exiftool hung or died while reading")
        sources = [r.get("SourceFile") if isinstance(r, dict) else None for r in records]
        if sources != list(paths):
            raise ExifToolFailure("exiftool answered for other files than it was asked")
        return records

    def read(self, paths: Sequence[Path]) -> list[ExifRecord]:
        """Metadata for each path, in order; a failed batch is retried file by file."""
        names = [os.path.abspath(p) for p in paths]  # never let a name read as an option
        if any("\n" in n for n in names):
            return [self._read_one(n) for n in names]
        try:
            return list(self._execute(names))
        except ExifToolFailure:
            self._restart()
            return [self._read_one(n) for n in names]

    def _read_one(self, name: str) -> ExifRecord:
        if "\n" in name:
            return "the stored file name cannot be passed to exiftool"
        try:
            return self._execute([name])[0]
        except ExifToolFailure as exc:
            self._restart()
            # exiftool's messages may quote the path, which must not enter a finding
            return f"exiftool failed on this file: {str(exc).replace(name, '<file>')}"


# -- the detector ------------------------------------------------------------------------


@register
class MetadataDetector(Detector[MetadataConfig]):
    """Reads embedded metadata: generator fingerprints, C2PA, editing and container traces."""

    name: ClassVar[str] = "metadata"
    version: ClassVar[str] = "1.1.0"
    inputs: ClassVar[frozenset[str]] = frozenset({"image", "video"})
    description: ClassVar[str] = (
        "Embedded metadata: generator fingerprints (PNG text chunks, software tags, IPTC "
        "DigitalSourceType), C2PA manifests and their validation, editing traces, video container tags."
    )
    limitations: ClassVar[str] = (
        "Metadata can be written, edited or stripped by anyone; on its own its presence or "
        "absence is weak evidence. A generator's tag supports generation; a missing tag "
        "supports nothing, since most tools and platforms strip metadata."
    )
    one_sided: ClassVar[bool] = True  # a missing generator tag proves nothing
    uses_media: ClassVar[bool] = False  # reads tags, not pixels: batched over all items

    def __init__(
        self,
        config: MetadataConfig | None = None,
        *,
        batch_size: int = 64,
        timeout_s: float = 30.0,
        executable: str | None = None,
    ) -> None:
        super().__init__(config)
        self.batch_size = batch_size
        self._session_args: dict[str, Any] = {"executable": executable, "timeout_s": timeout_s}
        self._session: ExifToolSession | None = None

    @classmethod
    def default_config(cls) -> MetadataConfig:
        return MetadataConfig()

    def __enter__(self) -> MetadataDetector:
        if self._session is None:
            self._session = ExifToolSession(**self._session_args).__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close()

    @property
    def session(self) -> ExifToolSession | None:
        """The run's exiftool session (None outside ``with detector:``)."""
        return self._session

    def analyze(self, evidence: EvidenceInput, media: ItemMedia | None = None) -> Iterator[Finding]:
        [(_, findings)] = self._run_batch([evidence])
        yield from findings

    def run_batch(self, items: Sequence[EvidenceInput]) -> Iterator[tuple[EvidenceInput, list[Finding]]]:
        accepted = [item for item in items if self.accepts(item)]
        for start in range(0, len(accepted), self.batch_size):
            yield from self._run_batch(accepted[start: start + self.batch_size])

    def _run_batch(self, batch: Sequence[EvidenceInput]) -> list[tuple[EvidenceInput, list[Finding]]]:
        if self._session is None:  # called outside `with`: a session just for this batch
            with self:
                return self._run_batch(batch)
        records = self._session.read([item.path for item in batch])
        return [(item, self._findings(item, record)) for item, record in zip(batch, records, strict=False)]

    def _findings(self, evidence: EvidenceInput, record: ExifRecord) -> list[Finding]:
        if isinstance(record, str):
            return [self.error(evidence, record)]
        view = TagView(record)
        if view.error is not None:
            return [self.error(evidence, f"exiftool cannot read the file: {view.error}")]
        signals = self.signals(evidence, view)
        if not signals:
            return [self._no_signal(evidence)]
        return [self._finding(evidence, signal) for signal in signals]

    def signals(self, evidence: EvidenceInput, view: TagView) -> list[Signal]:
        """Every signal for one readable file, in a fixed order."""
        cfg = self.config
        signals = tag_rules(view, kind=evidence.kind, date_tolerance_s=cfg.date_tolerance_s)
        if evidence.kind == "image":
            signals += thumbnail_mismatch(evidence.path, view, cfg.thumbnail_min_correlation)
        store_seen = view.has_group("JUMBF", "CBOR") or any("JUMBF" in w for w in view.warnings)
        report = read_c2pa(evidence.path, evidence.media_type, store_expected=store_seen)
        if report is not None:
            signals += c2pa_signals(report)
        return signals

    def _finding(self, evidence: EvidenceInput, signal: Signal) -> Finding:
        tags, truncated = clip_tags(signal.tags, self.config.max_value_chars)
        details: dict[str, Any] = {"signal": signal.name, "tags": tags, **signal.facts}
        if truncated:
            details["truncated"] = truncated
        return signal_finding(self, evidence, signal, details)

    @classmethod
    def background(cls, findings: Sequence[Finding]) -> list[str]:
        """The context signals (editing, re-encoding, container and provenance traces): the
        file's history, which is no evidence of generation either way."""
        return [f.reason for f in findings
                if f.verdict is Verdict.INCONCLUSIVE and f.details.get("signal") not in (None, "none")]

    def validation_score(self, findings: Sequence[Finding]) -> float | None:
        """1 when a generator signal was found, 0 otherwise (a file whose metadata was read
        but carries no generator tag is a valid "no" for validation); None for errors."""
        if any(f.verdict == Verdict.ERROR for f in findings):
            return None
        return 1.0 if any(f.score == 1.0 for f in findings) else 0.0

    def _no_signal(self, evidence: EvidenceInput) -> Finding:
        return self.finding(
            evidence.sha256,
            verdict=Verdict.INCONCLUSIVE,
            reason=("No metadata signal found (no generator fingerprint, C2PA manifest, editing or "
                    "container trace). Metadata is easily stripped, so its absence proves nothing "
                    "about authenticity."),
            details={"signal": "none", "tags": {}},
        )
