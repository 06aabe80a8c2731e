"""Rules of the metadata detector over one file's exiftool tags.

Every rule is a general fingerprint (how a generator, editor or muxer writes its
metadata), never a match on a particular file. Rules only report what is present:
absence of a tag is never turned into a signal for authenticity.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from forensics.detectors.metadata_signals import (
    EDITOR_APPS,
    FACE_APPS,
    GENERATOR_APPS,
    MUXER_HANDLERS,
    TRANSCODERS,
    Signal,
    SignalKind,
    TagView,
    as_text,
    generator_names,
    is_ai_source_type,
    match_apps,
    tag_group,
    tag_name,
)

# Tags in which software names itself.
SOFTWARE_TAGS = (
    "Software", "CreatorTool", "ProcessingSoftware", "HistorySoftwareAgent", "History",
    "Encoder", "EncodedBy", "WritingApp", "MuxingApp", "CompressorName", "Source",
)
# Tags in which a generator or platform labels a picture as AI-made.
LABEL_TAGS = ("Credit", "Title", "Source", "Software", "CreatorTool", "Headline", "ObjectName")
AI_LABEL = re.compile(
    r"(?<!not )(?<!no )\b(?:ai[- ]generated|generated (?:by|with) ai"
    r"|(?:made|created|imagined) (?:with|by|using) (?:\w+ )?ai)\b",
    re.I,
)

# A1111's parameter block ("Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: ..."), also
# written by Forge, SD.Next and the services that copy its format.
A1111_PARAMETERS = re.compile(r"\bSteps: \d+, Sampler: [^,\n]+,.*?\b(?:CFG scale|Seed): ", re.S)
# Keys of a diffusion run's parameters as generators store them in JSON.
GENERATION_KEYS = frozenset({
    "steps", "num_inference_steps", "seed", "sampler", "sampler_name", "scheduler", "cfg",
    "cfg_scale", "scale", "guidance_scale", "uc", "negative_prompt", "model_hash",
    "base_model", "denoise", "denoising_strength", "noise_schedule", "n_samples",
})
# PNG text-chunk keywords that only generators write (normalised: lower case, alphanumerics).
GENERATOR_CHUNKS = {
    "invokeaimetadata": "InvokeAI",
    "invokeaigraph": "InvokeAI",
    "invokeaiworkflow": "InvokeAI",
    "sdmetadata": "InvokeAI",
    "fooocusscheme": "Fooocus",
    "suiimageparams": "SwarmUI",
}
INVOKE_DREAM = re.compile(r"\s-S\s*\d+")  # legacy InvokeAI "Dream" chunk: a CLI line with -S SEED
# Midjourney's description: the prompt, its "--" parameters and the job's UUID.
MIDJOURNEY_JOB = re.compile(r"--\w+.*\bJob ID: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-", re.S | re.I)

UNNAMED = "unnamed diffusion tool"
# Tool names that identify the writer of a parameter JSON; other generator names could be
# words of the prompt ("a pika in the snow") and are not looked for inside it.
JSON_TOOL_MARKERS = tuple(app for app in GENERATOR_APPS if app[0] in {
    "AUTOMATIC1111", "ComfyUI", "InvokeAI", "Fooocus", "NovelAI", "SwarmUI", "Draw Things"})
MAX_JSON_CHARS = 4_000_000
GRAPH_DESCRIPTION = "PNG text chunk holding a ComfyUI node graph"


def _json_object(value: Any) -> dict[str, Any] | None:
    text = value.strip() if isinstance(value, str) else ""
    if not text.startswith("{") or len(text) > MAX_JSON_CHARS:
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _is_comfy_graph(obj: dict[str, Any]) -> bool:
    """ComfyUI's API prompt (nodes with class_type and inputs) or UI workflow (nodes + links)."""
    api = any(isinstance(v, dict) and "class_type" in v and "inputs" in v for v in obj.values())
    nodes = obj.get("nodes")
    ui = isinstance(nodes, list) and "links" in obj and any(isinstance(n, dict) and "type" in n for n in nodes)
    return api or ui


def _generation_keys(obj: dict[str, Any]) -> set[str]:
    keys = {k.lower() for k in obj}
    for nested in obj.values():
        if isinstance(nested, dict):
            keys |= {k.lower() for k in nested}
    return keys & GENERATION_KEYS


