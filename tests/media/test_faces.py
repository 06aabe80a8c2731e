"""Face tracking, unscorable intervals and aligned crops, on scikit-image's astronaut."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from forensics.errors import IntegrityError
from forensics.media import faces
from forensics.media.crops import crop_needs, video_crops
from forensics.media.faces import (
    FaceObservation,
    TrackerConfig,
    aligned_face_crop,
    eye_centres,
    intervals,
    prefetch,
)
from forensics.media.item import ItemMedia, StillFaces, VideoNeeds
from forensics.media.video import display_rotation
from forensics.model import EvidenceInput
from tests.media.blink_clips import astronaut, blink_clip, still_clip, write_video


def _video(path) -> EvidenceInput:
    return EvidenceInput(path, "", "video/mp4", path.name)


def track_video(path, config: TrackerConfig = TrackerConfig()) -> tuple[FaceObservation, ...]:
    """Every frame's face observation, from the item's one decoding pass."""
    return ItemMedia(_video(path), [VideoNeeds(tracking=config)]).video().observations(config)


def detect_face(rgb: np.ndarray) -> np.ndarray | None:
    with StillFaces() as faces:
        return faces.find(rgb)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("faces")
    return {
        "leaving": blink_clip(root / "leaving.mp4", 40, [], leave_at=20),
        "rotated": blink_clip(root / "rotated.mp4", 12, [], rotation=-90),
        "empty": still_clip(root / "empty.mp4", np.full((240, 320, 3), 90, np.uint8), 6),
    }


def test_every_frame_is_observed_and_a_face_that_leaves_is_recorded(clips):
    observations = list(track_video(clips["leaving"]))
    assert [o.frame_index for o in observations] == list(range(40))
    first = observations[0]
    assert isinstance(first, FaceObservation) and first.found
    assert first.landmarks.shape == (faces.LANDMARK_COUNT, 2)
    x0, y0, x1, y1 = first.bbox
    right, left = eye_centres(first.landmarks)
    assert x0 < right[0] < left[0] < x1 and y0 < right[1] < y1
    assert all(o.found for o in observations[:20])
    missing = intervals((o.frame_index, o.time_s, not o.found) for o in observations)
    # the face slides out 24 px a frame from frame 20: lost within a few frames, not back
    assert len(missing) == 1 and 20 < missing[0].start_frame <= 32 and missing[0].end_frame == 39
    assert missing[0].start_s == pytest.approx(missing[0].start_frame / 25)


def test_a_small_face_moving_across_a_wide_frame_is_followed(tmp_path):
    face = np.asarray(Image.fromarray(astronaut()).resize((300, 300), Image.Resampling.LANCZOS))

    def frames():
        for i in range(50):
            canvas = np.full((720, 1280, 3), 200, np.uint8)
            left = 100 + 16 * i  # 800 px in 50 frames: the window must move with it
            canvas[380:680, left : left + 300] = face
            yield canvas

    clip = write_video(tmp_path / "crossing.mp4", frames())
    observed = list(track_video(clip))
    assert [o.found for o in observed] == [True] * 50
    centres = [(o.bbox[0] + o.bbox[2]) / 2 for o in observed]
    expected = [centres[0] + 16 * i for i in range(50)]
    assert np.abs(np.array(centres) - expected).max() < 12
    whole_only = list(track_video(clip, faces.TrackerConfig(tile_search_every=0)))
    assert not any(o.found for o in whole_only)


def test_a_video_without_a_face_gives_observations_without_landmarks(clips):
    observations = list(track_video(clips["empty"]))
    assert len(observations) == 6 and not any(o.found for o in observations)
    media = ItemMedia(_video(clips["empty"]), [crop_needs(8)])
    assert [c.pixels for c in video_crops(media, 256, 8)] == [None] * 6


def test_rotation_metadata_is_applied(clips):
    assert display_rotation(clips["rotated"]) == 90
    observations = list(track_video(clips["rotated"]))
    assert all(o.found for o in observations)
    assert (observations[0].width, observations[0].height) == (512, 512)
    right, left = eye_centres(observations[0].landmarks)
    assert abs(right[1] - left[1]) < 5  # upright: the eyes are level


def test_aligned_crop_levels_and_scales_the_eyes():
    tilted = np.asarray(Image.fromarray(astronaut()).rotate(25, resample=Image.Resampling.BICUBIC))
    landmarks = detect_face(tilted)
    assert landmarks is not None
    right, left = eye_centres(landmarks)
    assert abs(np.degrees(np.arctan2(left[1] - right[1], left[0] - right[0]))) > 15
    crop = aligned_face_crop(tilted, landmarks, size=256)
    assert crop.shape == (256, 256, 3)
    again = detect_face(np.ascontiguousarray(crop))
    assert again is not None
    right, left = eye_centres(again)
    assert abs(right[1] - left[1]) < 3  # level
    assert np.hypot(*(left - right)) == pytest.approx(0.36 * 256, abs=5)
    assert (right[1] + left[1]) / 2 == pytest.approx(0.38 * 256, abs=5)
    assert (right[0] + left[0]) / 2 == pytest.approx(128, abs=4)


def test_face_crops_from_sampled_frames(tmp_path):
    clip = blink_clip(tmp_path / "c.mp4", 10, [])
    crops = video_crops(ItemMedia(_video(clip), [crop_needs(3)]), 128, 3)
    assert len(crops) == 3 and crops[0].frame_index == 0
    assert all(c.pixels is not None and c.pixels.shape == (128, 128, 3) for c in crops)


def test_intervals_are_maximal_runs():
    flags = [(i, i / 10, i in {0, 1, 4, 5, 6, 9}) for i in range(10)]
    got = [(iv.start_frame, iv.end_frame, iv.frames) for iv in intervals(flags)]
    assert got == [(0, 1, 2), (4, 6, 3), (9, 9, 1)]
    assert intervals([]) == []


def test_prefetch_keeps_order_and_passes_errors_on():
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))

    def broken():
        yield 1
        raise ValueError("decoder died")

    got: list[int] = []
    with pytest.raises(ValueError, match="decoder died"):
        got.extend(prefetch(broken()))
    assert got == [1]
    stream = prefetch(iter(range(10_000)), depth=2)
    assert next(stream) == 0
    stream.close()  # an abandoned consumer stops the producer thread


def test_a_changed_face_model_is_refused(monkeypatch):
    monkeypatch.setattr(faces, "_verified", set())
    name = "face_landmark/face_landmark_with_attention.tflite"
    monkeypatch.setitem(faces.MODEL_SHA256, name, "0" * 64)
    with pytest.raises(IntegrityError, match="face_landmark_with_attention") as info:
        faces.verify_models(refine_landmarks=True)
    assert info.value.subject == name


class _FakeGraph:
    def wait_until_idle(self) -> None:
        """A restarted graph is idle at once."""


class _FakeMesh:
    """Stands in for the MediaPipe solution: counts resets."""

    def __init__(self) -> None:
        self.resets = 0
        self._graph = _FakeGraph()

    def reset(self) -> None:
        self.resets += 1


def _face_at(x: float, eye_distance: float = 40.0) -> np.ndarray:
    points = np.zeros((faces.LANDMARK_COUNT, 2), dtype=np.float32)
    right, left = faces.RIGHT_EYE_CORNERS, faces.LEFT_EYE_CORNERS
    points[list(right)] = [[x - eye_distance / 2 - 5, 100], [x - eye_distance / 2 + 5, 100]]
    points[list(left)] = [[x + eye_distance / 2 - 5, 100], [x + eye_distance / 2 + 5, 100]]
    return points


@pytest.mark.parametrize(("step", "redetections"), [(4.0, 0), (20.0, 1)])
def test_a_jump_of_the_face_is_measured_again_from_a_fresh_detection(monkeypatch, step, redetections):
    tracker = faces.FaceTracker(faces.TrackerConfig(redetect_on_jump=0.25))
    tracker._mesh = mesh = _FakeMesh()
    fits = iter([_face_at(300), _face_at(300 + step), _face_at(300 + step + 1)])
    monkeypatch.setattr(tracker, "_process", lambda *args: next(fits))
    frame = np.zeros((480, 640, 3), np.uint8)
    tracker.landmarks(frame)
    second = tracker.landmarks(frame)
    # eye distance 40 px: a 20 px step is half of it (a jump), a 4 px step a tenth
    assert mesh.resets == redetections
    expected = 300 + step + (1 if redetections else 0)
    assert faces.eye_centres(second)[0][0] == pytest.approx(expected - 20)


def test_extreme_picture_shapes_are_searched_without_crashing_the_process():
    """MediaPipe's OpenCV aborts the process on a side of 32767 px or more; a strip a
    pixel high would be resized to nothing. In a child process, so that a regression
    shows as a failed test, not a dead test runner."""
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from forensics.media.item import StillFaces\n"
        "from tests.media.blink_clips import astronaut\n"
        "wide = np.zeros((64, 40000, 3), np.uint8)\n"
        "wide[:, :512] = astronaut()[:64]\n"
        "with StillFaces() as faces:\n"
        "    print(faces.find(wide) is None, faces.find(np.zeros((1, 30000, 3), np.uint8)) is None,\n"
        "          faces.find(astronaut()) is not None)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "True", "True"]
