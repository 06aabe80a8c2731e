"""The blink detector on generated clips of scikit-image's astronaut (no ../shared needed)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from forensics.detectors.blink import BlinkConfig, BlinkDetector, poisson_rate_ci
from forensics.detectors.blink_events import BlinkParams, EarSeries, detect_blinks
from forensics.detectors.registry import get_detector
from forensics.media.faces import TrackerConfig
from forensics.model import EvidenceInput, Finding, Verdict
from tests.media.blink_clips import BLINK_PROFILE, blink_clip, still_clip

BLINKS = (30, 70, 112)  # first frame of each drawn blink, 4 frames each, 25 fps


def evidence(path: Path) -> EvidenceInput:
    return EvidenceInput(path, hashlib.sha256(path.read_bytes()).hexdigest(), "video/mp4")


def run(path: Path, config: BlinkConfig | None = None) -> Finding:
    (finding,) = BlinkDetector(config).run(evidence(path))
    return finding


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return blink_clip(tmp_path_factory.mktemp("blink") / "astronaut.mp4", 150, BLINKS)


def spans(finding: Finding) -> list[tuple[int, int, int]]:
    return [(e["start_frame"], e["peak_frame"], e["end_frame"]) for e in finding.details["events"]]


def test_registered():
    assert get_detector("blink") is BlinkDetector
    assert BlinkDetector.version == "1.1.0" and BlinkDetector.inputs == {"video"}


def test_finds_exactly_the_drawn_blinks(clip):
    finding = run(clip)
    details = finding.details
    assert details["blink_count"] == 3
    for (start, peak, end), drawn in zip(spans(finding), BLINKS, strict=True):
        # drawn: half-closed, closed, closed, half-closed
        assert drawn <= start <= drawn + 1 and drawn + 1 <= peak <= drawn + 2
        assert drawn + 2 <= end <= drawn + len(BLINK_PROFILE) - 1
    assert details["scorable_seconds"] == pytest.approx(6.0)
    assert details["unscorable_share"] == 0 and details["unscorable_intervals"] == []
    assert details["blinks_per_minute"] == pytest.approx(30.0)
    assert details["inter_blink_intervals_s"]["values"] == pytest.approx([1.6, 1.68], abs=0.05)
    # 6 s is far below the minimum for a rate
    assert finding.verdict is Verdict.INCONCLUSIVE and "at least 60 s" in finding.reason
    assert finding.log10_lr is None and finding.score is None
    (artifact,) = finding.artifacts
    series = json.loads(artifact.data)
    assert artifact.name == "ear_timeseries" and artifact.media_type == "application/json"
    assert len(series["ear"]) == 150
    assert [e["peak_frame"] for e in series["events"]] == [p for _, p, _ in spans(finding)]
    open_ear = np.median([v for v in series["ear"] if v is not None])
    assert 0.25 < open_ear < 0.4 and all(series["ear"][p] < 0.5 * open_ear for _, p, _ in spans(finding))


def test_a_small_face_in_a_tall_frame_is_found_in_tiles_and_tracked(tmp_path):
    small = blink_clip(tmp_path / "small.mp4", 100, BLINKS[:2], small_in=(1280, 720))
    finding = run(small)
    assert finding.details["unscorable_share"] == 0
    starts = [start for start, _, _ in spans(finding)]
    assert [drawn <= start <= drawn + 1 for start, drawn in zip(starts, BLINKS[:2], strict=True)] == [True, True]
    assert finding.details["blink_count"] == 2
    # the whole frame alone does not show the detector this face
    whole_only = BlinkConfig(tracker=TrackerConfig(tile_search_every=0))
    assert run(small, whole_only).details["unscorable_share"] == 1.0


def test_same_file_same_finding_digest(clip):
    assert run(clip).digest == run(clip).digest


def test_long_enough_clip_states_the_rate_against_the_range(clip):
    config = BlinkConfig(min_scorable_s=5.0)  # so the 6 s clip counts as long enough
    finding = run(clip, config)
    assert finding.verdict is Verdict.NOT_VALIDATED and finding.log10_lr is None
    assert finding.score == pytest.approx(30.0)
    assert finding.details["rate_vs_range"] == "above"
    assert "above the 8-21 per minute range" in finding.reason and "at rest" in finding.reason
    low, high = finding.details["rate_ci95_per_minute"]
    assert low < 30 < high


def test_no_blink_at_all_is_reported_as_such(tmp_path):
    clip = blink_clip(tmp_path / "stare.mp4", 130, [])
    finding = run(clip, BlinkConfig(min_scorable_s=5.0, activity="conversation"))
    assert finding.details["blink_count"] == 0 and finding.details["events"] == []
    assert finding.details["rate_vs_range"] == "below"
    assert finding.reason.startswith("0 blinks in 5.2 s") and "10.5-32.5" in finding.reason
    assert finding.verdict is Verdict.NOT_VALIDATED


def test_no_face(tmp_path):
    clip = still_clip(tmp_path / "wall.mp4", np.full((200, 300, 3), 128, np.uint8), 30)
    finding = run(clip)
    assert finding.verdict is Verdict.INCONCLUSIVE
    assert "No face was found in any frame" in finding.reason
    assert finding.details["unscorable_intervals"] == [
        {"start_frame": 0, "end_frame": 29, "start_s": 0.0, "end_s": 1.16, "reason": "no_face"}
    ]
    assert finding.details["scorable_seconds"] == 0 and finding.details["blinks_per_minute"] is None


def test_face_leaving_half_way(tmp_path):
    clip = blink_clip(tmp_path / "leave.mp4", 120, [25, 90], leave_at=60)
    finding = run(clip)
    details = finding.details
    assert details["blink_count"] == 1 and spans(finding)[0][0] in (25, 26)
    gaps = details["unscorable_intervals"]
    assert gaps and gaps[0]["start_frame"] > 60 and gaps[-1]["end_frame"] == 119
    assert 2.4 <= details["scorable_seconds"] <= 3.0
    assert details["unscorable_share"] == pytest.approx(1 - details["scorable_seconds"] / 4.8, abs=1e-3)
    assert finding.verdict is Verdict.INCONCLUSIVE


def test_two_frame_video(tmp_path):
    finding = run(blink_clip(tmp_path / "two.mp4", 2, []))
    assert finding.verdict is Verdict.INCONCLUSIVE
    assert "No stretch of at least 0.5 s" in finding.reason
    assert finding.details["frames"] == 2
    assert finding.details["unscorable_intervals"][0]["reason"] == "track_too_short"


def test_rotated_phone_video(tmp_path):
    clip = blink_clip(tmp_path / "phone.mp4", 100, [40], rotation=90)
    finding = run(clip)
    assert finding.details["display_rotation_deg"] == 270
    assert finding.details["blink_count"] == 1 and spans(finding)[0][1] in (41, 42)
    assert finding.details["unscorable_share"] == 0


def test_damaged_and_foreign_files_give_an_error_finding(tmp_path, clip):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    finding = run(junk)
    assert finding.verdict is Verdict.ERROR and "cannot be read" in finding.reason
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 3])
    assert run(cut).verdict in (Verdict.ERROR, Verdict.INCONCLUSIVE)


# -- the event rules on synthetic EAR signals (no video) --------------------------------


def series(ear: np.ndarray) -> EarSeries:
    n = ear.size
    return EarSeries(np.arange(n), np.arange(n) / 25.0, ear.copy(), ear.copy(), np.ones(n, bool))


def signal(n: int = 200, open_ear: float = 0.3, seed: int = 0) -> np.ndarray:
    return open_ear + np.random.default_rng(seed).normal(0, 0.003, n)


def test_event_rules():
    ear = signal()
    ear[20:24] = [0.2, 0.05, 0.06, 0.2]  # full blink
    ear[60] = 0.16  # one-frame incomplete blink (47 % closure)
    ear[100:112] = 0.16  # slow narrowing, same depth: a squint, not a blink
    ear[150:175] = 0.03  # eyes shut for 1 s: not a blink
    events = detect_blinks(series(ear), 25.0).events
    assert [(e.peak_frame, e.complete) for e in events] == [(21, True), (60, False)]


def test_closure_from_the_first_frame_is_not_counted_but_one_cut_off_at_the_end_is():
    ear = signal(100)
    ear[:3] = 0.04
    ear[97:] = [0.2, 0.08, 0.04]
    events = detect_blinks(series(ear), 25.0).events
    assert [(e.start_frame, e.truncated) for e in events] == [(97, True)]


def test_a_blink_out_of_lowered_lids_is_split_from_the_blink_before():
    ear = signal(120)
    ear[30:34] = [0.15, 0.03, 0.03, 0.15]
    ear[34:60] = 0.21  # lids lowered (gaze down), 30 % closure
    ear[60:63] = [0.1, 0.04, 0.12]
    events = detect_blinks(series(ear), 25.0).events
    assert [e.peak_frame for e in events] == [31, 61]


def test_landmark_noise_raises_the_bar():
    rng = np.random.default_rng(1)
    ear = 0.3 + rng.normal(0, 0.04, 300)  # a jittery track
    ear[150] = 0.1  # 70 % closure, but under 8 sigma of this noise
    assert detect_blinks(series(ear), 25.0).events == ()
    quiet = replace(BlinkParams(), min_snr=0.0)
    assert any(e.peak_frame == 150 for e in detect_blinks(series(ear), 25.0, quiet).events)


def test_poisson_interval():
    low, high = poisson_rate_ci(0, 60.0)
    assert low == 0 and high == pytest.approx(3.689, abs=1e-3)
    low, high = poisson_rate_ci(10, 60.0)
    assert low == pytest.approx(4.795, abs=1e-3) and high == pytest.approx(18.39, abs=1e-2)
