"""Still images through Pillow: a decompression-bomb limit, EXIF orientation, clear errors.

HEIF/HEIC (phone cameras' default) opens through pillow-heif's Pillow plugin; libheif
applies the file's own rotation and mirroring and reports EXIF orientation 1.

Every way a file can fail to decode (truncated data, a corrupt chunk, an unknown format,
a header announcing more pixels than the limit) becomes an ``EvidenceError`` with the
reason, which detectors record as an error finding.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from forensics.errors import EvidenceError

register_heif_opener()

# Refuse images above 120 megapixels: a small file can announce a huge canvas and exhaust
# memory when decoded. 120 MP still admits current medium-format cameras (~100 MP).
DEFAULT_MAX_PIXELS = 120_000_000

# What Pillow raises on damaged data (it has no single base class for decode errors).
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)

ColourMode = Literal["L", "RGB", "RGBA"]


@dataclass(frozen=True)
class DecodedImage:
    """A decoded still image, upright as its EXIF orientation says."""

    pixels: np.ndarray  #: uint8, H x W ("L") or H x W x 3 ("RGB")
    format: str  #: Pillow's format name: "JPEG", "PNG", ...
    source_mode: str  #: the file's own Pillow mode before conversion ("RGB", "I;16", ...)
    orientation: int  #: EXIF orientation tag applied (1 = none)
    frame_count: int  #: frames in the file; only the first is decoded

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])


def _check_size(img: Image.Image, max_pixels: int, name: str) -> None:
    width, height = img.size
    if width <= 0 or height <= 0:
        raise EvidenceError(name, f"image header gives an empty size {width}x{height}")
    if width * height > max_pixels:
        raise EvidenceError(
            name,
            f"image header announces {width}x{height} = {width * height:,} pixels, above "
            f"the decompression-bomb limit of {max_pixels:,}; not decoded",
        )


def _to_array(img: Image.Image, mode: ColourMode) -> np.ndarray:
    """Convert to 8-bit ``mode``; 16-bit and float grayscale are scaled, not clipped."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        data = np.asarray(img, dtype=np.float64)
        top = float(data.max()) if data.size else 0.0
        gray = np.clip(data * (255.0 / top) if top > 0 else data, 0, 255).astype(np.uint8)
        return gray if mode == "L" else np.repeat(gray[:, :, None], 3, axis=2)
    return np.asarray(img.convert(mode))


def load_image(
    source: str | Path | BinaryIO,
    *,
    mode: ColourMode = "RGB",
    max_pixels: int = DEFAULT_MAX_PIXELS,
    name: str | None = None,
    upright: bool = True,
) -> DecodedImage:
    """Decode the first frame of an image file (path or binary stream) into an array.

    ``mode`` "L" gives luma (ITU-R 601 weights); for JPEG, Pillow's draft mode then hands
    over the decoder's own luma plane without a round trip through RGB (faster, and free
    of the chroma blocks a 4:2:0 file would otherwise leak into the gray image).
    ``upright`` False keeps the stored pixel order (an EXIF orientation is not applied):
    what methods that read the file's own grid or bits need.
    Raises ``EvidenceError`` (naming ``name`` or the path) for any damaged or refused file.
    """
    label = name or (str(source) if isinstance(source, (str, Path)) else "<stream>")
    try:
        with warnings.catch_warnings():
            # the size check below replaces Pillow's warning with a clear refusal
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(source) as img:
                _check_size(img, max_pixels, label)
                fmt = img.format or "unknown"
                source_mode = img.mode
                frames = int(getattr(img, "n_frames", 1))
                if mode == "L" and fmt == "JPEG" and img.mode in ("RGB", "YCbCr"):
                    img.draft("L", img.size)  # same size: only the colour step is skipped
                img.load()
                orientation = int(img.getexif().get(0x0112, 1) or 1)
                turned = ImageOps.exif_transpose(img) if orientation != 1 and upright else img
                pixels = _to_array(turned, mode)
    except Image.DecompressionBombError as exc:
        raise EvidenceError(label, f"refused as a decompression bomb: {exc}") from exc
    except UnidentifiedImageError as exc:
        raise EvidenceError(label, "not an image format Pillow can identify") from exc
    except _DECODE_ERRORS as exc:
        raise EvidenceError(label, f"damaged image data: {exc}") from exc
    return DecodedImage(
        pixels=pixels,
        format=fmt,
        source_mode=source_mode,
        orientation=orientation,
        frame_count=frames,
    )