def _looks_like_generation_json(obj: dict[str, Any]) -> bool:
    keys = _generation_keys(obj)
    has_steps_or_sampler = bool(keys & {"steps", "num_inference_steps", "sampler", "sampler_name", "scheduler"})
    return len(keys) >= 3 and has_steps_or_sampler


def _normalise_key(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", tag_name(key).lower())


def _fingerprint(key: str, value: Any) -> tuple[str, str] | None:
    """(generator, description) when this one tag is a generator's own record."""
    chunk = _normalise_key(key) if tag_group(key).startswith("PNG") else ""
    if chunk in GENERATOR_CHUNKS:
        generator = GENERATOR_CHUNKS[chunk]
        return generator, f"PNG text chunk '{tag_name(key)}' written only by {generator}"
    if chunk == "dream" and INVOKE_DREAM.search(as_text(value)):
        return "InvokeAI", "PNG 'Dream' chunk with an InvokeAI command line"
    if not isinstance(value, str):
        return None
    if MIDJOURNEY_JOB.search(value):
        return "Midjourney", "Midjourney prompt parameters and Job ID"
    if A1111_PARAMETERS.search(value):
        return ("AUTOMATIC1111-compatible",
                "AUTOMATIC1111-format generation parameters (Steps, Sampler, CFG scale, Seed)")
    obj = _json_object(value)
    if obj is None:
        return None
    if _is_comfy_graph(obj):
        return "ComfyUI", GRAPH_DESCRIPTION
    if _looks_like_generation_json(obj):
        named = match_apps(value[:20000], JSON_TOOL_MARKERS)
        keys = ", ".join(sorted(_generation_keys(obj)))
        return (named[0] if named else UNNAMED), f"JSON generation parameters ({keys})"
    return None


# -- rules ------------------------------------------------------------------------------


def _parameter_chunks(view: TagView) -> dict[str, tuple[str, str]]:
    """PNG text chunks named after generation parameters, one per parameter (Easy
    Diffusion and other tools write "prompt", "seed", "num_inference_steps"... apart)."""
    normalised = {_normalise_key(k) for k in GENERATION_KEYS}
    chunks = [key for key, _ in view.items()
              if tag_group(key).startswith("PNG") and _normalise_key(key) in normalised]
    if len(chunks) < 3:
        return {}
    return dict.fromkeys(chunks, (UNNAMED, "PNG text chunks named after generation parameters"))


def generator_fingerprint(view: TagView) -> list[Signal]:
    hits = {key: fp for key, value in view.items() if (fp := _fingerprint(key, value))}
    hits = {**_parameter_chunks(view), **hits}
    if not hits:
        return []
    # A bare parameter block names no tool; the file's software tags or chunks often do.
    named = {g for g, _ in hits.values() if g != UNNAMED}
    named |= set(generator_names(" ".join(_software_tags(view).values())))
    generators = sorted(named) or [UNNAMED]
    descriptions = sorted({d for _, d in hits.values()})
    return [Signal(
        name="generator_fingerprint",
        kind=SignalKind.GENERATOR,
        reason=(f"Generator fingerprint ({'; '.join(descriptions)}) naming {', '.join(generators)}: "
                "the generator's own record that it made the file."),
        tags={key: view_value for key, view_value in view.items() if key in hits},
        facts={"generators": generators, "fingerprints": descriptions},
    )]


def digital_source_type(view: TagView) -> list[Signal]:
    # CBOR is exiftool's raw view of a C2PA store: the C2PA reader validates and reports it.
    tags = {k: v for k, v in view.find("DigitalSourceType", "DigitalSourceFileType").items()
            if tag_group(k) != "CBOR"}
    if not tags:
        return []
    ai = {k: v for k, v in tags.items() if is_ai_source_type(v)}
    if ai:
        return [Signal(
            name="digital_source_type",
            kind=SignalKind.GENERATOR,
            reason=("The embedded IPTC/XMP DigitalSourceType declares trained algorithmic (AI) media: "
                    "the file declares itself AI-generated or to contain AI-generated parts."),
            tags=ai,
        )]
    declared = ", ".join(sorted({as_text(v) for v in tags.values()}))
    return [Signal(
        name="digital_source_type",
        kind=SignalKind.CONTEXT,
        reason=(f"The embedded DigitalSourceType declares {declared}; this is an unauthenticated "
                "statement that anyone can write and proves nothing about authenticity."),
        tags=tags,
    )]


def _software_tags(view: TagView) -> dict[str, str]:
    return {k: as_text(v) for k, v in view.find(*SOFTWARE_TAGS).items()}


def _app_signal(
    view: TagView,
    apps: tuple[tuple[str, re.Pattern[str]], ...],
    build: Callable[[list[str], dict[str, Any]], Signal],
) -> list[Signal]:
    hits = {k: v for k, v in _software_tags(view).items() if match_apps(v, apps)}
    if not hits:
        return []
    names = sorted({n for v in hits.values() for n in match_apps(v, apps)})
    return [build(names, hits)]


def generator_software(view: TagView) -> list[Signal]:
    def build(names: list[str], hits: dict[str, Any]) -> Signal:
        face = sorted(set(names) & {label for label, _ in FACE_APPS})
        return Signal(
            name="generator_software",
            kind=SignalKind.GENERATOR,
            reason=(f"A software tag names {', '.join(names)}"
                    + (" (face-manipulation app)" if face else " (media generator)")
                    + ": that software declares it generated the file or altered its faces."),
            tags=hits,
            facts={"generators": names, "face_apps": face},
        )
    return _app_signal(view, GENERATOR_APPS + FACE_APPS, build)


def ai_label(view: TagView) -> list[Signal]:
    hits = {k: v for k, v in view.find(*LABEL_TAGS).items() if AI_LABEL.search(as_text(v))}
    if not hits:
        return []
    return [Signal(
        name="ai_label",
        kind=SignalKind.GENERATOR,
        reason="A title or credit tag labels the picture as AI-generated.",
        tags=hits,
    )]


def editing_software(view: TagView) -> list[Signal]:
    def build(names: list[str], hits: dict[str, Any]) -> Signal:
        history = view.find("HistoryAction", "HistoryWhen", "HistoryParameters", groups=("XMP-xmpMM",))
        return Signal(
            name="editing_software",
            kind=SignalKind.CONTEXT,
            reason=(f"Software/CreatorTool/History tags name the editor(s) {', '.join(names)}: the file was "
                    "opened and saved by editing software. Editing alone is not evidence of a deepfake."),
            tags={**hits, **history},
            facts={"editors": names},
        )
    return _app_signal(view, EDITOR_APPS, build)


_DATE = re.compile(r"(\d{4}):(\d\d):(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)?")


def parse_date(value: Any) -> tuple[datetime, timedelta | None] | None:
    """An exiftool date as (local wall-clock time, UTC offset or None); None if unset."""
    m = _DATE.match(as_text(value).strip())
    if not m or m.group(1) == "0000":
        return None
    try:
        year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
        wall = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    zone = m.group(7)
    if zone is None:
        return wall, None
    if zone == "Z":
        return wall, timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    return wall, sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))


