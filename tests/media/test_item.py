"""One decode per item: every detector reads the same pass, and what a detector is given
does not depend on which other detectors run beside it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from forensics.detectors.registry import get_detector
from forensics.errors import EvidenceError
from forensics.media import item as item_module
from forensics.media import video as video_module
from forensics.media.item import ItemMedia, VideoNeeds
from forensics.model import EvidenceInput
from forensics.pipeline import analyse_items
from tests.files import evidence_input
from tests.media.blink_clips import astronaut, blink_clip

VIDEO_DETECTORS = ("frequency", "cnn", "blink")


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> EvidenceInput:
    path = blink_clip(tmp_path_factory.mktemp("item") / "clip.mp4", 30, [10])
    return evidence_input(path, "video/mp4")


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> EvidenceInput:
    path = tmp_path_factory.mktemp("item") / "face.jpg"
    Image.fromarray(astronaut()).save(path, "JPEG", quality=90)
    return evidence_input(path, "image/jpeg")


def _counting(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[object]:
    calls: list[object] = []
    original = getattr(module, name)

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_a_video_is_decoded_once_for_every_detector(clip, monkeypatch):
    decodes = _counting(monkeypatch, video_module, "decode_frames")
    chosen = [get_detector(name)() for name in VIDEO_DETECTORS]
    results = list(analyse_items(chosen, [clip]))
    assert [detector.name for _, detector, _ in results] == list(VIDEO_DETECTORS)
    assert len(decodes) == 1, "one decoding pass for the three detectors"


def test_an_image_is_read_once_and_decoded_once_per_representation(photo, monkeypatch):
    decodes = _counting(monkeypatch, item_module, "load_image")
    reads: list[Path] = []
    original = Path.read_bytes

    def read_bytes(path: Path) -> bytes:
        reads.append(path)
        return original(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    media = ItemMedia(photo)
    for _ in range(3):  # three detectors asking for the same things
        media.image("RGB")
        media.image("L")
        media.image_face()
    assert reads.count(photo.path) == 1
    assert len(decodes) == 2  # RGB once, luma once


def test_findings_do_not_depend_on_the_other_detectors(clip):
    together = {d.name: [f.digest for f in found]
                for _, d, found in analyse_items([get_detector(n)() for n in VIDEO_DETECTORS], [clip])}
    for name in VIDEO_DETECTORS:
        ((_, _, alone),) = list(analyse_items([get_detector(name)()], [clip]))
        assert [f.digest for f in alone] == together[name], name


def test_the_pass_gives_each_need_its_frames_and_faces(clip):
    from forensics.media.faces import TrackerConfig

    config = TrackerConfig()
    media = ItemMedia(clip, [VideoNeeds(samples=4, faces=True), VideoNeeds(samples=8),
                             VideoNeeds(tracking=config)])
    video = media.video()
    assert video.frame_count == 30 and video.fps == pytest.approx(25.0)
    four, eight = video.sampled(4), video.sampled(8)
    assert [f.index for f in four] == [0, 8, 15, 23]  # starts of 0.3 s slices at 25 fps
    assert {f.index for f in four} <= {f.index for f in eight}
    assert all(f.landmarks is not None and f.pixels.shape == (512, 512, 3) for f in four)
    observations = video.observations(config)
    assert [o.frame_index for o in observations] == list(range(30))
    # the sampled frame's face (still-image search) agrees with the tracked one
    tracked = observations[15].landmarks
    assert tracked is not None and np.abs(four[2].landmarks - tracked).mean() < 3.0
    with pytest.raises(RuntimeError, match="not declared"):
        video.sampled(5)


def test_a_broken_video_is_one_error_for_every_detector(tmp_path):
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    evidence = evidence_input(path, "video/mp4")
    media = ItemMedia(evidence, [VideoNeeds(samples=8)])
    with pytest.raises(EvidenceError) as first:
        media.video()
    with pytest.raises(EvidenceError) as again:
        media.video()
    assert again.value is first.value  # kept, not decoded twice
    results = list(analyse_items([get_detector(n)() for n in VIDEO_DETECTORS], [evidence]))
    assert all(found[0].verdict == "error" and found[0].reason for _, _, found in results)
