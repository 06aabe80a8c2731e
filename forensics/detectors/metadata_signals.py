"""Signals of the metadata detector: what one rule found, the tag view rules read,
and the vocabularies of software names the rules match.

A ``Signal`` is the plain-data result of one rule (a generator fingerprint, an
editor's Software tag, a C2PA manifest...). The detector turns each one into its
own Finding: ``GENERATOR`` signals support manipulation, ``CONTEXT`` signals are
inconclusive (editing, re-encoding and provenance are not deepfakery).
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from forensics.model import EvidenceInput, Finding, Verdict

if TYPE_CHECKING:
    from forensics.detectors.base import Detector

# Groups that describe the copy on disk or exiftool itself, not the content: their
# values (paths, file times, tool version) would make findings machine-dependent.
IGNORED_GROUPS = frozenset({"System", "File", "ExifTool", "Composite"})


class SignalKind(str, enum.Enum):
    """How a signal bears on the question "was this made or altered by a generator?"."""

    GENERATOR = "generator"  #: a generator wrote this: strong evidence of generation
    CONTEXT = "context"  #: editing, re-encoding, provenance: inconclusive on its own


@dataclass(frozen=True)
class Signal:
    """One rule's result for one file."""

    name: str  #: stable signal name, e.g. "generator_fingerprint" (details["signal"])
    kind: SignalKind  #: decides the finding's verdict
    reason: str  #: one sentence a court can read
    tags: Mapping[str, Any] = field(default_factory=dict)  #: supporting tag -> value
    facts: Mapping[str, Any] = field(default_factory=dict)  #: other plain-JSON details


def signal_finding(detector: Detector[Any], evidence: EvidenceInput, signal: Signal,
                   details: dict[str, Any]) -> Finding:
    """A signal's finding: a generator's own record supports manipulation (calibrated when
    the method has a validation record, else strong but without a likelihood ratio);
    every other signal is inconclusive on the question of generation."""
    generator = signal.kind is SignalKind.GENERATOR
    if generator and detector.validation is not None:
        # Calibrated: the LR of "a generator record is present" measured on labelled files.
        return detector.scored(evidence, score=1.0, reason=signal.reason, details=details)
    return detector.finding(
        evidence.sha256,
        verdict=Verdict.SUPPORTS_MANIPULATION if generator else Verdict.INCONCLUSIVE,
        reason=signal.reason,
        score=1.0 if generator else None,
        details=details,
    )


def tag_name(key: str) -> str:
    """``"IFD0:Software"`` -> ``"Software"``."""
    return key.rsplit(":", 1)[-1]


def tag_group(key: str) -> str:
    """``"IFD0:Software"`` -> ``"IFD0"`` (empty when exiftool gave no group)."""
    return key.rsplit(":", 1)[0] if ":" in key else ""


