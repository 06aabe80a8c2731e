"""Decoding evidence media: still images (Pillow) and video frames (PyAV).

Damaged or refused files raise ``forensics.errors.EvidenceError`` with the reason.
"""

from forensics.media.images import DEFAULT_MAX_PIXELS, DecodedImage, load_image
from forensics.media.video import (
    SamplingPolicy,
    VideoFrame,
    VideoInfo,
    iter_frames,
    probe_video,
    sample_frames,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DecodedImage",
    "SamplingPolicy",
    "VideoFrame",
    "VideoInfo",
    "iter_frames",
    "load_image",
    "probe_video",
    "sample_frames",
]
