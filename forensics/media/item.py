"""The decoded media of one evidence item, shared by every detector that reads it.

Each detector asks ``ItemMedia`` for what it reads, and the work is done once per item:

- a still image is read from the store once and decoded once per representation a
  detector asks for (RGB for faces and networks; luma for spectra, which for a JPEG is
  libjpeg's own luma plane, decoded without the chroma planes), and its face is
  searched once (whole picture, then tiles for small faces);
- a video is decoded in one pass (``decode_video``) that serves every detector at once:
  the frames each sampling policy picks (with the face found on each), and a tracked
  face observation for every frame, for each tracker configuration asked for.

Detectors declare what they read from a video (``VideoNeeds``) before the pass, since a
pass cannot go back. What a detector is given never depends on which other detectors
run: the sampled frames of a policy are the same frames, and their faces come from the
same still-image search, whether or not the face is also tracked for another detector.

Nothing here imports PyAV or MediaPipe until media are decoded.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Self

import numpy as np

from forensics.errors import EvidenceError
from forensics.media.faces import FaceObservation, FaceTracker, TrackerConfig, find_face
from forensics.media.images import DEFAULT_MAX_PIXELS, ColourMode, DecodedImage, load_image
from forensics.model import EvidenceInput

if TYPE_CHECKING:
    from forensics.media.video import VideoInfo

#: How faces are searched in still images and sampled video frames (each on its own).
STILL_FACES = TrackerConfig()


@dataclass(frozen=True)
class VideoNeeds:
    """What one detector reads from a video's decoding pass."""

    samples: int = 0  #: frames picked by ``SamplingPolicy(count=samples)``, kept as RGB
    faces: bool = False  #: a face search on each sampled frame
    tracking: TrackerConfig | None = None  #: a face observation for every frame


@dataclass(frozen=True)
class SampledFrame:
    """A frame picked by a sampling policy, turned upright, with its face if searched."""

    index: int  #: 0-based position among the decoded frames
    time_s: float | None  #: presentation time, if the stream gives one
    pixels: np.ndarray  #: H x W x 3 uint8 RGB, upright
    landmarks: np.ndarray | None  #: face landmarks (pixels); None: none found or not searched


@dataclass(frozen=True)
class DecodedVideo:
    """What the one decoding pass of a video gives its detectors."""

    info: VideoInfo  #: container header
    rotation: int  #: clockwise degrees applied to every frame (display matrix)
    fps: float  #: average frame rate (30 where the container gives none)
    frame_count: int  #: frames decoded
    samples: Mapping[int, tuple[SampledFrame, ...]]  #: by sampling count
    tracks: Mapping[TrackerConfig, tuple[FaceObservation, ...]]  #: every frame, by config

    def sampled(self, count: int) -> tuple[SampledFrame, ...]:
        try:
            return self.samples[count]
        except KeyError:
            raise RuntimeError(f"{count} sampled frames were not declared in VideoNeeds") from None

    def observations(self, config: TrackerConfig) -> tuple[FaceObservation, ...]:
        try:
            return self.tracks[config]
        except KeyError:
            raise RuntimeError(f"tracking with {config} was not declared in VideoNeeds") from None


class StillFaces:
    """One face-search graph for still pictures (images and sampled frames), opened on
    first use; a context manager, so one run can share it across items."""

    def __init__(self) -> None:
        self._tracker: FaceTracker | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._tracker is not None:
            self._tracker.__exit__(*exc_info)
            self._tracker = None

    def find(self, rgb: np.ndarray) -> np.ndarray | None:
        """Landmarks of a face in the whole picture, else in the first tile with one."""
        if self._tracker is None:
            self._tracker = FaceTracker(STILL_FACES, static=True).__enter__()
        return find_face(self._tracker, rgb)


def _plan(needs: Iterable[VideoNeeds]) -> tuple[list[int], bool, list[TrackerConfig]]:
    needs = list(needs)
    counts = sorted({n.samples for n in needs if n.samples > 0})
    faces = any(n.faces and n.samples > 0 for n in needs)
    trackers = list(dict.fromkeys(n.tracking for n in needs if n.tracking is not None))
    return counts, faces, trackers