def as_text(value: Any) -> str:
    """A tag value as text for matching (lists joined, numbers written out)."""
    if isinstance(value, list):
        return ", ".join(as_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


class TagView:
    """Read-only, group-aware view of one file's exiftool ``-G1`` JSON record."""

    def __init__(self, record: Mapping[str, Any]) -> None:
        self._record = dict(record)
        self._by_name: dict[str, list[str]] = {}  # lower-case tag name -> keys, for find()
        self._position: dict[str, int] = {}  # find() answers in exiftool's order
        for position, (key, _) in enumerate(self.items()):
            self._by_name.setdefault(tag_name(key).lower(), []).append(key)
            self._position[key] = position

    @property
    def error(self) -> str | None:
        """exiftool's reason for not reading the file at all, if any."""
        value = self._record.get("ExifTool:Error")
        return None if value is None else as_text(value)

    @property
    def warnings(self) -> list[str]:
        value = self._record.get("ExifTool:Warning")
        if value is None:
            return []
        return [as_text(v) for v in value] if isinstance(value, list) else [as_text(value)]

    def items(self) -> Iterator[tuple[str, Any]]:
        """Content tags (group:name, value), without file-system and tool groups."""
        for key, value in self._record.items():
            if ":" in key and tag_group(key) not in IGNORED_GROUPS:
                yield key, value

    def find(self, *names: str, groups: tuple[str, ...] = ()) -> dict[str, Any]:
        """Tags named any of ``names`` (case-insensitive), optionally only in ``groups``."""
        hits = {k for n in names for k in self._by_name.get(n.lower(), ())}
        keys = sorted(hits, key=self._position.__getitem__)
        return {k: self._record[k] for k in keys if not groups or tag_group(k) in groups}

    def first(self, *names: str, groups: tuple[str, ...] = ()) -> tuple[str, Any] | None:
        """The first tag found under the first of ``names`` that exists."""
        for name in names:
            hit = self.find(name, groups=groups)
            if hit:
                return next(iter(hit.items()))
        return None

    def has_group(self, *prefixes: str) -> bool:
        return any(tag_group(key).startswith(prefixes) for key, _ in self.items())


def clip_tags(tags: Mapping[str, Any], max_chars: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Tag values clipped to ``max_chars`` characters, and for each clipped one its
    full length and SHA-256 (so a ComfyUI workflow stays verifiable without being
    copied whole into every finding)."""
    clipped: dict[str, Any] = {}
    truncated: dict[str, Any] = {}

    def clip(key: str, value: Any) -> Any:
        plain = value if isinstance(value, (str, int, float, bool)) or value is None else as_text(value)
        if isinstance(plain, str) and len(plain) > max_chars:
            truncated[key] = {"chars": len(plain), "sha256": hashlib.sha256(plain.encode("utf-8")).hexdigest()}
            return plain[:max_chars] + "…"
        return plain

    for key in sorted(tags):
        value = tags[key]
        if isinstance(value, list):
            clipped[key] = [clip(f"{key}[{i}]", v) for i, v in enumerate(value)]
        else:
            clipped[key] = clip(key, value)
    return clipped, truncated


# -- vocabularies of software names -----------------------------------------------------


def _names(*alternatives: str) -> re.Pattern[str]:
    """Case-insensitive whole-word match of any of the regex ``alternatives``."""
    return re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(alternatives) + r")(?![A-Za-z0-9])", re.I)


# -- vocabularies ---------------------------------------------------------------------

# Image and video generators, as they name themselves in Software/CreatorTool/Encoder,
# C2PA claim generators and software agents.
GENERATOR_APPS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Stable Diffusion", _names(r"stable[ _-]?diffusion")),
    ("AUTOMATIC1111", _names(r"automatic1111", r"stable-diffusion-webui")),
    ("ComfyUI", _names("comfyui")),
    ("InvokeAI", _names(r"invoke[ -]?ai")),
    ("Fooocus", _names("fooocus")),
    ("NovelAI", _names("novelai")),
    ("Midjourney", _names("midjourney")),
    ("DALL-E", _names(r"dall[-·· ]?e(?: ?[23])?", "openai")),
    ("Adobe Firefly", _names(r"adobe[ _]firefly")),
    ("Google Imagen/Gemini", _names("imagen", r"gemini(?: flash)?(?: image)?", "nano[ -]banana")),
    ("Bing Image Creator", _names(r"bing image creator")),
    ("Leonardo.Ai", _names(r"leonardo[. ]?ai")),
    ("Ideogram", _names("ideogram")),
    ("Draw Things", _names(r"draw things")),
    ("DiffusionBee", _names("diffusionbee")),
    ("DreamStudio", _names("dreamstudio")),
    ("NightCafe", _names("nightcafe")),
    ("Craiyon", _names("craiyon")),
    ("SwarmUI", _names("swarmui")),
    ("Runway", _names("runwayml", r"runway gen-?\d")),
    ("Sora", _names("sora")),
    ("Kling AI", _names(r"kling(?: ?ai)?")),
    ("Pika", _names(r"pika(?: ?labs)?")),
    ("Luma Dream Machine", _names(r"luma(?: ?ai)?", r"dream machine")),
    ("StyleGAN", _names(r"stylegan\d?")),
    ("Artbreeder", _names("artbreeder")),
)

# Apps that swap, generate or reshape faces.
FACE_APPS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("FaceApp", _names("faceapp")),
    ("Reface", _names("reface")),
    ("DeepFaceLab", _names(r"deepface(?:lab|live)")),
    ("Faceswap", _names(r"face ?swap(?:per)?")),
    ("FaceFusion", _names("facefusion")),
    ("Roop", _names("roop")),
    ("Avatarify", _names("avatarify")),
    ("Zao", _names("zao")),
    ("Deep Nostalgia", _names(r"deep nostalgia", "myheritage")),
    ("Lensa", _names("lensa")),
    ("Remini", _names("remini")),
    ("Facetune", _names("facetune")),
    ("Meitu", _names("meitu")),
    ("YouCam", _names("youcam")),
    ("BeautyPlus", _names("beautyplus")),
)

# Image and video editors (editing is not deepfakery: these only give context).
EDITOR_APPS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Adobe Photoshop", _names("photoshop(?! lightroom)")),
    ("Adobe Lightroom", _names("lightroom")),
    ("Adobe Camera Raw", _names(r"camera raw")),
    ("GIMP", _names("gimp")),
    ("Affinity Photo", _names(r"affinity(?: photo)?")),
    ("Pixelmator", _names("pixelmator")),
    ("Paint.NET", _names(r"paint\.net")),
    ("Capture One", _names(r"capture ?one")),
    ("darktable", _names("darktable")),
    ("RawTherapee", _names("rawtherapee")),
    ("Snapseed", _names("snapseed")),
    ("Windows Photo Gallery", _names(r"photo gallery", r"microsoft photos")),
    ("Picasa", _names("picasa")),
    ("ACDSee", _names("acdsee")),
    ("GraphicConverter", _names("graphicconverter")),
    ("PaintShop Pro", _names(r"paint ?shop(?: pro)?", "corel")),
    ("Luminar", _names("luminar")),
    ("DxO", _names(r"dxo")),
    ("PhotoScape", _names("photoscape")),
    ("PicsArt", _names("picsart")),
    ("Canva", _names("canva")),
    ("VSCO", _names("vsco")),
    ("Krita", _names("krita")),
    ("Photopea", _names("photopea")),
    ("Polarr", _names("polarr")),
    ("Fotor", _names("fotor")),
    ("ImageMagick", _names("imagemagick")),
    ("IrfanView", _names("irfanview")),
    ("XnView", _names(r"xnview(?:mp)?")),
    ("iPhoto", _names("iphoto")),
    ("Canon Digital Photo Professional", _names(r"digital photo professional")),
    ("Nikon Capture NX", _names(r"capture nx(?:-?d|2)?")),
    ("Adobe Premiere", _names("premiere")),
    ("Adobe After Effects", _names(r"after effects")),
    ("Final Cut Pro", _names(r"final cut")),
    ("DaVinci Resolve", _names(r"davinci(?: resolve)?")),
    ("iMovie", _names("imovie")),
    ("CapCut", _names("capcut")),
    ("Kdenlive", _names("kdenlive")),
    ("Shotcut", _names("shotcut")),
    ("OpenShot", _names("openshot")),
    ("VEGAS", _names(r"vegas pro")),
    ("Filmora", _names("filmora")),
    ("Clipchamp", _names("clipchamp")),
)

# Software encoders/muxers whose tags show a video was (re-)encoded or re-muxed after
# capture; cameras and phones write their own names, not these.
TRANSCODERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("FFmpeg (libavformat)", _names(r"lavf\d*(?:\.\d+)*")),
    ("FFmpeg (libavcodec)", _names(r"lavc\d*(?:\.\d+)*")),
    ("FFmpeg", _names("ffmpeg")),
    ("x264", _names(r"(?:lib)?x264")),
    ("x265", _names(r"(?:lib)?x265")),
    ("HandBrake", _names("handbrake")),
    ("MEncoder", _names("mencoder")),
    ("Avidemux", _names("avidemux")),
    ("GPAC MP4Box", _names("gpac", "mp4box")),
    ("L-SMASH", _names("l-smash")),
    ("Bento4", _names("bento4")),
    ("mkvmerge", _names("mkvmerge", "libebml", "libmatroska")),
)

# Default track handler names written by muxing software (ffmpeg writes "VideoHandler").
MUXER_HANDLERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("FFmpeg", _names("videohandler", "soundhandler", "datahandler", "subtitlehandler")),
    ("GPAC MP4Box", _names("gpac")),
    ("L-SMASH", _names("l-smash")),
    ("MainConcept", _names("mainconcept")),
    ("Bento4", _names("bento4")),
    ("YouTube (Google)", re.compile(r"ISO Media file produced by Google", re.I)),
)

AI_SOURCE_TYPES = ("trainedalgorithmicmedia", "compositewithtrainedalgorithmicmedia")


def match_apps(text: str, apps: Iterable[tuple[str, re.Pattern[str]]]) -> list[str]:
    """Labels of the ``apps`` whose pattern occurs in ``text``."""
    return [label for label, pattern in apps if pattern.search(text)]


def generator_names(text: str) -> list[str]:
    """Generators and face apps named in ``text`` (used for C2PA claim generators too)."""
    return match_apps(text, GENERATOR_APPS + FACE_APPS)


def is_ai_source_type(value: Any) -> bool:
    """True for the IPTC digital source types of AI-generated media (URI or bare code)."""
    code = as_text(value).strip().rstrip("/").rsplit("/", 1)[-1].lower()
    return code.removeprefix("c2pa.") in AI_SOURCE_TYPES
