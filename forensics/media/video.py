"""Video frames streamed through PyAV, with a documented sampling policy.

Frames are decoded one at a time (FFmpeg frame threads on, ``thread_type="AUTO"``) and
only the sampled ones are converted to arrays, so a video is never held in memory.

Sampling policy (``sample_frames``): the video is cut into N equal slices of its duration D
from the first timestamp t0, and the first frame presented at or after the start of each
slice, t0 + i * D / N (i = 0..N-1), is taken; a frame that is first for several slices (a
video shorter than N frames) is taken once. The first frame is therefore always taken.
When the container gives no duration, the frame count F stands in for it (frame i * F / N);
when neither is known, every ``fallback_stride``-th frame is taken until N are found.
The video is read to its end either way, so a file that breaks midway is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import numpy as np

from forensics.errors import EvidenceError

FrameFormat = Literal["gray", "rgb24"]


@dataclass(frozen=True)
class VideoFrame:
    """One decoded frame."""

    index: int  #: 0-based position among the decoded frames of the stream
    pts: int | None  #: presentation timestamp in stream time-base units, if any
    time_s: float | None  #: presentation time in seconds, if known
    pixels: np.ndarray  #: uint8, H x W ("gray") or H x W x 3 ("rgb24"), as stored
    rotation: int = 0  #: clockwise degrees to turn ``pixels`` upright (display matrix)


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about its first video stream (values may be unknown)."""

    codec: str  #: decoder name, e.g. "h264"
    width: int
    height: int
    frames: int | None  #: frame count from the container, None when not stored
    duration_s: float | None  #: stream (or container) duration, None when not stored
    start_s: float  #: first presentation time, 0.0 when not stored
    average_fps: float | None


@dataclass(frozen=True)
class SamplingPolicy:
    """How many frames to take from a video (see the module docstring)."""

    count: int = 8  #: frames to sample
    fallback_stride: int = 30  #: step between frames when duration and count are unknown


def _open(path: Path) -> av.container.InputContainer:
    try:
        # metadata that is not UTF-8 (old cameras, damage) must not make the pictures unreadable
        container = av.open(str(path), mode="r", metadata_errors="replace")
    except av.error.FFmpegError as exc:
        raise EvidenceError(path, f"not a readable video container: {exc}") from exc
    if not container.streams.video:
        container.close()
        raise EvidenceError(path, "the container holds no video stream (no frames)")
    return container


def _info(stream: av.video.stream.VideoStream, container: av.container.InputContainer, path: Path) -> VideoInfo:
    ctx = stream.codec_context
    if ctx is None:  # e.g. a damaged codec tag: FFmpeg knows no decoder for the stream
        raise EvidenceError(path, "the video stream's codec is not recognised (no decoder for it)")
    base = stream.time_base or Fraction(1, 1)
    if stream.duration is not None:
        duration: float | None = float(stream.duration * base)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    else:
        duration = None
    return VideoInfo(
        codec=ctx.name,
        width=int(ctx.width),
        height=int(ctx.height),
        frames=int(stream.frames) if stream.frames else None,
        duration_s=duration if duration and duration > 0 else None,
        start_s=float(stream.start_time * base) if stream.start_time is not None else 0.0,
        average_fps=float(stream.average_rate) if stream.average_rate else None,
    )


def probe_video(path: str | Path) -> VideoInfo:
    """Read the container header only; ``EvidenceError`` when it is not a video."""
    with _open(Path(path)) as container:
        return _info(container.streams.video[0], container, Path(path))


Want = Callable[[int, "float | None", VideoInfo], bool]
"""(frame index, presentation time, stream info) -> convert and keep this frame?"""


def decode_frames(path: str | Path, want: Want, fmt: FrameFormat) -> Iterator[VideoFrame]:
    """Decode every frame in order; convert and yield those for which ``want`` says so.

    Raises ``EvidenceError`` for an unreadable video (also midway through the stream).
    """
    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        info = _info(stream, container, Path(path))
        base = stream.time_base
        index = -1
        for index, frame in enumerate(container.decode(stream)):
            time_s = float(frame.pts * base) if frame.pts is not None and base else None
            if want(index, time_s, info):
                yield VideoFrame(index, frame.pts, time_s, frame.to_ndarray(format=fmt),
                                 _clockwise(frame.rotation))
        if index < 0:
            raise EvidenceError(path, "the video stream has no decodable frames")
    except av.error.FFmpegError as exc:
        raise EvidenceError(path, f"video decoding failed: {exc}") from exc
    finally:
        container.close()


def iter_frames(path: str | Path, *, fmt: FrameFormat = "gray") -> Iterator[VideoFrame]:
    """Every frame of the first video stream, streamed in decoding order."""
    return decode_frames(path, lambda *_: True, fmt)


class SlicePicker:
    """The sampling policy's choice, frame by frame (see the module docstring)."""

    def __init__(self, policy: SamplingPolicy) -> None:
        if policy.count < 1:
            raise ValueError("a sampling policy needs at least one frame")
        self.policy = policy
        self._next_slice = 0  # the first slice whose frame has not been taken yet

    def _position(self, index: int, time_s: float | None, info: VideoInfo) -> float | None:
        """Where this frame lies, in slices (slice i starts at i)."""
        n = self.policy.count
        if info.duration_s is not None and time_s is not None:
            return (time_s - info.start_s) * n / info.duration_s
        if info.frames is not None:
            return index * n / info.frames
        return None

    def __call__(self, index: int, time_s: float | None, info: VideoInfo) -> bool:
        n = self.policy.count
        if self._next_slice >= n:
            return False
        pos = self._position(index, time_s, info)
        if pos is None:
            hit = index % self.policy.fallback_stride == 0
            self._next_slice += hit
            return hit
        # tolerance: a frame exactly on a slice start (0.6 * 4 / 0.8 is 2.9999999999999996)
        pos += 1e-9
        if pos < self._next_slice:
            return False
        self._next_slice = min(n, int(np.floor(pos)) + 1)  # skip the slices this frame covers
        return True


def sample_frames(
    path: str | Path, policy: SamplingPolicy = SamplingPolicy(), *, fmt: FrameFormat = "gray"
) -> Iterator[VideoFrame]:
    """The frames the sampling policy picks (at most ``policy.count``), streamed."""
    return decode_frames(path, SlicePicker(policy), fmt)


def _clockwise(rotation: float | None) -> int:
    """PyAV's display-matrix angle (counter-clockwise positive) as clockwise 0/90/180/270."""
    return round(-float(rotation or 0) / 90.0) % 4 * 90


def display_rotation(path: str | Path) -> int:
    """Clockwise degrees (0, 90, 180, 270) to turn decoded frames so they display upright.

    Phones store portrait video as landscape frames plus a display matrix; decoders hand
    out the stored frames, and a face lying on its side is not found by the detector.
    """
    for frame in decode_frames(path, lambda index, *_: index == 0, "gray"):
        return frame.rotation
    return 0


def upright(pixels: np.ndarray, rotation: int) -> np.ndarray:
    """Turn a frame clockwise by ``rotation`` degrees (a multiple of 90)."""
    k = (rotation // 90) % 4
    return pixels if k == 0 else np.ascontiguousarray(np.rot90(pixels, k=-k))
