"""Aligned face crops for the CNN, shared by the detector and its training.

Both read faces the same way, so what the network was trained on is what it is shown:
MediaPipe face-mesh landmarks (``forensics.media.faces``), a crop rotated so the eyes
are level and scaled by their distance, ``size`` x ``size`` RGB uint8. Videos: the
frames picked by ``forensics.media``'s sampling policy, each detected on its own.

Small faces (DFDC clips: a person standing in a room, 1080 x 1920): when the whole
picture gives no face, the tiles of ``forensics.media.faces.find_face`` are searched and
the first face found is kept.
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
    find_face,
    upright,
)


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
        return find_face(self._tracker, rgb)

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