def decode_video(
    evidence: EvidenceInput, needs: Iterable[VideoNeeds], faces: StillFaces
) -> DecodedVideo:
    """Decode a video once and give every declared need its frames and faces.

    Decoding runs in a background thread beside face tracking (``prefetch``). Raises
    ``EvidenceError`` for an unreadable video, also when it breaks midway.
    """
    from forensics.media.faces import VideoFaceTracker, prefetch
    from forensics.media.video import SamplingPolicy, SlicePicker, decode_frames, probe_video, upright

    counts, search_faces, configs = _plan(needs)
    info = probe_video(evidence.path)
    fps = info.average_fps or 30.0
    pickers = {count: SlicePicker(SamplingPolicy(count=count)) for count in counts}
    picked: dict[int, set[int]] = {count: set() for count in counts}

    def want(index: int, time_s: float | None, stream: VideoInfo) -> bool:
        for count, picker in pickers.items():
            if picker(index, time_s, stream):
                picked[count].add(index)
        return bool(configs) or any(index in p for p in picked.values())

    samples: dict[int, list[SampledFrame]] = {count: [] for count in counts}
    tracks: dict[TrackerConfig, list[FaceObservation]] = {config: [] for config in configs}
    rotation, frame_count = 0, 0
    with ExitStack() as stack:
        trackers = {c: stack.enter_context(VideoFaceTracker(c)) for c in configs}
        frames = prefetch(decode_frames(evidence.path, want, "rgb24"))
        stack.callback(frames.close)  # stops the decoding thread when tracking fails
        for frame in frames:
            rotation = frame.rotation if frame_count == 0 else rotation
            frame_count = frame.index + 1
            rgb = upright(frame.pixels, rotation)
            time_s = frame.time_s if frame.time_s is not None else frame.index / fps
            for config, tracker in trackers.items():
                tracks[config].append(tracker.observe(rgb, frame.index, time_s))
            takers = [count for count in counts if frame.index in picked[count]]
            if takers:
                landmarks = faces.find(rgb) if search_faces else None
                sampled = SampledFrame(frame.index, frame.time_s, rgb, landmarks)
                for count in takers:
                    samples[count].append(sampled)
    if frame_count == 0:
        raise EvidenceError(evidence.path, "the video stream has no decodable frames")
    return DecodedVideo(
        info=info, rotation=rotation, fps=fps, frame_count=frame_count,
        samples={count: tuple(frames) for count, frames in samples.items()},
        tracks={config: tuple(obs) for config, obs in tracks.items()},
    )


class ItemMedia:
    """Decoded pixels, frames and faces of one evidence item, each made once, on demand.

    ``needs``: what the item's video detectors read (one ``VideoNeeds`` each).
    ``faces``: a face search shared across items (one per run); one of its own otherwise.
    A decoding failure is kept and raised again to every detector that asks.
    """

    def __init__(
        self,
        evidence: EvidenceInput,
        needs: Iterable[VideoNeeds] = (),
        faces: StillFaces | None = None,
    ) -> None:
        self.evidence = evidence
        self.needs = tuple(needs)
        self._own_faces = faces is None
        self._faces = StillFaces() if faces is None else faces
        self._data: bytes | None = None
        self._images: dict[tuple[ColourMode, int, bool], DecodedImage | EvidenceError] = {}
        self._face: dict[int, np.ndarray | None] = {}
        self._video: DecodedVideo | EvidenceError | None = None

    @property
    def name(self) -> str:
        """How messages name the file: its original name, else the stored path."""
        return self.evidence.original_name or str(self.evidence.path)

    def close(self) -> None:
        """Release the face search when it is this item's own."""
        if self._own_faces:
            self._faces.__exit__(None, None, None)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- still images -----------------------------------------------------------------

    def file_bytes(self) -> bytes:
        """The stored file's bytes, read once."""
        if self._data is None:
            try:
                self._data = self.evidence.path.read_bytes()
            except OSError as exc:
                raise EvidenceError(self.name, f"cannot be read: {exc.strerror}") from exc
        return self._data

    def image(self, mode: ColourMode = "RGB", max_pixels: int = DEFAULT_MAX_PIXELS,
              upright: bool = True) -> DecodedImage:
        """The image decoded in ``mode`` ("RGB", "RGBA" or luma "L"), upright unless
        ``upright`` is False (stored pixel order); ``EvidenceError`` when damaged or above
        ``max_pixels``."""
        key = (mode, max_pixels, upright)
        if not upright and key not in self._images:  # stored order is upright order here
            known = self._images.get((mode, max_pixels, True))
            if isinstance(known, DecodedImage) and known.orientation == 1:
                self._images[key] = known
        if key not in self._images:
            try:
                self._images[key] = load_image(io.BytesIO(self.file_bytes()), mode=mode,
                                               max_pixels=max_pixels, name=self.name, upright=upright)
            except EvidenceError as exc:
                self._images[key] = exc
        found = self._images[key]
        if isinstance(found, EvidenceError):
            raise found
        return found

    def image_face(self, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray | None:
        """Landmarks of the face in the RGB image (small faces searched in tiles), or None."""
        if max_pixels not in self._face:
            self._face[max_pixels] = self._faces.find(self.image("RGB", max_pixels).pixels)
        return self._face[max_pixels]

    # -- video ------------------------------------------------------------------------

    def video(self) -> DecodedVideo:
        """The one decoding pass over the video, for every declared need."""
        if self._video is None:
            try:
                self._video = decode_video(self.evidence, self.needs, self._faces)
            except EvidenceError as exc:
                self._video = exc
        if isinstance(self._video, EvidenceError):
            raise self._video
        return self._video
