"""Short test videos made from scikit-image's astronaut portrait, with blinks drawn in.

The eyes are closed by painting each eye over with skin colour sampled just below it and
drawing a dark lid line across, at known frames; a half-closed frame covers the upper
half of the eye. Nothing here needs ../shared.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from skimage import data

FPS = 25

# Eye outlines of the astronaut photo (512 x 512), in pixels: centre x, y, half-width,
# half-height, measured from MediaPipe's eye contour landmarks on this image.
EYES = ((204.3, 101.0), (246.4, 103.2))
EYE_HALF_WIDTH, EYE_HALF_HEIGHT = 9.5, 3.5

# A blink: eye state per frame relative to its start, 0 open .. 1 closed (100-160 ms).
BLINK_PROFILE = (0.5, 1.0, 1.0, 0.5)


@lru_cache(maxsize=1)
def astronaut() -> np.ndarray:
    return np.ascontiguousarray(data.astronaut())


def _skin(image: np.ndarray, x: float, y: float) -> tuple[int, int, int]:
    """Median colour of the upper-lid skin just above an eye."""
    patch = image[int(y - 10) : int(y - 6), int(x - 6) : int(x + 6)].reshape(-1, 3)
    r, g, b = np.median(patch, axis=0)
    return int(r), int(g), int(b)


def close_eyes(image: np.ndarray, closure: float) -> np.ndarray:
    """The image with both eyes ``closure`` shut (0: unchanged, 1: lids fully down)."""
    if closure <= 0:
        return image
    pil = Image.fromarray(image)
    draw = ImageDraw.Draw(pil)
    for x, y in EYES:
        skin = _skin(image, x, y)
        w, h = EYE_HALF_WIDTH + 3, EYE_HALF_HEIGHT + 3
        lid_y = y - h + 2 * h * closure  # where the upper lid's edge has come down to
        # the lid: skin from above the eye down to lid_y (an ellipse clipped at lid_y)
        mask = Image.new("L", pil.size, 0)
        ImageDraw.Draw(mask).ellipse((x - w, y - h, x + w, y + h), fill=255)
        clip = Image.new("L", pil.size, 0)
        ImageDraw.Draw(clip).rectangle((0, 0, pil.width, lid_y), fill=255)
        lid = Image.fromarray(np.minimum(np.asarray(mask), np.asarray(clip))).filter(ImageFilter.GaussianBlur(1))
        pil.paste(skin, (0, 0, pil.width, pil.height), lid)
        # lashes along the lid edge
        draw.line((x - w + 2, lid_y, x + w - 2, lid_y), fill=(60, 40, 35), width=2)
    return np.asarray(pil)


def frame_states(n_frames: int, blink_starts: Iterable[int]) -> list[float]:
    states = [0.0] * n_frames
    for start in blink_starts:
        for k, value in enumerate(BLINK_PROFILE):
            if start + k < n_frames:
                states[start + k] = value
    return states


def shifted(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """The image moved by (dx, dy) pixels, the uncovered border black."""
    out = np.zeros_like(image)
    h, w = image.shape[:2]
    if abs(dx) >= w or abs(dy) >= h:
        return out
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    out[yd, xd] = image[ys, xs]
    return out


def write_video(
    path: Path, frames: Iterable[np.ndarray], *, fps: int = FPS, rotation: int | None = None
) -> Path:
    """H.264 (near-lossless) MP4; ``rotation``: display-matrix angle (counter-clockwise)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps, options={"crf": "12", "preset": "ultrafast"})
        stream.pix_fmt = "yuv420p"
        first = True
        for pixels in frames:
            if first:
                stream.height, stream.width = pixels.shape[:2]
                if rotation is not None:
                    stream.set_display_rotation(rotation)
                first = False
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def blink_clip(
    path: Path,
    n_frames: int,
    blink_starts: Sequence[int],
    *,
    jitter: bool = True,
    rotation: int | None = None,
    leave_at: int | None = None,
    small_in: tuple[int, int] | None = None,
) -> Path:
    """A clip of the astronaut blinking at ``blink_starts`` (each blink 4 frames long).

    ``jitter``: a slow sub-head movement of up to 2 px, as a hand-held or breathing subject;
    ``rotation``: store frames turned and record the display rotation, as a phone does;
    ``leave_at``: from this frame the picture slides out to the right, 24 px a frame;
    ``small_in``: (height, width) of a grey canvas the portrait is placed on at 0.6 of its
    size, near the top: a face too small for the detector to see on the whole frame.
    """
    base = astronaut()
    states = frame_states(n_frames, blink_starts)

    def frames() -> Iterable[np.ndarray]:
        for i, state in enumerate(states):
            image = close_eyes(base, state)
            dx = round(2 * np.sin(i / 9)) if jitter else 0
            dy = round(np.sin(i / 13)) if jitter else 0
            if leave_at is not None and i >= leave_at:
                dx += 24 * (i - leave_at + 1)
            image = shifted(image, dx, dy) if (dx or dy) else image
            if small_in is not None:
                image = _placed_small(image, *small_in)
            if rotation is not None:
                # stored turned so that a display rotation of ``rotation`` shows it upright
                image = np.ascontiguousarray(np.rot90(image, k=-rotation // 90))
            yield image

    return write_video(path, frames(), rotation=rotation)


def _placed_small(image: np.ndarray, height: int, width: int, scale: float = 0.6) -> np.ndarray:
    side = round(image.shape[0] * scale)
    small = np.asarray(Image.fromarray(image).resize((side, side), Image.Resampling.LANCZOS))
    canvas = np.full((height, width, 3), 200, np.uint8)
    left = (width - side) // 2
    canvas[40 : 40 + side, left : left + side] = small
    return canvas


def still_clip(path: Path, image: np.ndarray, n_frames: int) -> Path:
    return write_video(path, (image for _ in range(n_frames)))