def _seconds_between(earlier: Any, later: Any) -> float | None:
    a, b = parse_date(earlier), parse_date(later)
    if a is None or b is None:
        return None
    if a[1] is not None and b[1] is not None:  # both zoned: compare instants
        return ((b[0] - b[1]) - (a[0] - a[1])).total_seconds()
    return (b[0] - a[0]).total_seconds()  # otherwise both are camera wall-clock times


# (capture tag, modification tag) pairs written by the same writer, in order of preference.
DATE_PAIRS = (
    (("ExifIFD", "DateTimeOriginal"), ("IFD0", "ModifyDate")),
    (("XMP-exif", "DateTimeOriginal"), ("XMP-xmp", "ModifyDate")),
    (("ExifIFD", "DateTimeOriginal"), ("XMP-xmp", "ModifyDate")),
    (("QuickTime", "CreateDate"), ("QuickTime", "ModifyDate")),
)


def _human(seconds: float) -> str:
    s = abs(seconds)
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if s >= size:
            return f"{s / size:.1f} {unit}"
    return f"{s:.0f} seconds"


def date_inconsistency(view: TagView, tolerance_s: float) -> list[Signal]:
    for (g1, n1), (g2, n2) in DATE_PAIRS:
        original, modified = view.first(n1, groups=(g1,)), view.first(n2, groups=(g2,))
        if original is None or modified is None:
            continue
        delta = _seconds_between(original[1], modified[1])
        if delta is None:
            continue
        if abs(delta) <= tolerance_s:
            return []
        if delta > 0:
            what = (f"{modified[0]} is {_human(delta)} later than {original[0]}: the file was rewritten "
                    "after capture (editing, import or metadata tools). This is not evidence of a deepfake.")
        else:
            what = (f"{modified[0]} is {_human(delta)} earlier than {original[0]}: the dates contradict each "
                    "other (clock error or rewritten metadata).")
        return [Signal(
            name="date_inconsistency",
            kind=SignalKind.CONTEXT,
            reason=what,
            tags=dict((original, modified)),
            facts={"seconds_modified_after_original": delta},
        )]
    return []


