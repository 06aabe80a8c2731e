"""The file-structure detector: what a file's own structure says, beneath its tags.

Tags are easily stripped; structure survives stripping. Each signal becomes its own
finding (``metadata_signals.Signal``; a generator's own record supports manipulation,
everything else is context), so that a court reads each one with its meaning:

- ``stealth_generation_parameters`` (generator): generation parameters hidden in the
  least significant bits of the pixels (``stealth_params``: A1111-compatible "stealth
  pnginfo", alpha or RGB, plain or gzip), decoded and shown;
- ``stealth_text`` / ``stealth_damaged`` (context): such a block holding other text, or
  a signature followed by an unreadable block;
- ``jpeg_quantization`` (context): the quantization tables, IJG standard at quality q
  or not, and the encoder exiftool's JPEGDigest table names for them (``jpeg_reference``)
  beside the camera the EXIF names: a known encoder of that camera make, a software
  encoder although the EXIF names a camera, another make's camera, or no reference;
- ``double_jpeg_compression`` (context): periodic traces of an earlier, coarser JPEG
  compression in the luma DCT histograms (``jpeg_structure``): the picture was decoded
  and saved again (edited, re-saved or re-shared); not evidence of generation;
- ``container_rewritten`` / ``container_device`` / ``container_claimed_device_differs`` /
  ``container_no_reference`` (context, videos): the MP4/QuickTime box layout, brands,
  handler names, vendor codes, formats and encoder strings (``container_structure``)
  against known writers (FFmpeg, HandBrake, L-SMASH) and the device layouts built from
  camera originals (``container_reference``): rewritten by software, consistent with a
  device, not the layout of the device the file names, or no reference.

Each finding states its signal's evidential meaning and limitation (``structure_meanings``).
One-sided: a missing signal proves nothing (the bits are lost by any lossy re-save; a
second compression coarser than the first leaves no trace).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from forensics.detectors.base import Detector, DetectorConfig
from forensics.detectors.container_reference import DeviceTable, shipped_devices
from forensics.detectors.jpeg_reference import Comparison, DigestTable, shipped_table
from forensics.detectors.jpeg_structure import double_jpeg_score, quantization_report
from forensics.detectors.metadata_signals import Signal, SignalKind, signal_finding
from forensics.detectors.registry import register
from forensics.detectors.stealth_params import StealthFormatError, read_stealth
from forensics.detectors.structure_meanings import meaning
from forensics.errors import EvidenceError
from forensics.media.images import DEFAULT_MAX_PIXELS
from forensics.media.item import ItemMedia
from forensics.model import EvidenceInput, Finding, Verdict

#: double-JPEG statistic at or above which an earlier compression is reported: 1.5 times
#: the largest of 600 simulated single compressions (benchmarks/double_jpeg.py, seed
#: 20261202: scikit-image photographs, qualities 60-98; max 39.8, 99th percentile 21.9),
#: so that a claim of re-compression is rare on a single one; rates measured on another
#: seed are in the closing note of issue 18.
DOUBLE_JPEG_THRESHOLD = 60.0
#: formats that keep every pixel bit (where LSB-hidden parameters can survive)
LOSSLESS_FORMATS = frozenset({"PNG", "TIFF", "BMP", "WEBP"})
# signals that tell the file's history (context, never evidence of generation)
HISTORY_SIGNALS = frozenset({"double_jpeg_compression", "container_rewritten",
                             "container_claimed_device_differs"})
# A1111 parameter lines, ComfyUI / NovelAI JSON: the text is a generation record
_GENERATION_RECORD = re.compile(
    r"(Steps: \d+|Sampler: |CFG scale: |Seed: \d+|\"class_type\"|\"sampler\"|\"noise_schedule\")")
_EXIF_MAKE, _EXIF_MODEL, _EXIF_SOFTWARE = 0x010F, 0x0110, 0x0131


@dataclass(frozen=True)
class StructureConfig(DetectorConfig):
    """Settings hashed into every finding."""

    double_jpeg_threshold: float = DOUBLE_JPEG_THRESHOLD
    max_text_chars: int = 2000  #: decoded hidden text longer than this is clipped in the details
    max_pixels: int = DEFAULT_MAX_PIXELS


@register
class StructureDetector(Detector[StructureConfig]):
    """File structure beneath the tags: hidden generation records, JPEG tables, re-compression."""

    name: ClassVar[str] = "structure"
    version: ClassVar[str] = "1.1.0"
    inputs: ClassVar[frozenset[str]] = frozenset({"image", "video"})
    description: ClassVar[str] = (
        "Reads the file's structure beneath its tags: generation parameters hidden in the pixels' "
        "least significant bits (A1111 'stealth' info), the JPEG quantization tables (standard IJG "
        "quality or not, and the encoder exiftool's JPEGDigest table names, beside the camera the EXIF "
        "names), periodic traces of an earlier JPEG compression in the DCT histograms, and a video "
        "container's box layout against known writers and reference devices"
    )
    limitations: ClassVar[str] = (
        "File-structure method: its signals can only incriminate. Hidden parameter bits are lost by "
        "any lossy re-save, resize or screenshot; a second JPEG compression coarser than the first, "
        "a crop that moves the 8 x 8 grid, or a resize hides the double-compression trace; standard "
        "quantization tables are written by many cameras and phones as well as by software, and exiftool's "
        "table of camera digests covers mostly cameras from before 2010. Re-compression and a rewritten "
        "container show that a file was saved again, not that it was generated or manipulated. The video "
        "references know a few programs and the layouts of the corpus's camera originals only (one device); "
        "most layouts get 'no reference', and a careful forger can copy a device's layout or tables."
    )
    one_sided: ClassVar[bool] = True

    def __init__(self, config: StructureConfig | None = None, *, jpeg_table: DigestTable | None = None,
                 device_table: DeviceTable | None = None) -> None:
        super().__init__(config)
        self.jpeg_table = jpeg_table or shipped_table()
        self.device_table = device_table or shipped_devices()

    @classmethod
    def default_config(cls) -> StructureConfig:
        return StructureConfig()

    @property
    def weights_digest(self) -> str:
        """SHA-256 of the reference tables the findings compare with (what they were built from
        is recorded inside them)."""
        return hashlib.sha256(f"{self.jpeg_table.sha256} {self.device_table.sha256}".encode()).hexdigest()

    @classmethod
    def background(cls, findings: Sequence[Finding]) -> list[str]:
        """The signals of the file's history (saved again as JPEG, rewritten by software, a
        layout other than the named device's): the report's propositions allow for them."""
        return [f.reason for f in findings if f.details.get("signal") in HISTORY_SIGNALS]

    def analyze(self, evidence: EvidenceInput, media: ItemMedia) -> Iterator[Finding]:
        try:
            signals = self.signals(media)
        except EvidenceError as exc:
            yield self.error(evidence, exc.reason)
            return
        if not signals:
            yield self.finding(
                evidence.sha256, verdict=Verdict.INCONCLUSIVE, details={"signal": "none", **meaning("none")},
                reason="No structural signal found (no hidden generation record, no trace of an "
                       "earlier JPEG compression); their absence proves nothing about authenticity.")
            return
        for signal in signals:
            details = {"signal": signal.name, **signal.facts, **meaning(signal.name)}
            yield signal_finding(self, evidence, signal, details)

    def signals(self, media: ItemMedia) -> list[Signal]:
        """Every structural signal of one file, in a fixed order."""
        if media.evidence.kind == "video":
            return self._container(media)
        image = media.image("RGB", self.config.max_pixels, upright=False)
        if image.format in LOSSLESS_FORMATS:
            alpha = image.source_mode.endswith("A")  # RGBA, LA, PA
            pixels = media.image("RGBA", self.config.max_pixels, upright=False).pixels if alpha else image.pixels
            return self._stealth(pixels)
        if image.format == "JPEG":
            return self._jpeg(media)
        return []

    def _stealth(self, pixels: np.ndarray) -> list[Signal]:
        try:
            block = read_stealth(pixels)
        except StealthFormatError as exc:
            return [Signal("stealth_damaged", SignalKind.CONTEXT,
                           f"A hidden-parameter signature is present in the pixels' least significant bits, "
                           f"but the block after it cannot be read ({exc}).")]
        if block is None:
            return []
        limit = self.config.max_text_chars
        facts = {"carrier": block.carrier, "compressed": block.compressed, "payload_bytes": block.payload_bytes,
                 "text": block.text[:limit], "text_clipped": len(block.text) > limit}
        where = "alpha channel" if block.carrier == "alpha" else "red, green and blue channels"
        first = block.text.strip().splitlines()[0][:160] if block.text.strip() else ""
        record = _GENERATION_RECORD.search(block.text)
        if record:
            settings = next(line for line in block.text.splitlines() if record.group(0) in line)[:200]
            quoted = f'"{first}" ... "{settings}"' if settings != first else f'"{settings}"'
            return [Signal("stealth_generation_parameters", SignalKind.GENERATOR,
                           f"Image-generation parameters are hidden in the least significant bits of the "
                           f"{where} ('stealth' info as AUTOMATIC1111-compatible tools write it"
                           f"{', gzip-compressed' if block.compressed else ''}): {quoted}", facts=facts)]
        return [Signal("stealth_text", SignalKind.CONTEXT,
                       f"A text block is hidden in the least significant bits of the {where} in the format "
                       f"image generators use, but it holds no generation record: \"{first}\"", facts=facts)]

    def _jpeg(self, media: ItemMedia) -> list[Signal]:
        from PIL import Image

        try:
            with Image.open(io.BytesIO(media.file_bytes())) as img:
                tables = dict(img.quantization)  # type: ignore[attr-defined]
                exif = img.getexif()
        except (OSError, ValueError) as exc:  # decodable pixels (checked above), unreadable header
            raise EvidenceError(media.name, f"the JPEG header cannot be read: {exc}") from exc
        if not tables:
            return []
        report = quantization_report(tables)
        # padded or NUL-terminated by some firmware: compared and shown as plain words
        make, model = (" ".join(str(exif.get(t, "")).replace("\x00", " ").split()) for t in (_EXIF_MAKE, _EXIF_MODEL))
        claimed = f"{make} {model}".strip()
        software = str(exif.get(_EXIF_SOFTWARE, "")).strip()
        luma = media.image("L", self.config.max_pixels, upright=False).pixels
        double = double_jpeg_score(luma, report.luma)
        facts: dict[str, Any] = {
            "tables": report.tables, "ijg_quality": report.ijg_quality, "nearest_ijg_quality": report.nearest_quality,
            "luma_table": list(report.luma), "exif_camera": claimed or None, "exif_software": software or None,
            "double_jpeg_score": round(double.score, 3), "double_jpeg_bins": double.bins,
            "double_jpeg_threshold": self.config.double_jpeg_threshold,
        }
        compared = self.jpeg_table.compare(media.file_bytes(), make, model)
        facts.update({"jpeg_digest": compared.digest, "camera_reference": compared.outcome,
                      "reference_encoders": [e.name for e in compared.encoders],
                      "reference_table": _table_name(self.jpeg_table.source)})
        claim = _camera_sentence(compared, claimed, report.ijg_quality)
        if report.ijg_quality is not None:
            tables_text = (f"The JPEG quantization tables are the IJG standard tables at quality "
                           f"{report.ijg_quality} (libjpeg and the software built on it; many phones and cameras too)")
        else:
            tables_text = (f"The JPEG quantization tables are not the IJG standard ones (camera firmware, "
                           f"Photoshop or another encoder; nearest IJG quality {report.nearest_quality})")
        signals = [Signal("jpeg_quantization", SignalKind.CONTEXT, f"{tables_text}. {claim}", facts=facts)]
        if double.score >= self.config.double_jpeg_threshold:
            signals.append(Signal(
                "double_jpeg_compression", SignalKind.CONTEXT,
                f"The luma DCT histograms show the periodic traces of an earlier JPEG compression with a "
                f"coarser step (statistic {double.score:.1f}, threshold {self.config.double_jpeg_threshold:g}, "
                f"{double.bins} bins): the picture was decoded and saved as JPEG again (edited, re-saved or "
                "re-shared). This is not evidence of generation.", facts=facts))
        return signals

    def _container(self, media: ItemMedia) -> list[Signal]:
        from forensics.detectors.container_structure import ContainerError, read_layout, writer_signature

        try:
            layout = read_layout(media.evidence.path)
        except ContainerError as exc:
            raise EvidenceError(media.name, f"the container's box structure is damaged: {exc}") from exc
        except OSError as exc:
            raise EvidenceError(media.name, f"cannot be read: {exc.strerror}") from exc
        writers = writer_signature(layout)
        reference = self.device_table.compare(layout)
        facts: dict[str, Any] = {
            "major_brand": layout.major_brand, "compatible_brands": layout.compatible_brands,
            "top_level_boxes": layout.top_level, "handlers": layout.handlers, "encoders": layout.encoders,
            "movie_timescale": layout.movie_timescale, "vendors": layout.vendors, "codecs": layout.codecs,
            "user_data": layout.user_data, "device_strings": layout.device_strings,
            "writers": [{"name": w.name, "kind": w.kind, "evidence": w.evidence} for w in writers],
            "device_reference": reference.outcome, "reference_device": reference.device,
            "reference_source": reference.source, "differing_fields": list(reference.differing),
        }
        software = [w for w in writers if w.kind == "re-encoder"]
        devices = [w for w in writers if w.kind == "device"]
        origin = f" The handler names come from {devices[0].name}: the source was recorded or exported there." if (
            software and devices) else ""
        if software:
            named = "; ".join(f"{w.name} ({w.evidence})" for w in software)
            return [Signal("container_rewritten", SignalKind.CONTEXT,
                           f"The container was written by software, not by a camera: {named}. A camera's file "
                           f"was re-encoded or remuxed (rewritten), or the video never came from a camera.{origin}",
                           facts=facts)]
        match = (f"device {reference.device} (the same brands, boxes, handlers, vendor codes, formats and "
                 f"timescale as the reference built from {reference.source})") if reference.outcome == "match" else (
            f"{devices[0].name} ({devices[0].evidence})" if devices else None)
        if match:
            return [Signal("container_device", SignalKind.CONTEXT,
                           f"The container's structure is consistent with {match}; a structure can be copied, so "
                           "this supports but does not prove the claimed origin.", facts=facts)]
        if reference.outcome == "claimed_differs":
            return [Signal("container_claimed_device_differs", SignalKind.CONTEXT,
                           f"The file names the device '{'; '.join(layout.device_strings)}', but its structure "
                           f"differs from the reference of {reference.device} (built from {reference.source}) in: "
                           f"{', '.join(reference.differing)}. It may have been rewritten, or that device writes "
                           "more than one layout (the reference holds one file): no conclusion on its own.",
                           facts=facts)]
        brands = ", ".join([layout.major_brand, *layout.compatible_brands]).strip(", ") or "none"
        return [Signal("container_no_reference", SignalKind.CONTEXT,
                       f"The container's structure (brands {brands}; boxes {' '.join(layout.top_level)}) matches "
                       "no writer and no device in the reference table: no conclusion on its origin.", facts=facts)]


def _table_name(source: dict[str, str]) -> str:
    return f"{source['module']} {source['module_version']} (ExifTool {source['exiftool_version']})"


def _camera_sentence(compared: Comparison, claimed: str, ijg_quality: int | None) -> str:
    """What exiftool's digest table says of the tables, beside the camera the EXIF names."""
    named = "; ".join(f"'{e.name}'" for e in compared.encoders[:3])
    camera = f"the EXIF names the camera '{claimed}'" if claimed else "the EXIF names no camera"
    if compared.outcome == "camera_match":
        return (f"They match a known encoder of that camera make in exiftool's JPEGDigest table ({named}); "
                f"{camera}. Tables can be copied: this supports, but does not prove, the claimed origin.")
    if compared.outcome == "software":
        which = f"IJG quality {ijg_quality}" if ijg_quality is not None else named
        return (f"They are the tables of a software encoder ({which}; exiftool's JPEGDigest table: {named}) "
                f"although {camera}: a sign that the picture was saved again by software after capture"
                + (", though many phones and cameras write the IJG tables themselves, so no conclusion on "
                   "their own." if ijg_quality is not None else "."))
    if compared.outcome == "other_device":
        return (f"exiftool's JPEGDigest table lists them for another camera make ({named}) although {camera}; "
                "camera tables recur across makes, so no conclusion is drawn.")
    if compared.outcome == "no_camera":
        return f"exiftool's JPEGDigest table names their encoder ({named}); {camera}."
    return f"Their digest is not in exiftool's JPEGDigest table (no reference); {camera}."
