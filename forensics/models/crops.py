"""Aligned face crops for the CNN, shared by the detector and its training.

Both read faces the same way, so what the network was trained on is what it is shown:
MediaPipe face-mesh landmarks (``forensics.media.faces``), a crop rotated so the eyes
are level and scaled by their distance, ``size`` x ``size`` RGB uint8. Videos: the
frames picked by ``forensics.media``'s sampling policy, each detected on its own.

Small faces: MediaPipe's short-range detector sees the whole picture at 128 x 128, so a
face that fills a few percent of a wide shot (DFDC clips: a person standing in a room,
1080 x 1920) is missed. When the whole picture gives no face, square tiles of two
thirds of its shorter side, overlapping by half, are tried in reading order and the
first face found is kept (an adapter here, as ``face_crops`` has no such fallback).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np

from forensics.media import SamplingPolicy, sample_frames
from forensics.media.faces import (
    FaceTracker,
    aligned_face_crop,
    display_rotation,
    upright,
)

TILE_FRACTION = 2 / 3  #: tile side as a share of the picture's shorter side
MIN_TILE = 256  #: no tiling for pictures whose tile would be smaller than this


@dataclass(frozen=True)
class Crop:
    """The aligned face of one image or one sampled video frame, or why there is none."""

    frame_index: int | None  #: None for a still image
    time_s: float | None  #: presentation time of the frame, if known
    pixels: np.ndarray | None  #: size x size x 3 uint8; None when no face was found


class ImageFaces:
    """Face crops of still images with one detector graph (a context manager)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._tracker = FaceTracker(static=True)

    def __enter__(self) -> Self:
        self._tracker.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._tracker.__exit__(*exc_info)

    def landmarks(self, rgb: np.ndarray) -> np.ndarray | None:
        """Face landmarks in the whole picture, else in the first tile that has a face."""
        points = self._tracker.landmarks(np.ascontiguousarray(rgb))
        if points is not None:
            return points
        height, width = rgb.shape[:2]
        side = round(min(height, width) * TILE_FRACTION)
        if side < MIN_TILE:
            return None
        step = side // 2
        for y in range(0, height - side + 1, step):
            for x in range(0, width - side + 1, step):
                points = self._tracker.landmarks(np.ascontiguousarray(rgb[y : y + side, x : x + side]))
                if points is not None:
                    return points + np.array([x, y], dtype=np.float32)
        return None

    def crop(self, rgb: np.ndarray, frame_index: int | None = None, time_s: float | None = None) -> Crop:
        points = self.landmarks(rgb)
        pixels = None if points is None else aligned_face_crop(rgb, points, self.size)
        return Crop(frame_index, time_s, pixels)


def video_crops(faces: ImageFaces, path: Path, frames: int) -> Iterator[Crop]:
    """Aligned face crops of the ``frames`` sampled frames of a video (turned upright).

    Raises ``EvidenceError`` for an unreadable video.
    """
    rotation = display_rotation(path)
    for frame in sample_frames(path, SamplingPolicy(count=frames), fmt="rgb24"):
        yield faces.crop(upright(frame.pixels, rotation), frame.index, frame.time_s)
