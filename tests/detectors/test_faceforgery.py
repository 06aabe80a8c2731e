"""The face-forgery detector: pinned weights and backbone refused when changed, the clip
rule, images with and without a face, videos (frame logits, Grad-CAM), bad input; and
the self-blended images it learns from."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from forensics.detectors.faceforgery import (
    CROP_LAYOUT,
    CROP_SIZE,
    FRAMES_ARTIFACT,
    GRADCAM_ARTIFACT,
    FaceForgeryConfig,
    FaceForgeryDetector,
    clip_logit,
)
from forensics.errors import IntegrityError
from forensics.media.faces import face_alignment
from forensics.media.item import StillFaces
from forensics.model import EvidenceInput, Verdict
from forensics.nets.efficientnet import BACKBONE_SHA256, FaceForgeryNet, backbone_path, pretrained
from forensics.training.cnn import weights_bytes
from forensics.training.sbi import self_blend
from tests.files import evidence_input, flipped_copy
from tests.media.blink_clips import astronaut, blink_clip
from tests.media.conftest import smooth_rgb


@pytest.fixture(scope="module")
def model_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Seeded random weights leaning to 'manipulated' (output bias +20) and a minimal card:
    the mechanics need no training."""
    root = tmp_path_factory.mktemp("faceforgery_model")
    torch.manual_seed(0)
    weights = root / "w.pt"
    state = {k: v.clone() for k, v in FaceForgeryNet().state_dict().items()}
    state["backbone._fc.bias"] = torch.tensor([20.0])
    weights.write_bytes(weights_bytes(state))
    card = root / "w.card.json"
    card.write_text(json.dumps({"format": "test card"}))
    return weights, card


def _detector(weights: Path, card: Path, **config: int) -> FaceForgeryDetector:
    sha = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (weights, card)}
    cfg = FaceForgeryConfig(weights_sha256=sha[weights], card_sha256=sha[card], **config)
    return FaceForgeryDetector(cfg, weights_path=weights, card_path=card)


@pytest.fixture(scope="module")
def face_jpg(tmp_path_factory: pytest.TempPathFactory) -> EvidenceInput:
    path = tmp_path_factory.mktemp("ff") / "face.jpg"
    Image.fromarray(astronaut()).save(path, "JPEG", quality=92)
    return evidence_input(path, "image/jpeg")


# -- integrity ---------------------------------------------------------------------------


def test_a_flipped_byte_in_the_weights_is_refused_naming_the_file(tmp_path, model_files, face_jpg):
    weights, card = model_files
    detector = _detector(weights, card)
    changed = flipped_copy(weights, tmp_path / "w.pt")
    tampered = FaceForgeryDetector(detector.config, weights_path=changed, card_path=card)
    with pytest.raises(IntegrityError) as info:
        tampered.run(face_jpg)
    assert info.value.subject == str(changed) and "does not match the pinned" in str(info.value)
    assert "face-forgery weights file" in str(info.value)


def test_a_changed_model_card_is_refused(tmp_path, model_files, face_jpg):
    weights, card = model_files
    detector = _detector(weights, card)
    changed = tmp_path / "card.json"
    changed.write_text(card.read_text().replace("test", "best"))
    with pytest.raises(IntegrityError, match="face-forgery model card"):
        FaceForgeryDetector(detector.config, weights_path=weights, card_path=changed).run(face_jpg)


def test_a_flipped_byte_in_the_imagenet_backbone_is_refused(tmp_path):
    source = backbone_path()
    assert hashlib.sha256(source.read_bytes()).hexdigest() == BACKBONE_SHA256
    changed = flipped_copy(source, tmp_path / source.name)
    with pytest.raises(IntegrityError) as info:
        pretrained(changed)
    assert info.value.subject == str(changed) and "ImageNet backbone weights" in str(info.value)
    net = pretrained(Path(shutil.copy(source, tmp_path / "intact.pth")))
    assert isinstance(net, FaceForgeryNet)


# -- the clip rule -----------------------------------------------------------------------


def test_the_clip_score_is_the_median_frame():
    assert clip_logit(np.array([-3.0, 2.0, -1.0, 40.0, 0.0])) == 0.0  # one odd frame decides nothing
    assert clip_logit(np.array([-3.0, 2.0, -1.0, 4.0])) == pytest.approx(0.5)
    assert clip_logit(np.array([1.5])) == 1.5


