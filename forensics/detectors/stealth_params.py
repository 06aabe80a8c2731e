"""Generation parameters hidden in pixels' least significant bits ("stealth" PNG info).

AUTOMATIC1111-compatible tools (the stealth-pnginfo extension, and readers such as
sd-parsers and stable-diffusion-prompt-reader) can write the generation parameters into
the pixels instead of the tags, so that they survive tag stripping:

- the least significant bit of the alpha channel ("alpha" carrier), or of R, G and B in
  turn ("rgb" carrier), read column by column (x outer, y inner);
- a 15-byte signature: ``stealth_pnginfo`` / ``stealth_pngcomp`` (alpha, plain / gzip) or
  ``stealth_rgbinfo`` / ``stealth_rgbcomp`` (RGB);
- a 32-bit big-endian length of the payload in bits, then the payload (UTF-8 text, or
  gzip-compressed UTF-8 text).

``read_stealth`` finds and decodes such a block; ``write_stealth`` writes one (tests make
their known answers with it). Only a lossless file keeps the bits: any JPEG or resize
destroys them, so their absence proves nothing.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass

import numpy as np

SIGNATURES = {
    b"stealth_pnginfo": ("alpha", False),
    b"stealth_pngcomp": ("alpha", True),
    b"stealth_rgbinfo": ("rgb", False),
    b"stealth_rgbcomp": ("rgb", True),
}
_SIGNATURE_BITS = 15 * 8
_LENGTH_BITS = 32
MAX_PAYLOAD_BITS = 8 * 4 * 1024 * 1024  #: a declared payload above 4 MiB is not a parameter block


@dataclass(frozen=True)
class StealthBlock:
    """A decoded block: which carrier, whether it was compressed, its text."""

    carrier: str  #: "alpha" or "rgb"
    compressed: bool
    text: str
    payload_bytes: int


def _carrier_bits(pixels: np.ndarray, carrier: str) -> np.ndarray:
    """The carrier's LSBs in reading order (column by column; R, G, B within a pixel)."""
    columns = np.ascontiguousarray(pixels.transpose(1, 0, 2))  # (width, height, channels)
    channels = columns[:, :, 3] if carrier == "alpha" else columns[:, :, :3]
    return (channels & 1).astype(np.uint8).ravel()


def _bytes(bits: np.ndarray) -> bytes:
    return np.packbits(bits).tobytes()


class StealthFormatError(ValueError):
    """A signature was found but what follows is not a readable block."""


def read_stealth(pixels: np.ndarray) -> StealthBlock | None:
    """The block hidden in ``pixels`` (H x W x 3 or 4 uint8), or None when no carrier
    starts with a signature. Raises ``StealthFormatError`` for a signature followed by a
    truncated or undecodable payload (itself worth reporting)."""
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.dtype != np.uint8:
        return None
    carriers = ("alpha", "rgb") if pixels.shape[2] == 4 else ("rgb",)
    for carrier in carriers:
        bits = _carrier_bits(pixels, carrier)
        if len(bits) < _SIGNATURE_BITS + _LENGTH_BITS:
            continue
        found = SIGNATURES.get(_bytes(bits[:_SIGNATURE_BITS]))
        if found is None or found[0] != carrier:
            continue
        compressed = found[1]
        start = _SIGNATURE_BITS + _LENGTH_BITS
        length = int.from_bytes(_bytes(bits[_SIGNATURE_BITS:start]), "big")
        if length == 0 or length % 8 or length > MAX_PAYLOAD_BITS or start + length > len(bits):
            raise StealthFormatError(f"{carrier} carrier: signature found, but the declared payload of "
                                     f"{length} bits does not fit the image")
        payload = _bytes(bits[start:start + length])
        try:
            raw = gzip.decompress(payload) if compressed else payload
            text = raw.decode("utf-8")
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
            raise StealthFormatError(f"{carrier} carrier: signature found, but the payload does not "
                                     f"decode: {exc}") from exc
        return StealthBlock(carrier, compressed, text, len(payload))
    return None


def write_stealth(pixels: np.ndarray, text: str, *, carrier: str = "alpha", compressed: bool = False) -> np.ndarray:
    """A copy of ``pixels`` carrying ``text`` in the given carrier (as the extension writes it)."""
    signature = next(s for s, (c, z) in SIGNATURES.items() if c == carrier and z == compressed)
    payload = gzip.compress(text.encode("utf-8"), mtime=0) if compressed else text.encode("utf-8")
    message = signature + (8 * len(payload)).to_bytes(4, "big") + payload
    bits = np.unpackbits(np.frombuffer(message, np.uint8))
    out = pixels.copy()
    columns = out.transpose(1, 0, 2)  # a view: writing it writes ``out``
    target = columns[:, :, 3] if carrier == "alpha" else columns[:, :, :3]
    values = np.ascontiguousarray(target).reshape(-1)  # reading order (the view is strided)
    if len(bits) > len(values):
        raise ValueError("the image is too small to carry the text")
    values[:len(bits)] = (values[:len(bits)] & 0xFE) | bits
    target[...] = values.reshape(target.shape)
    return out
