"""ISO base media (MP4) and QuickTime container structure, read from the file's boxes.

Every writer lays out its boxes in its own way: a camera's firmware writes a fixed order
of top-level boxes, its own brands, handler names and encoder strings; a re-encoder or
remuxer (FFmpeg's libavformat, platform transcoders) writes its own. ``read_layout``
walks the box tree (sizes checked against the file, depth and count bounded, nothing
decoded) and keeps what identifies the writer; ``writer_signature`` matches the layout
against ``KNOWN_WRITERS``: software whose traces are unambiguous in the structure.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"dinf", b"meta", b"ilst",
                        b"mvex", b"moof", b"traf"})
PADDING = frozenset({"free", "skip", "wide"})  #: space reserved for later edits, not layout
_DEVICE_BOXES = (b"\xa9mak", b"\xa9mod", b"\xa9inf")
_DEVICE_KEYS = frozenset({"com.apple.quicktime.make", "com.apple.quicktime.model"})
_ENCODER_KEYS = frozenset({"encoder"})  # FFmpeg writes it with -movflags use_metadata_tags
MAX_BOXES = 10_000
MAX_DEPTH = 8
MAX_BOX_READ = 1 << 20  #: a leaf box read whole only up to this size (hdlr, ftyp, strings)


class ContainerError(ValueError):
    """The box structure is damaged (a size that runs past the file, a loop...)."""


@dataclass
class Layout:
    """What identifies the writer of an MP4/QuickTime file."""

    major_brand: str = ""
    compatible_brands: list[str] = field(default_factory=list)
    top_level: list[str] = field(default_factory=list)  #: top-level box types in file order
    handlers: list[str] = field(default_factory=list)  #: hdlr handler names in order
    encoders: list[str] = field(default_factory=list)  #: encoder strings (©too, ©swr, Lavf...)
    movie_timescale: int | None = None
    vendors: list[str] = field(default_factory=list)  #: hdlr manufacturer and sample-entry vendor codes
    codecs: list[str] = field(default_factory=list)  #: sample-entry formats (avc1, jpeg, mp4a...)
    user_data: list[str] = field(default_factory=list)  #: box types inside moov/udta, in order
    device_strings: list[str] = field(default_factory=list)  #: ©mak, ©mod, ©inf texts (the claimed device)
    metadata_keys: list[str] = field(default_factory=list)  #: QuickTime 'keys' names (mdta), in order
    boxes: int = 0

    def signature(self) -> dict[str, object]:
        """What a device's firmware writes the same way every time (``DEVICE_FIELDS``):
        compared whole with a reference device's."""
        return {
            "major_brand": self.major_brand, "compatible_brands": self.compatible_brands,
            "top_level": [k for k in self.top_level if k not in PADDING], "handlers": self.handlers,
            "vendors": sorted(set(self.vendors)), "codecs": self.codecs, "movie_timescale": self.movie_timescale,
        }


def _text(data: bytes) -> str:
    return data.split(b"\x00", 1)[0].decode("utf-8", "replace").strip()


def read_layout(path: Path) -> Layout:
    """The layout of an MP4/QuickTime file; ``ContainerError`` when its boxes are damaged."""
    layout = Layout()
    size = path.stat().st_size
    with path.open("rb") as handle:
        _walk(handle, 0, size, 0, layout)
    if not layout.top_level:
        raise ContainerError("no ISO base media box found")
    return layout


def _walk(handle: BinaryIO, start: int, end: int, depth: int, layout: Layout, parent: bytes = b"") -> None:
    position = start
    while position + 8 <= end:
        layout.boxes += 1
        if layout.boxes > MAX_BOXES:
            raise ContainerError(f"more than {MAX_BOXES} boxes")
        handle.seek(position)
        header = handle.read(8)
        box_size, kind = struct.unpack(">I4s", header)
        header_size = 8
        if box_size == 1:
            box_size = struct.unpack(">Q", handle.read(8))[0]
            header_size = 16
        elif box_size == 0:
            box_size = end - position
        if box_size < header_size or position + box_size > end:
            raise ContainerError(f"box {kind!r} at offset {position} declares {box_size} bytes, past its parent")
        if depth == 0:
            layout.top_level.append(kind.decode("latin-1"))
        elif depth == 2 and parent == b"udta":
            layout.user_data.append(kind.decode("latin-1"))
        body_start, body_end = position + header_size, position + box_size
        if kind in CONTAINERS and depth < MAX_DEPTH:
            skip = 4 if kind == b"meta" and _is_full_meta(handle, body_start) else 0
            _walk(handle, body_start + skip, body_end, depth + 1, layout, kind)
        elif box_size - header_size <= MAX_BOX_READ:
            handle.seek(body_start)
            _leaf(kind, handle.read(body_end - body_start), layout)
        position += box_size
    if depth == 0 and position < end and end - position >= 8:
        raise ContainerError(f"{end - position} trailing bytes after the last box")


