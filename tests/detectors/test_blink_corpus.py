"""The blink detector on real clips from ../shared/corpus (skipped where it is absent).

The full evaluation against every annotated clip is ``benchmarks/blink_eval.py``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from forensics.detectors.blink import BlinkDetector
from forensics.model import EvidenceInput, Verdict

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
ANNOTATIONS = CORPUS / "BLINK_ANNOTATIONS.json"
EXAMPLE = "blink_videos/DinoMan__blink-detector/example/example.mp4"
ANCHOR = "face_videos/polimi-ispl__icpr2020dfdc/test/data/ffpp/original_sequences/youtube/c23/videos/519.mp4"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not ANNOTATIONS.exists(), reason=f"no blink corpus at {CORPUS}"),
]


def annotated(video: str) -> dict:
    return next(c for c in json.loads(ANNOTATIONS.read_text()) if c["video"] == video)


def detect(video: str):
    path = CORPUS / video
    (finding,) = BlinkDetector().run(
        EvidenceInput(path, hashlib.sha256(path.read_bytes()).hexdigest(), "video/mp4", path.name)
    )
    return finding


def overlaps(event: dict, blink: dict) -> bool:
    return event["start_frame"] <= blink["end"] and blink["start"] <= event["end_frame"]


def test_example_clip_has_exactly_its_two_blinks():
    finding = detect(EXAMPLE)
    truth = annotated(EXAMPLE)["blinks"]
    events = finding.details["events"]
    assert finding.details["blink_count"] == 2
    assert all(overlaps(e, b) for e, b in zip(events, truth, strict=True))
    assert finding.verdict is Verdict.INCONCLUSIVE  # 3 s is far below the minimum for a rate


@pytest.mark.slow
def test_news_anchor_blinks_match_the_annotation():
    clip = annotated(ANCHOR)
    events = detect(ANCHOR).details["events"]
    truth = clip["blinks"]
    matched = sum(any(overlaps(e, b) for e in events) for b in truth)
    assert abs(len(events) - len(truth)) <= 1 and matched >= len(truth) - 1