# Exposure fields only a capture device fills in.
CAPTURE_TAGS = ("ExposureTime", "FNumber", "ISO", "FocalLength", "ApertureValue",
                "ShutterSpeedValue", "LensModel", "DateTimeOriginal")
CAPTURE_GROUPS = ("ExifIFD", "XMP-exif", "XMP-exifEX", "XMP-aux")


def camera_origin(view: TagView) -> list[Signal]:
    capture = view.find(*CAPTURE_TAGS, groups=CAPTURE_GROUPS)
    if len({tag_name(k) for k in capture}) < 2:
        return []
    make, model = view.find("Make"), view.find("Model")
    if make and model:
        return []
    missing = " and ".join(n for n, present in (("Make", make), ("Model", model)) if not present)
    return [Signal(
        name="camera_origin",
        kind=SignalKind.CONTEXT,
        reason=(f"The file carries camera exposure data but no camera {missing}: the identifying tags were "
                "stripped or rewritten, or the device does not write them."),
        tags={**capture, **make, **model},
        facts={"missing": missing.split(" and ")},
    )]


def file_structure(view: TagView) -> list[Signal]:
    # exiftool marks harmless quirks "[minor]"; the rest are damage to the file's structure.
    serious = sorted({w for w in view.warnings if not w.startswith("[minor]")})
    if not serious:
        return []
    return [Signal(
        name="file_structure",
        kind=SignalKind.CONTEXT,
        reason=f"exiftool reports structural damage: {'; '.join(serious)} (truncated or altered file).",
        tags={"ExifTool:Warning": serious},
    )]


# -- video containers -----------------------------------------------------------------


def video_reencode(view: TagView) -> list[Signal]:
    tags = view.find("Encoder", "CompressorName", "WritingApp", "MuxingApp", "Software", "EncodedBy")
    hits = {k: v for k, v in tags.items() if match_apps(as_text(v), TRANSCODERS)}
    if not hits:
        return []
    tools = sorted({n for v in hits.values() for n in match_apps(as_text(v), TRANSCODERS)})
    return [Signal(
        name="video_reencode",
        kind=SignalKind.CONTEXT,
        reason=(f"Encoder tags name {', '.join(tools)}: the video was encoded or re-muxed by software after "
                "capture (platform uploads do this too). Re-encoding alone is not evidence of a deepfake."),
        tags=hits,
        facts={"tools": tools},
    )]


def video_handler(view: TagView) -> list[Signal]:
    handlers = view.find("HandlerDescription", "HandlerName")
    muxers = sorted({n for v in handlers.values() for n in match_apps(as_text(v), MUXER_HANDLERS)})
    if not muxers:
        return []
    return [Signal(
        name="video_handler",
        kind=SignalKind.CONTEXT,
        reason=(f"Track handler names are the defaults of {', '.join(muxers)}: the container was written "
                "by that software, not by the recording device."),
        tags=handlers,
        facts={"muxers": muxers},
    )]


# Where each container format keeps its creation time (formats not listed have none).
CREATION_TIME_TAGS = (("QuickTime", "CreateDate"), ("Matroska", "DateTimeOriginal"))


def video_creation_time(view: TagView) -> list[Signal]:
    for group, name in CREATION_TIME_TAGS:
        if not view.has_group(group):
            continue
        created = view.first(name, groups=(group,))
        if created is not None and parse_date(created[1]) is not None:
            return []
        return [Signal(
            name="video_creation_time",
            kind=SignalKind.CONTEXT,
            reason=("The container has no creation time (absent or zero); recording devices set it, while "
                    "ffmpeg and many converters leave it empty unless told otherwise."),
            tags=dict([created]) if created else {f"{group}:{name}": None},
        )]
    return []


# -- embedded thumbnail ---------------------------------------------------------------