def _is_full_meta(handle: BinaryIO, body_start: int) -> bool:
    """ISO 'meta' is a full box (4 bytes of version and flags before its children);
    QuickTime's starts with a child box at once."""
    handle.seek(body_start)
    return handle.read(8)[4:8] not in (b"hdlr", b"keys", b"ilst")


def _leaf(kind: bytes, body: bytes, layout: Layout) -> None:
    if kind == b"ftyp" and len(body) >= 8:
        layout.major_brand = body[:4].decode("latin-1")
        layout.compatible_brands = [body[i:i + 4].decode("latin-1") for i in range(8, len(body) - 3, 4)]
    elif kind == b"hdlr" and len(body) >= 24:
        _vendor(body[12:16], layout)
        name = body[24:]
        if name and name[0] == len(name) - 1:  # QuickTime: a Pascal string
            name = name[1:]
        if _text(name):
            layout.handlers.append(_text(name))
    elif kind == b"mvhd" and len(body) >= 20:
        layout.movie_timescale = struct.unpack(">I", body[20:24] if body[0] == 1 else body[12:16])[0]
    elif kind in (b"\xa9too", b"\xa9swr", b"\xa9enc") and _ilst_text(body):
        layout.encoders.append(_ilst_text(body))
    elif kind in _DEVICE_BOXES and _ilst_text(body):
        layout.device_strings.append(_ilst_text(body))
    elif kind == b"stsd":
        _sample_entries(body, layout)
    elif kind == b"keys":
        layout.metadata_keys = _key_names(body)
    elif 0 < (index := int.from_bytes(kind, "big")) <= len(layout.metadata_keys) and _ilst_text(body):
        _keyed_item(layout.metadata_keys[index - 1], _ilst_text(body), layout)


def _key_names(body: bytes) -> list[str]:
    """A QuickTime 'keys' box: version and flags, a count, then (size, namespace, name)
    entries; ilst items refer to them by 1-based index."""
    names, position = [], 8
    while position + 8 <= len(body):
        size = struct.unpack(">I", body[position:position + 4])[0]
        if size < 8 or position + size > len(body):
            break
        names.append(body[position + 8:position + size].decode("utf-8", "replace"))
        position += size
    return names


def _keyed_item(key: str, value: str, layout: Layout) -> None:
    """What a keyed (mdta) item says of the writer: the device Apple's cameras name in
    com.apple.quicktime.make/model, or the encoder software names."""
    if key in _DEVICE_KEYS:
        layout.device_strings.append(value)
    elif key in _ENCODER_KEYS:
        layout.encoders.append(value)


def _vendor(code: bytes, layout: Layout) -> None:
    if code.strip(b"\x00 "):
        layout.vendors.append(code.decode("latin-1"))


def _sample_entries(body: bytes, layout: Layout) -> None:
    """Each sample entry's format, and its vendor (QuickTime video and sound entries; ISO
    files leave the field zero)."""
    position = 8  # version, flags, entry count
    while position + 16 <= len(body):
        size = struct.unpack(">I", body[position:position + 4])[0]
        layout.codecs.append(body[position + 4:position + 8].decode("latin-1"))
        if size >= 24:
            _vendor(body[position + 20:position + 24], layout)
        if size < 8:
            break
        position += size


def _ilst_text(body: bytes) -> str:
    """An iTunes-style item ('data' box inside) or a QuickTime user-data string."""
    if len(body) >= 16 and body[4:8] == b"data":
        return _text(body[16:])
    if len(body) >= 4:
        return _text(body[4:])  # QuickTime: 2 bytes length, 2 bytes language
    return ""


@dataclass(frozen=True)
class Writer:
    """Software or a device family whose traces in the structure are unambiguous."""

    name: str
    kind: str  #: "re-encoder" (software that rewrote the file) or "device"
    evidence: str  #: what in the layout shows it


def writer_signature(layout: Layout) -> list[Writer]:
    """The known writers whose traces the layout carries (re-encoders first)."""
    found: list[Writer] = []
    for encoder in layout.encoders:
        if encoder.startswith("Lavf"):
            found.append(Writer(f"FFmpeg (libavformat {encoder[4:]})", "re-encoder", f"encoder string '{encoder}'"))
        elif encoder.lower().startswith("handbrake"):
            found.append(Writer(encoder, "re-encoder", f"encoder string '{encoder}'"))
    if any(h.startswith("L-SMASH") for h in layout.handlers):
        found.append(Writer("L-SMASH muxer", "re-encoder", "handler names 'L-SMASH ...'"))
    if "FFMP" in layout.vendors and not found:
        found.append(Writer("FFmpeg (libavformat)", "re-encoder", "sample-entry vendor 'FFMP'"))
    if not found and {"VideoHandler", "SoundHandler"} & set(layout.handlers):
        found.append(Writer("FFmpeg (libavformat)", "re-encoder", "libavformat's default handler names"))
    if any(h.startswith("Core Media") for h in layout.handlers):
        # FFmpeg copies handler names when it remuxes: Apple's survive a rewrite
        found.append(Writer("Apple Core Media (iPhone, iPad, macOS)", "device",
                            "handler names 'Core Media Video/Audio'"))
    return found
