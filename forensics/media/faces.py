"""Faces in images and videos: MediaPipe face-mesh landmarks, tracking, aligned crops.

Backend: MediaPipe 0.10.x "legacy solutions" FaceMesh, whose wheel carries its models
(short-range face detector, 478-point landmark model with the iris/eyelid attention
refinement), so nothing is downloaded at run time. In video mode MediaPipe detects a face,
then tracks it from the previous frame's landmarks and runs the detector again only when
the tracking confidence drops below ``min_tracking_confidence``; ``redetect_every``
additionally forces a fresh detection on a fixed stride so a tracker that drifted onto
background cannot persist. Frames without a face are reported as observations without
landmarks and summarised as unscorable intervals: never dropped.

One face is followed (the first the detector returns; MediaPipe prefers the largest,
most confident one). Several people in one clip are out of scope for this backend.

Small faces: the short-range detector sees the whole picture at 128 x 128, so a face that
fills a few percent of a wide or tall shot (a person standing in a room) is missed. When
the whole picture gives no face, square tiles of two thirds of its shorter side,
overlapping by half, are searched (``find_face_in_tiles``); in a video the face found
there is then tracked inside a window around it (about three face widths, at least
``MIN_TILE`` pixels), which follows the face and is given up when the face is lost.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import queue
import threading
import warnings
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self, TypeVar

import numpy as np
from PIL import Image

from forensics.canonical import digest
from forensics.errors import IntegrityError
from forensics.media.native_logs import quiet_native_stderr

# Landmark indices (MediaPipe face mesh). The subject's right eye is on the image's left.
RIGHT_EYE_CORNERS = (33, 133)
LEFT_EYE_CORNERS = (362, 263)
LANDMARK_COUNT = 478

# SHA-256 of the model files the face-mesh graph loads (identical in MediaPipe 0.10.14 to
# 0.10.21); checked before the graph is built, so a changed model cannot pass unnoticed.
MODEL_SHA256: dict[str, str] = {
    "face_detection/face_detection_short_range.tflite":
        "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
    "face_landmark/face_landmark.tflite":
        "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
    "face_landmark/face_landmark_with_attention.tflite":
        "e06a804e0144f9929eda782122916b35d60c697c3c9344013ca2bbe76a6ce2b4",
}


#: longest side handed to MediaPipe: above it the picture is down-scaled first (its
#: bundled OpenCV asserts, aborting the process, on a side of SHRT_MAX = 32767 or more)
MEDIAPIPE_MAX_SIDE = 16384
MIN_FACE_SIDE = 16  #: pictures (after any down-scaling) with a shorter side are not searched
TILE_FRACTION = 2 / 3  #: tile side as a share of the picture's shorter side
MIN_TILE = 256  #: no tiling for pictures whose tile would be smaller than this
WINDOW_FACE_WIDTHS = 3.0  #: side of a small-face tracking window, in face widths


@dataclass(frozen=True)
class TrackerConfig:
    """Face tracking settings (plain values, so a detector can hash them)."""

    min_detection_confidence: float = 0.5  #: detector score to accept a new face
    min_tracking_confidence: float = 0.5  #: below this the tracker re-detects
    redetect_every: int = 0  #: force a fresh detection every N frames (0: only when lost)
    refine_landmarks: bool = True  #: attention model: better eyelid and iris points
    max_side: int | None = None  #: downscale frames whose longer side exceeds this
    tile_search_every: int = 10  #: frames between tile searches for a small face (0: never)
    #: re-detect when the eyes move more than this many inter-ocular distances in one
    #: frame (tracking starts from the last frame's position and lags behind a jump);
    #: steady corpus clips move at most 0.20 a frame (99th percentile <= 0.17); 0 disables
    redetect_on_jump: float = 0.25


@dataclass(frozen=True)
class FaceObservation:
    """The tracked face in one frame, or its absence."""

    frame_index: int  #: 0-based index among decoded frames
    time_s: float  #: presentation time in seconds (index / fps where the stream has none)
    width: int  #: frame width in pixels, after rotation to upright
    height: int  #: frame height in pixels, after rotation to upright
    landmarks: np.ndarray | None  #: (478, 2) float32 x, y in pixels; None: no face found
    bbox: tuple[float, float, float, float] | None  #: landmark extent x0, y0, x1, y1

    @property
    def found(self) -> bool:
        return self.landmarks is not None


@dataclass(frozen=True)
class Interval:
    """Inclusive range of frame indices with times of its first and last frame."""

    start_frame: int
    end_frame: int
    start_s: float
    end_s: float

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame + 1

    def as_json(self) -> dict[str, Any]:
        return {
            "start_frame": self.start_frame,
            "end_frame": self.end_frame,
            "start_s": round(self.start_s, 4),
            "end_s": round(self.end_s, 4),
        }


def intervals(flags: Iterable[tuple[int, float, bool]]) -> list[Interval]:
    """Maximal runs of consecutive frames whose flag is true, from (index, time, flag)."""
    runs: list[Interval] = []
    open_run: tuple[int, float] | None = None
    last: tuple[int, float] | None = None
    for index, time_s, flag in flags:
        if flag and open_run is None:
            open_run = (index, time_s)
        elif not flag and open_run is not None and last is not None:
            runs.append(Interval(open_run[0], last[0], open_run[1], last[1]))
            open_run = None
        last = (index, time_s)
    if open_run is not None and last is not None:
        runs.append(Interval(open_run[0], last[0], open_run[1], last[1]))
    return runs


def _model_files(refine: bool) -> list[str]:
    landmark = "face_landmark_with_attention" if refine else "face_landmark"
    return ["face_detection/face_detection_short_range.tflite", f"face_landmark/{landmark}.tflite"]


_verified: set[str] = set()


def verify_models(refine_landmarks: bool = True) -> str:
    """Check the bundled model files against ``MODEL_SHA256``; returns their joint digest.

    Raises ``IntegrityError`` naming the first file that is missing or differs.
    """
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise IntegrityError("MediaPipe is not installed", subject="mediapipe")
    modules = Path(next(iter(spec.submodule_search_locations))) / "modules"
    names = _model_files(refine_landmarks)
    for name in names:
        if name in _verified:
            continue
        path = modules / name
        try:
            actual = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise IntegrityError(f"face model {name} cannot be read: {exc}", subject=name) from exc
        if actual != MODEL_SHA256[name]:
            raise IntegrityError(
                f"face model {name} has SHA-256 {actual}, expected {MODEL_SHA256[name]}", subject=name
            )
        _verified.add(name)
    return models_digest(refine_landmarks)


def models_digest(refine_landmarks: bool = True) -> str:
    """One digest over the (name, SHA-256) pairs of the models a tracker uses."""
    return digest({name: MODEL_SHA256[name] for name in _model_files(refine_landmarks)})


def _quiet_mediapipe() -> Any:
    """Import MediaPipe late: it pulls in OpenCV and matplotlib."""
    from mediapipe.python.solutions import face_mesh

    return face_mesh


class FaceTracker:
    """One MediaPipe FaceMesh graph; ``static=True`` detects in every image independently.

    Use as a context manager (the graph holds native threads and memory).
    """

    def __init__(self, config: TrackerConfig = TrackerConfig(), *, static: bool = False) -> None:
        self.config = config
        self._static = static
        self._mesh: Any = None
        self._since_detect = 0
        self._last_eyes: tuple[np.ndarray, float] | None = None  #: eye midpoint, distance

    def __enter__(self) -> Self:
        verify_models(self.config.refine_landmarks)
        face_mesh = _quiet_mediapipe()
        # The graph opens on MediaPipe's worker threads after the constructor returns, and
        # they print TensorFlow Lite's and Abseil's info and warning lines: wait inside.
        with quiet_native_stderr():
            self._mesh = face_mesh.FaceMesh(
                static_image_mode=self._static,
                max_num_faces=1,
                refine_landmarks=self.config.refine_landmarks,
                min_detection_confidence=self.config.min_detection_confidence,
                min_tracking_confidence=self.config.min_tracking_confidence,
            )
            self._mesh._graph.wait_until_idle()
        return self

    def _restart_graph(self) -> None:
        """A new graph run (the next image starts with a detection), without its log lines."""
        with quiet_native_stderr():
            self._mesh.reset()
            self._mesh._graph.wait_until_idle()

    def __exit__(self, *exc_info: object) -> None:
        if self._mesh is not None:
            self._mesh.close()
            self._mesh = None

    def landmarks(self, rgb: np.ndarray) -> np.ndarray | None:
        """(N, 2) landmark pixels of the face in an RGB uint8 image, or None."""
        if self._mesh is None:
            raise RuntimeError("FaceTracker is used outside its `with` block")
        height, width = rgb.shape[:2]
        scale = 1.0
        image = rgb
        longest = max(height, width)
        # MediaPipe's bundled OpenCV aborts the whole process on a side of 32767 px or more
        limit = min(self.config.max_side or MEDIAPIPE_MAX_SIDE, MEDIAPIPE_MAX_SIDE)
        if min(height, width) * limit / max(longest, limit) < MIN_FACE_SIDE:
            return None  # a strip a few pixels high holds no face (and would be resized to nothing)
        if longest > limit:
            scale = longest / limit
            size = (round(width / scale), round(height / scale))
            image = np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BILINEAR))
        if not self._static and self.config.redetect_every:
            self._since_detect += 1
            if self._since_detect >= self.config.redetect_every:
                self._restart_graph()  # a new graph run starts with a detection
                self._since_detect = 0
        points = self._process(image, width, height)
        if self._static or not self.config.redetect_on_jump:
            return points
        if points is not None and self._jumped(points):
            self._restart_graph()  # the lagging fit is replaced by a fresh detection
            points = self._process(image, width, height)
        self._last_eyes = None if points is None else _eye_midpoint(points)
        return points

    def _process(self, image: np.ndarray, width: int, height: int) -> np.ndarray | None:
        with warnings.catch_warnings():
            # protobuf 4 warns about an API MediaPipe 0.10 still calls, once per process
            warnings.simplefilter("ignore", UserWarning)
            result = self._mesh.process(np.ascontiguousarray(image))
        faces = result.multi_face_landmarks
        if not faces:
            return None
        points = np.array([(p.x, p.y) for p in faces[0].landmark], dtype=np.float32)
        points *= np.array([width, height], dtype=np.float32)  # normalised -> original px
        return points

    def _jumped(self, points: np.ndarray) -> bool:
        if self._last_eyes is None:
            return False
        (before, distance), (now, _) = self._last_eyes, _eye_midpoint(points)
        return float(np.hypot(*(now - before))) > self.config.redetect_on_jump * distance

    def reset(self) -> None:
        """Forget the tracked face: the next image starts with a fresh detection."""
        if self._mesh is not None:
            self._restart_graph()
        self._since_detect = 0
        self._last_eyes = None


def _eye_midpoint(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Midpoint between the eye centres and their distance (the face's own scale)."""
    right, left = eye_centres(points)
    return (right + left) / 2, max(float(np.hypot(*(left - right))), 1.0)


