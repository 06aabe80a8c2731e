"""Aligned face crops of an item, shared by the CNN detector and its training.

Both read faces the same way, so what the network was trained on is what it is shown:
MediaPipe face-mesh landmarks from the item's media (``forensics.media.item``: whole
picture, then overlapping tiles for small faces), a crop rotated so the eyes are level
and scaled by their distance, ``size`` x ``size`` RGB uint8. Videos: the frames picked
by the sampling policy in the item's one decoding pass, each searched on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forensics.media.faces import aligned_face_crop
from forensics.media.images import DEFAULT_MAX_PIXELS
from forensics.media.item import ItemMedia, VideoNeeds


@dataclass(frozen=True)
class Crop:
    """The aligned face of one image or one sampled video frame, or why there is none."""

    frame_index: int | None  #: None for a still image
    time_s: float | None  #: presentation time of the frame, if known
    pixels: np.ndarray | None  #: size x size x 3 uint8; None when no face was found


def crop_needs(frames: int) -> VideoNeeds:
    """What ``video_crops`` reads from a video's decoding pass."""
    return VideoNeeds(samples=frames, faces=True)


def image_crop(media: ItemMedia, size: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> Crop:
    """The aligned face of a still image. Raises ``EvidenceError`` for a damaged file."""
    landmarks = media.image_face(max_pixels)
    pixels = media.image("RGB", max_pixels).pixels
    return Crop(None, None, None if landmarks is None else aligned_face_crop(pixels, landmarks, size))


def video_crops(media: ItemMedia, size: int, frames: int) -> list[Crop]:
    """Aligned face crops of the ``frames`` sampled frames (declared by ``crop_needs``).

    Raises ``EvidenceError`` for an unreadable video.
    """
    return [
        Crop(f.index, f.time_s,
             None if f.landmarks is None else aligned_face_crop(f.pixels, f.landmarks, size))
        for f in media.video().sampled(frames)
    ]
