"""The CNN detector: architecture, shipped weights pinned by SHA-256, tamper refusal,
images with and without a face, videos (frame scores, clip rule, Grad-CAM), bad input."""

from __future__ import annotations

import hashlib
import io
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from forensics.detectors import cnn as cnn_module
from forensics.detectors.cnn import (
    PINNED_CARD_SHA256,
    PINNED_WEIGHTS_SHA256,
    CnnConfig,
    CnnDetector,
    default_card_path,
    default_weights_path,
)
from forensics.errors import IntegrityError
from forensics.model import Verdict
from forensics.nets.gradcam import gradcam, overlay_png
from forensics.nets.meso import Meso4, parameter_count, to_tensor
from forensics.training.cnn import weights_bytes
from tests.files import evidence_input
from tests.media.blink_clips import astronaut, shifted, write_video
from tests.media.conftest import make_bad_files, smooth_rgb, write_jpeg

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


@pytest.fixture(scope="module")
def model_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Seeded random Meso-4 weights and a minimal card (the mechanics need no training)."""
    root = tmp_path_factory.mktemp("cnn_model")
    torch.manual_seed(0)
    weights = root / "w.pt"
    weights.write_bytes(weights_bytes({k: v.clone() for k, v in Meso4().state_dict().items()}))
    card = root / "w.card.json"
    card.write_text(json.dumps({"format": "test card"}))
    return weights, card


def _detector(weights: Path, card: Path, **config: object) -> CnnDetector:
    sha = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (weights, card)}
    cfg = CnnConfig(weights_sha256=sha[weights], card_sha256=sha[card], **config)  # type: ignore[arg-type]
    return CnnDetector(cfg, weights_path=weights, card_path=card)


@pytest.fixture(scope="module")
def astronaut_jpg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jpeg(tmp_path_factory.mktemp("img") / "astronaut.jpg", astronaut(), quality=92)


# -- architecture and Grad-CAM ---------------------------------------------------------


def test_meso4_has_about_28k_parameters_and_one_logit_per_image() -> None:
    model = Meso4()
    assert parameter_count(model) == 27_929
    assert model(torch.zeros(2, 3, 256, 256)).shape == (2,)
    with pytest.raises(ValueError):
        Meso4(250)


def test_gradcam_heatmap_and_overlay_png() -> None:
    torch.manual_seed(0)
    model = Meso4().eval()
    crop = np.asarray(Image.fromarray(astronaut()).resize((256, 256)))
    logit, heat = gradcam(model, to_tensor([crop]))
    assert heat.shape == (256, 256) and heat.min() >= 0.0 and heat.max() <= 1.0
    with torch.no_grad():
        assert logit == pytest.approx(float(model(to_tensor([crop]))[0]), abs=1e-5)
    png = Image.open(io.BytesIO(overlay_png(crop, heat)))
    assert png.format == "PNG" and png.size == (512, 256)


# -- the shipped default ---------------------------------------------------------------


def test_shipped_weights_and_card_match_their_pins() -> None:
    weights, card = default_weights_path(), default_card_path()
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == PINNED_WEIGHTS_SHA256
    assert hashlib.sha256(card.read_bytes()).hexdigest() == PINNED_CARD_SHA256
    assert weights.stat().st_size < 4 * 1024 * 1024
    doc = json.loads(card.read_text())
    assert doc["weights_sha256"] == PINNED_WEIGHTS_SHA256
    assert doc["architecture"]["parameters"] == 27_929
    assert doc["reproduce"].startswith("forensics train cnn ")
    assert any(f["group"] == "ffpp-519" for f in doc["data"]["held_out_files"])
    state = torch.load(weights, weights_only=True)
    Meso4().load_state_dict(state, strict=True)
    assert CnnDetector().weights_digest == PINNED_WEIGHTS_SHA256


def test_one_flipped_byte_in_the_weights_is_refused(tmp_path, monkeypatch, astronaut_jpg) -> None:
    copy = tmp_path / "cnn_default.pt"
    shutil.copyfile(default_weights_path(), copy)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x01
    copy.write_bytes(bytes(data))
    monkeypatch.setattr(cnn_module, "default_weights_path", lambda: copy)
    detector = CnnDetector()
    with pytest.raises(IntegrityError) as info:
        detector.run(evidence_input(astronaut_jpg, "image/jpeg"))
    assert str(copy) in str(info.value) and info.value.subject == str(copy)
    assert "does not match the pinned" in str(info.value)


def test_a_changed_model_card_is_refused(tmp_path, monkeypatch, astronaut_jpg) -> None:
    copy = tmp_path / "cnn_default.card.json"
    copy.write_bytes(default_card_path().read_bytes().replace(b"Meso-4", b"Meso-5", 1))
    monkeypatch.setattr(cnn_module, "default_card_path", lambda: copy)
    with pytest.raises(IntegrityError, match="model card"):
        CnnDetector().run(evidence_input(astronaut_jpg, "image/jpeg"))


def test_a_file_that_is_not_a_state_dict_is_an_integrity_error(tmp_path, model_files, astronaut_jpg) -> None:
    bogus = tmp_path / "bogus.pt"
    bogus.write_bytes(weights_bytes({"conv.weight": torch.zeros(3)}))
    with pytest.raises(IntegrityError, match="not a Meso-4 state dict"):
        _detector(bogus, model_files[1]).run(evidence_input(astronaut_jpg, "image/jpeg"))


# -- images ------------------------------------------------------------------------------


def test_a_face_gets_a_score_the_digests_and_a_heatmap(model_files, astronaut_jpg) -> None:
    detector = _detector(*model_files)
    [finding] = detector.run(evidence_input(astronaut_jpg, "image/jpeg"))
    assert finding.verdict == Verdict.NOT_VALIDATED and finding.log10_lr is None
    assert 0.0 < finding.score < 1.0
    assert finding.score == pytest.approx(1 / (1 + math.exp(-finding.details["logit"])))
    assert finding.weights_digest == hashlib.sha256(model_files[0].read_bytes()).hexdigest()
    assert finding.details["model_card_sha256"] == hashlib.sha256(model_files[1].read_bytes()).hexdigest()
    [heatmap] = finding.artifacts
    assert heatmap.name == "cnn_gradcam" and heatmap.media_type == "image/png"
    assert finding.details["gradcam"][0]["sha256"] == heatmap.sha256
    # the same file analysed again reproduces the finding and the heatmap bytes
    [again] = _detector(*model_files).run(evidence_input(astronaut_jpg, "image/jpeg"))
    assert again.digest == finding.digest and again.artifacts[0].data == heatmap.data


def test_no_face_is_inconclusive_without_a_score(model_files, tmp_path) -> None:
    path = write_jpeg(tmp_path / "wall.jpg", smooth_rgb(300, 400))
    [finding] = _detector(*model_files).run(evidence_input(path, "image/jpeg"))
    assert finding.verdict == Verdict.INCONCLUSIVE and finding.score is None
    assert "No face was found" in finding.reason and "outside its validated domain" in finding.reason
    assert finding.details["face_found"] is False


def test_damaged_files_become_error_findings(model_files, tmp_path) -> None:
    detector = _detector(*model_files)
    for name, path in make_bad_files(tmp_path).items():
        kind = "video/mp4" if path.suffix == ".mp4" else "image/jpeg"
        findings = detector.run(evidence_input(path, kind))
        assert [f.verdict for f in findings] == [Verdict.ERROR], name


# -- video ------------------------------------------------------------------------------


def test_video_frame_scores_clip_rule_and_gradcam(model_files, tmp_path) -> None:
    face = astronaut()
    blank = np.full_like(face, 90)
    frames = [shifted(face, 4 * i, 2 * i) for i in range(6)] + [blank, blank]
    path = write_video(tmp_path / "clip.mp4", iter(frames))
    detector = _detector(*model_files, video_frames=8, gradcam_frames=2)
    [finding] = detector.run(evidence_input(path, "video/mp4"))
    assert finding.verdict == Verdict.NOT_VALIDATED
    d = finding.details
    assert d["frames_sampled"] == 8 and d["frames_with_face"] == 6
    timeline, *heatmaps = finding.artifacts
    assert timeline.name == "cnn_frame_scores" and d["frame_scores_sha256"] == timeline.sha256
    frames_json = json.loads(timeline.data)["frames"]
    logits = [f["logit"] for f in frames_json if f["face"]]
    assert [f["face"] for f in frames_json] == [True] * 6 + [False] * 2
    assert finding.score == pytest.approx(1 / (1 + math.exp(-np.mean(logits))), abs=1e-9)
    assert [h.name for h in heatmaps] == ["cnn_gradcam", "cnn_gradcam"]
    top = sorted(logits, reverse=True)[:2]
    assert [g["logit"] for g in d["gradcam"]] == pytest.approx(top)


def test_a_video_without_faces_is_inconclusive(model_files, tmp_path) -> None:
    path = write_video(tmp_path / "empty.mp4", iter([np.full((240, 320, 3), 90, np.uint8)] * 4))
    [finding] = _detector(*model_files, video_frames=4).run(evidence_input(path, "video/mp4"))
    assert finding.verdict == Verdict.INCONCLUSIVE and finding.details["frames_with_face"] == 0


# -- a real clip of the corpus --------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.slow
def test_shipped_model_on_a_held_out_ffpp_clip() -> None:
    clip = CORPUS / "face_videos/polimi-ispl__icpr2020dfdc/test/data/ffpp/original_sequences/youtube/c23/videos/519.mp4"
    if not clip.exists():
        pytest.skip(f"the shared corpus is absent ({CORPUS})")
    [finding] = CnnDetector(CnnConfig(video_frames=4)).run(evidence_input(clip, "video/mp4"))
    assert finding.details["frames_with_face"] == 4
    assert finding.weights_digest == PINNED_WEIGHTS_SHA256
    assert finding.details["model_card_sha256"] == PINNED_CARD_SHA256