# -- findings ----------------------------------------------------------------------------


def test_a_face_gets_a_score_and_a_heatmap_and_no_face_gets_none(tmp_path, model_files, face_jpg):
    detector = _detector(*model_files)
    with detector:
        (finding,) = detector.run(face_jpg)
    assert finding.verdict == Verdict.NOT_VALIDATED and finding.score is not None
    assert 0.0 < finding.score < 1.0 and finding.details["faces_found"] == 1
    assert finding.details["logit"] > 0 and [a.name for a in finding.artifacts] == [GRADCAM_ARTIFACT]
    assert Image.open(io.BytesIO(finding.artifacts[0].data)).size == (2 * CROP_SIZE, CROP_SIZE)
    empty = tmp_path / "flat.png"
    Image.fromarray(smooth_rgb(300, 400)).save(empty)
    (none,) = detector.run(evidence_input(empty, "image/png"))
    assert none.verdict == Verdict.INCONCLUSIVE and none.score is None and "No face" in none.reason


def test_a_video_is_scored_by_the_clip_rule_with_frame_logits(tmp_path, model_files):
    clip = blink_clip(tmp_path / "clip.mp4", 20, [5])
    detector = _detector(*model_files, video_frames=6)
    with detector:
        (finding,) = detector.run(evidence_input(clip, "video/mp4"))
    timeline = next(a for a in finding.artifacts if a.name == FRAMES_ARTIFACT)
    body = json.loads(timeline.data)
    logits = np.array([f["logit"] for f in body["frames"]])
    assert len(logits) == 6 and finding.details["faces_found"] == 6
    assert body["clip_logit"] == pytest.approx(float(np.median(logits)), abs=1e-9)
    assert finding.details["clip_logit"] == body["clip_logit"]
    assert (logits > 0).all() and sum(a.name == GRADCAM_ARTIFACT for a in finding.artifacts) == 2
    figure = FaceForgeryDetector.figure(timeline)
    assert figure is not None and figure.thresholds[0][1] == body["clip_logit"]


def test_no_heatmap_is_drawn_for_a_face_that_leans_to_authentic(tmp_path, model_files, face_jpg):
    weights, card = model_files
    state = torch.load(weights, weights_only=True)
    state["backbone._fc.bias"] = torch.tensor([-20.0])
    authentic = tmp_path / "authentic.pt"
    authentic.write_bytes(weights_bytes(state))
    (finding,) = _detector(authentic, card).run(face_jpg)
    assert finding.details["logit"] < 0 and finding.artifacts == () and finding.details["gradcam"] == []


def test_a_damaged_file_is_an_error_finding(tmp_path, model_files):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    (finding,) = _detector(*model_files).run(evidence_input(broken, "image/jpeg"))
    assert finding.verdict == Verdict.ERROR and finding.score is None
    assert "damaged image data" in finding.reason or "not an image" in finding.reason


# -- self-blended images -----------------------------------------------------------------


def test_a_self_blend_changes_the_face_and_leaves_the_rest():
    rgb = astronaut()
    with StillFaces() as faces:
        landmarks = faces.find(rgb)
    alignment = face_alignment(landmarks, CROP_SIZE, **CROP_LAYOUT)
    crop, points = alignment.crop(rgb), alignment.to_crop(landmarks)
    # the landmarks follow the crop: the eyes land where the layout puts them
    right_eye = points[[33, 133]].mean(axis=0)
    assert right_eye[1] == pytest.approx(CROP_LAYOUT["eye_height"] * CROP_SIZE, abs=2)
    blended, mask = self_blend(crop, points, np.random.default_rng(3))
    again, _ = self_blend(crop, points, np.random.default_rng(3))
    np.testing.assert_array_equal(blended, again)  # seeded: reproducible
    assert mask.shape == (CROP_SIZE, CROP_SIZE) and mask.min() >= 0.0 and mask.max() <= 1.0
    outside = mask == 0
    np.testing.assert_array_equal(blended[outside], crop[outside])  # the background is the target's
    inside = mask > 0.9 * mask.max()
    assert inside.sum() > 2000 and np.abs(blended[inside].astype(int) - crop[inside]).mean() > 1.0