THUMB_GRID = 16  # both pictures are compared as 16x16 grey grids
DARK_BORDER = 12.0  # mean grey level under which an edge row/column is letterbox padding
PIXEL_ERRORS = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


def _trim_letterbox(grey: np.ndarray) -> np.ndarray:
    """Drop the black bars cameras add when the thumbnail's aspect differs from the image's."""
    rows = np.flatnonzero(grey.mean(axis=1) > DARK_BORDER)
    cols = np.flatnonzero(grey.mean(axis=0) > DARK_BORDER)
    if rows.size < 2 or cols.size < 2:
        return grey
    return grey[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]


def _grid(grey: np.ndarray) -> np.ndarray:
    image = Image.fromarray(grey.astype(np.uint8))
    return np.asarray(image.resize((THUMB_GRID, THUMB_GRID), Image.Resampling.BOX), dtype=np.float64).ravel()


def _load_pair(path: Path, offset: int, length: int) -> tuple[np.ndarray, np.ndarray, tuple[int, int]] | None:
    """(thumbnail grey, main image grey at reduced scale, main image's full size)."""
    with path.open("rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
    if len(data) != length:
        return None
    with Image.open(io.BytesIO(data)) as thumb_image:
        thumb = np.asarray(thumb_image.convert("L"), dtype=np.float64)
    with Image.open(path) as main_image:
        size = main_image.size
        if main_image.format == "JPEG":  # decode at reduced scale: only a coarse grid is needed
            main_image.draft("L", (thumb.shape[1] * 2, thumb.shape[0] * 2))
        main = np.asarray(main_image.convert("L"), dtype=np.float64)
    return thumb, main, size


def thumbnail_mismatch(path: Path, view: TagView, min_correlation: float) -> list[Signal]:
    """Compare the EXIF (IFD1) thumbnail with the main image: editors that change the
    pixels often leave the camera's thumbnail behind."""
    offset = view.first("ThumbnailOffset", groups=("IFD1",))
    length = view.first("ThumbnailLength", groups=("IFD1",))
    if offset is None or length is None:
        return []
    try:
        pair = _load_pair(path, int(offset[1]), int(length[1]))
    except PIXEL_ERRORS:
        return []  # an undecodable picture is reported by the decoding detectors, not here
    if pair is None:
        return []
    thumb, main, size = pair
    facts: dict[str, Any] = {"thumbnail_size": [thumb.shape[1], thumb.shape[0]], "image_size": list(size)}
    if size[1] < thumb.shape[0] and size[0] < thumb.shape[1]:
        why = "the main image is smaller than its own thumbnail, so it was replaced or cut down"
    else:
        thumb, main = _trim_letterbox(thumb), _trim_letterbox(main)
        aspect_t, aspect_m = thumb.shape[1] / thumb.shape[0], main.shape[1] / main.shape[0]
        a, b = _grid(thumb), _grid(main)
        if a.std() < 1.0 or b.std() < 1.0:
            return []  # a flat picture has no content to compare
        correlation = float(np.corrcoef(a, b)[0, 1])
        facts["correlation"] = round(correlation, 3)
        if abs(np.log(aspect_t / aspect_m)) > 0.15:
            why = f"their aspect ratios differ ({aspect_t:.2f} vs {aspect_m:.2f})"
        elif correlation < min_correlation:
            why = f"their content differs (correlation {correlation:.2f} < {min_correlation})"
        else:
            return []
    return [Signal(
        name="thumbnail_mismatch",
        kind=SignalKind.CONTEXT,
        reason=(f"The embedded EXIF thumbnail does not match the main image: {why}. The pixels were changed "
                "after the thumbnail was written (editing); this is not evidence of a deepfake by itself."),
        tags={**dict([offset]), **dict([length])},
        facts=facts,
    )]


def tag_rules(view: TagView, *, kind: str, date_tolerance_s: float) -> list[Signal]:
    """All tag-only rules for one file, in a fixed order (findings are ordered by it)."""
    signals = [
        *generator_fingerprint(view),
        *generator_software(view),
        *ai_label(view),
        *digital_source_type(view),
        *editing_software(view),
        *date_inconsistency(view, date_tolerance_s),
        *file_structure(view),
    ]
    if kind == "video":
        signals += [*video_reencode(view), *video_handler(view), *video_creation_time(view)]
    else:
        signals += camera_origin(view)
    return signals
