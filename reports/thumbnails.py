"""A small picture of every evidence item: the image itself, or a video's key frame.

The reader of a report sees which file each conclusion is about. A video shows the frame
at its middle, or at ``KEY_FRAME_S`` when it is longer, turned as the container says it
is displayed. It is decoded from the start: a seek lands on a clean picture only where
the stream has true key frames, and encoders using periodic intra refresh (as x264 can)
have none, so a seek gives a half-grey or green picture. A file that cannot be decoded
gets no thumbnail and the reason is printed instead.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from forensics.errors import EvidenceError

THUMBNAIL_SIDE = 240  #: pixels of the longer side (about 3 cm at 200 dpi)
KEY_FRAME_S = 2.0  #: latest time shown (decoding from the start costs time up to it)


@dataclass(frozen=True)
class Thumbnail:
    """A JPEG thumbnail, or why there is none."""

    jpeg: bytes | None
    what: str  #: "image", or e.g. "key frame at 2.0 s"; the reason when ``jpeg`` is None


def make_thumbnail(path: Path, kind: str) -> Thumbnail:
    """The thumbnail of a stored evidence file of ``kind`` ("image", "video", "other")."""
    try:
        if kind == "image":
            from forensics.media.images import load_image

            return Thumbnail(_jpeg(load_image(path, mode="RGB").pixels), "image")
        if kind == "video":
            return _key_frame(path)
    except EvidenceError as exc:
        return Thumbnail(None, f"no thumbnail: {exc}")
    return Thumbnail(None, "no thumbnail: neither an image nor a video")


def _jpeg(pixels: np.ndarray) -> bytes:
    image = Image.fromarray(pixels)
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _key_frame(path: Path) -> Thumbnail:
    import av

    from forensics.media.video import display_rotation, upright

    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            middle = container.duration / 2e6 if container.duration else 0.0  # microseconds
            target = min(middle, KEY_FRAME_S)
            frame = None
            for frame in container.decode(stream):
                if frame.time is None or frame.time >= target:
                    break
            if frame is None:
                raise ValueError("the video has no frame")
            seconds = float(frame.time) if frame.time is not None else 0.0
            pixels = frame.to_ndarray(format="rgb24")
        return Thumbnail(_jpeg(upright(pixels, display_rotation(path))), f"frame at {seconds:.1f} s")
    except (av.error.FFmpegError, IndexError, ValueError, OSError) as exc:
        return Thumbnail(None, f"no thumbnail: the video's frames cannot be decoded ({exc})")