def _bbox(points: np.ndarray) -> tuple[float, float, float, float]:
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def find_face_in_tiles(tracker: FaceTracker, rgb: np.ndarray) -> np.ndarray | None:
    """Landmarks (frame pixels) of the first face found in overlapping square tiles.

    Tiles of ``TILE_FRACTION`` of the shorter side, overlapping by half, in reading
    order; None when the picture is too small to tile or no tile holds a face.
    """
    height, width = rgb.shape[:2]
    side = round(min(height, width) * TILE_FRACTION)
    if side < MIN_TILE:
        return None
    step = side // 2
    for y in range(0, height - side + 1, step):
        for x in range(0, width - side + 1, step):
            points = tracker.landmarks(np.ascontiguousarray(rgb[y : y + side, x : x + side]))
            if points is not None:
                return points + np.array([x, y], dtype=np.float32)
    return None


def find_face(tracker: FaceTracker, rgb: np.ndarray) -> np.ndarray | None:
    """Landmarks of a face in a still picture: the whole picture first, then its tiles."""
    points = tracker.landmarks(np.ascontiguousarray(rgb))
    return points if points is not None else find_face_in_tiles(tracker, rgb)


@dataclass(frozen=True)
class _Window:
    """A square of the frame in which a small face is tracked."""

    x0: int
    y0: int
    side: int

    @classmethod
    def around(cls, points: np.ndarray, width: int, height: int) -> _Window:
        x0, y0, x1, y1 = _bbox(points)
        face = max(x1 - x0, y1 - y0)
        side = min(max(round(face * WINDOW_FACE_WIDTHS), MIN_TILE), width, height)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        left = int(np.clip(round(cx - side / 2), 0, width - side))
        top = int(np.clip(round(cy - side / 2), 0, height - side))
        return cls(left, top, side)

    def cut(self, rgb: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(rgb[self.y0 : self.y0 + self.side, self.x0 : self.x0 + self.side])

    def far_from(self, other: _Window) -> bool:
        """True when ``other`` is shifted by over a quarter of this side or a quarter larger
        or smaller: worth moving to (small moves would only restart the tracker)."""
        shift = max(abs(other.x0 - self.x0), abs(other.y0 - self.y0))
        return shift > self.side / 4 or abs(other.side - self.side) > self.side / 4


class VideoFaceTracker:
    """Follows one face through consecutive frames, small faces included (module docstring).

    Three graphs: the whole frame (video mode), a small face's window (video mode) and
    the tile search (still images). A context manager.
    """

    def __init__(self, config: TrackerConfig = TrackerConfig()) -> None:
        self.config = config
        self._whole = FaceTracker(config)
        self._window_tracker = FaceTracker(config)
        self._finder = FaceTracker(config, static=True)
        self._window: _Window | None = None
        self._since_search = config.tile_search_every  # search on the first faceless frame

    def __enter__(self) -> Self:
        for tracker in (self._whole, self._window_tracker, self._finder):
            tracker.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        for tracker in (self._whole, self._window_tracker, self._finder):
            tracker.__exit__(*exc_info)

    def landmarks(self, rgb: np.ndarray) -> np.ndarray | None:
        """(N, 2) landmark pixels of the followed face in this frame, or None."""
        if self._window is not None:
            points = self._in_window(rgb)
            if points is not None:
                return points
        points = self._whole.landmarks(rgb)
        if points is not None or not self.config.tile_search_every:
            return points
        self._since_search += 1
        if self._since_search < self.config.tile_search_every:
            return None
        self._since_search = 0
        points = find_face_in_tiles(self._finder, rgb)
        if points is not None:
            height, width = rgb.shape[:2]
            self._follow(_Window.around(points, width, height))
        return points

    def _in_window(self, rgb: np.ndarray) -> np.ndarray | None:
        window = self._window
        assert window is not None
        points = self._window_tracker.landmarks(window.cut(rgb))
        if points is None:  # lost: back to the whole frame, and search at once
            self._window = None
            self._since_search = self.config.tile_search_every
            return None
        points = points + np.array([window.x0, window.y0], dtype=np.float32)
        height, width = rgb.shape[:2]
        moved = _Window.around(points, width, height)
        if window.far_from(moved):
            self._follow(moved)
        return points

    def _follow(self, window: _Window) -> None:
        self._window = window
        self._window_tracker.reset()  # its last position was in the old window's pixels

    def observe(self, rgb: np.ndarray, frame_index: int, time_s: float) -> FaceObservation:
        points = self.landmarks(rgb)
        height, width = rgb.shape[:2]
        bbox = None if points is None else _bbox(points)
        return FaceObservation(frame_index, time_s, width, height, points, bbox)


# -- decoding beside tracking -------------------------------------------------------------


T = TypeVar("T")


def prefetch(items: Iterator[T], depth: int = 8) -> Generator[T, None, None]:
    """Produce ``items`` in a background thread, so decoding overlaps face tracking.

    PyAV and MediaPipe both release the GIL in their native work, so on two cores the
    decoder and the landmark model run side by side. Exceptions reach the consumer.
    """
    slots: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put((True, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put((False, None))
        except Exception as exc:  # noqa: BLE001 - handed to the consumer and re-raised there
            slots.put((False, exc))

    worker = threading.Thread(target=produce, name="frame-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            ok, item = slots.get()
            if not ok:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # drain so a blocked producer can see `stop`
            with contextlib.suppress(queue.Empty):
                slots.get(timeout=0.05)
        worker.join()


# -- aligned crops ----------------------------------------------------------------------


def eye_centres(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the subject's right and left eye (mean of each eye's two corners).

    Corners do not move when the lids close, so the alignment is stable through blinks.
    """
    right = landmarks[list(RIGHT_EYE_CORNERS)].mean(axis=0)
    left = landmarks[list(LEFT_EYE_CORNERS)].mean(axis=0)
    return right, left


@dataclass(frozen=True)
class FaceAlignment:
    """The affine map from an aligned crop's pixels to the source image's pixels."""

    size: int  #: crop side
    coefficients: tuple[float, float, float, float, float, float]  #: (a, b, c, d, e, f)

    def crop(self, image: np.ndarray) -> np.ndarray:
        """The ``size`` x ``size`` crop (bicubic; pixels outside the image are black)."""
        pil = Image.fromarray(np.ascontiguousarray(image))
        crop = pil.transform((self.size, self.size), Image.Transform.AFFINE, self.coefficients,
                             Image.Resampling.BICUBIC)
        return np.asarray(crop)

    def to_crop(self, points: np.ndarray) -> np.ndarray:
        """Source-image points (N, 2) in the crop's pixel coordinates."""
        a, b, c, d, e, f = self.coefficients
        matrix = np.array([[a, b], [d, e]], dtype=np.float64)
        return (np.asarray(points, dtype=np.float64) - (c, f)) @ np.linalg.inv(matrix).T


def face_alignment(
    landmarks: np.ndarray, size: int, *, eye_distance: float = 0.36, eye_height: float = 0.38
) -> FaceAlignment:
    """The crop that levels the eyes and scales the face by their distance: the eyes land
    at ``eye_height`` of the crop's height, ``eye_distance`` of its width apart,
    symmetric about the centre."""
    right, left = eye_centres(np.asarray(landmarks, dtype=np.float64))
    delta = left - right  # image-left eye to image-right eye
    distance = float(np.hypot(*delta))
    if distance < 1e-3:
        raise ValueError("eye centres coincide: landmarks are degenerate")
    scale = distance / (eye_distance * size)  # source pixels per crop pixel
    cos, sin = delta / distance
    centre = (right + left) / 2
    # crop (u, v) -> source: centre + scale * R(angle) @ (u - size/2, v - eye_height*size)
    a, b = scale * cos, -scale * sin
    d, e = scale * sin, scale * cos
    u0, v0 = size / 2, eye_height * size
    c = centre[0] - a * u0 - b * v0
    f = centre[1] - d * u0 - e * v0
    return FaceAlignment(size, (float(a), float(b), float(c), float(d), float(e), float(f)))


def aligned_face_crop(
    image: np.ndarray,
    landmarks: np.ndarray,
    size: int = 256,
    *,
    eye_distance: float = 0.36,
    eye_height: float = 0.38,
) -> np.ndarray:
    """A ``size`` x ``size`` crop rotated so the eyes are level and scaled by their distance
    (``face_alignment``; a common layout that keeps the forehead, cheeks and chin)."""
    alignment = face_alignment(landmarks, size, eye_distance=eye_distance, eye_height=eye_height)
    return alignment.crop(image)
