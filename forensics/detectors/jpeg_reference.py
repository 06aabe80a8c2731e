"""Which encoder wrote a JPEG's quantization tables, by exiftool's JPEGDigest table, and
whether that fits the camera the EXIF names.

``jpeg_digest`` computes the digest exactly as ExifTool's JPEGDigest does (tests compare
it with ``exiftool -JPEGDigest``); ``DigestTable`` is the table shipped in
``forensics/data/jpeg_digests.json``, built from exiftool's own module by
``scripts/jpeg_digest_table.py`` (its ``source`` says which version). ``compare`` puts
the encoders the table names beside the EXIF's Make and Model:

- ``camera_match``: the tables are a known encoder of a camera of the claimed make;
- ``software``: the tables are a software encoder's (the IJG library at quality q,
  Photoshop...) although the EXIF names a camera: the picture was saved again by
  software (some cameras and phones use IJG tables too, which the table names where
  known: "Quality 60; Pentax Better");
- ``other_device``: a camera encoder of another make; device tables collide across
  makes (quality-adaptive firmware), so this is recorded, not concluded on;
- ``no_camera``: the table names an encoder, the EXIF names no camera;
- ``no_reference``: the digest is not in the table.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from forensics.pinned import shipped_file

TABLE_FILE = "jpeg_digests.json"
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # frame headers (not DHT, JPG, DAC)
_SOS, _EOI = 0xDA, 0xD9


def jpeg_digest(data: bytes) -> str | None:
    """ExifTool's JPEGDigest key of a JPEG's bytes before its ``:subsampling`` suffix is
    decided (``DigestTable.lookup`` decides it), as (md5, subsampling); None where
    exiftool computes none (no DQT, or not 3 components)."""
    parsed = _dqt_and_sampling(data)
    if parsed is None:
        return None
    segments, sampling = parsed
    md5 = hashlib.md5(b"\x00".join(segments[i] for i in sorted(segments)), usedforsecurity=False).hexdigest()
    return f"{md5}:{sampling}"


def _dqt_and_sampling(data: bytes) -> tuple[dict[int, bytes], str] | None:
    """The DQT segment bodies by table index and the components' sampling factors (hex),
    read from the markers before the first scan, as exiftool keeps them."""
    if data[:2] != b"\xff\xd8":
        return None
    segments: dict[int, bytes] = {}
    sampling = ""
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in (_SOS, _EOI):
            break
        length = struct.unpack(">H", data[position + 2:position + 4])[0]
        body = data[position + 4:position + 2 + length]
        if marker == 0xDB and body:
            index = body[0] & 0x0F
            if index < 4:
                segments[index] = body  # a later segment with the same index replaces it
        elif marker in _SOF and len(body) >= 15 and body[5] == 3:
            sampling = "".join(f"{body[7 + 3 * i]:02x}" for i in range(3))
        position += 2 + length
    if not segments or not sampling:
        return None
    return segments, sampling


@dataclass(frozen=True)
class Encoder:
    """One name the table gives a digest."""

    name: str  #: e.g. "Independent JPEG Group library (used by many applications), Quality 75"
    kind: str  #: "software" or "device" (the section of exiftool's module it is listed in)


@dataclass(frozen=True)
class Comparison:
    """The table's encoders for the file's digest, beside the camera the EXIF names."""

    digest: str | None  #: the JPEGDigest key as exiftool prints it (with ':subsampling' when needed)
    encoders: tuple[Encoder, ...]  #: every name the table gives the digest (empty: not listed)
    outcome: str  #: camera_match | software | other_device | no_camera | no_reference


class DigestTable:
    """ExifTool's digest table as shipped (``source`` says where it came from)."""

    def __init__(self, path: Path) -> None:
        raw = path.read_bytes()
        table = json.loads(raw)
        self.path = path
        self.sha256 = hashlib.sha256(raw).hexdigest()
        self.source: dict[str, str] = table["source"]
        self._entries: dict[str, list[list[str]]] = table["entries"]

    def lookup(self, key: str | None) -> tuple[str | None, tuple[Encoder, ...]]:
        """The printed digest (bare where the bare MD5 is listed, as exiftool does) and
        its encoders."""
        if key is None:
            return None, ()
        bare = key.split(":", 1)[0]
        printed = bare if bare in self._entries else key
        return printed, tuple(Encoder(name, kind) for kind, name in self._entries.get(printed, ()))

    def compare(self, data: bytes, make: str, model: str) -> Comparison:
        digest, encoders = self.lookup(jpeg_digest(data))
        return Comparison(digest, encoders, _outcome(encoders, make, model))


@functools.cache
def shipped_table() -> DigestTable:
    return DigestTable(shipped_file(TABLE_FILE))


def make_word(make: str) -> str:
    """The brand a Make tag names, as one lower-case word ("NIKON CORPORATION" -> "nikon",
    "KONICA MINOLTA" -> "konica")."""
    words = re.findall(r"[a-z0-9]+", make.lower())
    return words[0] if words else ""


def _device_names(encoders: Sequence[Encoder]) -> list[str]:
    """The cameras the table names: device entries, and the cameras a software entry adds
    after ';' ("IJG ..., Quality 60; Pentax Better"); software that bears a camera
    maker's name ("Canon ZoomBrowser EX") is not a camera."""
    names = [e.name for e in encoders if e.kind == "device"]
    return names + [part for e in encoders if e.kind == "software" for part in e.name.split(";")[1:]]


def _outcome(encoders: Sequence[Encoder], make: str, model: str) -> str:
    if not encoders:
        return "no_reference"
    if not (make or model):
        return "no_camera"
    brand = make_word(make) or make_word(model)
    if any(brand in re.findall(r"[a-z0-9]+", name.lower()) for name in _device_names(encoders)):
        return "camera_match"
    if any(e.kind == "software" for e in encoders):
        return "software"
    return "other_device"
