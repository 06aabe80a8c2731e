"""The CNN detector: Meso-4 over aligned face crops, with Grad-CAM heatmaps.

Image: the face is found with MediaPipe's face mesh (``forensics.media.crops``: whole
picture, then overlapping tiles for small faces), cropped and aligned by the eyes to
256 x 256, and scored by the network. Score = sigmoid(logit): a raw score in [0, 1],
not a probability of anything until a validation record calibrates it (validate with
``--transform logit`` to calibrate on the logit itself).

No face: the network was trained and tested on aligned faces only, so a picture without
one is outside its domain; the finding is "inconclusive" with that reason and no score
(no centre-crop guess is made).

Video: the frames picked by the sampling policy (``video_frames``, default 32) are
cropped the same way. Clip score = sigmoid(mean of the per-frame logits over the frames
with a face); frames without a face are counted, not scored. The per-frame scores are
the "cnn_frame_scores" artifact (JSON, for the report's timeline), and the Grad-CAM
heatmaps of the ``gradcam_frames`` highest-scoring frames are "cnn_gradcam" PNG
artifacts (face crop beside the heatmap overlay), referenced by SHA-256 in the details.

Weights (``forensics/data/cnn_default.pt``) and model card
(``forensics/data/cnn_default.card.json``) are pinned by SHA-256 below and checked
before loading; a changed file is refused with an IntegrityError naming it. Regenerate
them with the command recorded in the card ("reproduce") and update both constants.

1.0.1: logits rounded to 1e-3 (``meso.LOGIT_DECIMALS``), so that a finding's digest is
the same on CPUs whose float32 kernels differ in the 7th digit.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from forensics.canonical import canonical_bytes
from forensics.detectors.base import Detector, DetectorConfig, logit_score
from forensics.detectors.face_network import heatmap_artifacts, heatmap_figure, logit_timeline
from forensics.detectors.registry import register
from forensics.errors import EvidenceError, IntegrityError
from forensics.media.crops import Crop, crop_needs, image_crop, video_crops
from forensics.media.images import DEFAULT_MAX_PIXELS
from forensics.media.item import ItemMedia, VideoNeeds
from forensics.model import Artifact, EvidenceInput, Finding
from forensics.model.figures import Figure
from forensics.pinned import file_sha256, read_pinned, shipped_file

if TYPE_CHECKING:  # torch loads only when the network runs
    from forensics.nets.meso import Meso4

WEIGHTS_FILE = "cnn_default.pt"
CARD_FILE = "cnn_default.card.json"
PINNED_WEIGHTS_SHA256 = "99a62a096852a98459aa8c54cbf11e07afbfe0c91dbc6c7b3ae2b093ede12243"
PINNED_CARD_SHA256 = "5e2af10bb60b84fc933845266dc8e387fb9583fa338cba982d80a6cb2106ba21"

GRADCAM_ARTIFACT = "cnn_gradcam"
TIMELINE_ARTIFACT = "cnn_frame_scores"
CLIP_RULE = "sigmoid of the mean of the per-frame logits over the sampled frames with a face"


@dataclass(frozen=True)
class CnnConfig(DetectorConfig):
    """Settings hashed into every finding."""

    video_frames: int = 32  #: frames sampled from a video (see SamplingPolicy)
    crop_size: int = 256  #: aligned face crop side, the network's input
    gradcam_frames: int = 2  #: Grad-CAM heatmaps for this many highest-scoring frames
    max_pixels: int = DEFAULT_MAX_PIXELS  #: decompression-bomb limit for images
    weights_sha256: str = PINNED_WEIGHTS_SHA256  #: SHA-256 the weights file must have
    card_sha256: str = PINNED_CARD_SHA256  #: SHA-256 the model card must have


def default_weights_path() -> Path:
    return shipped_file(WEIGHTS_FILE)


def default_card_path() -> Path:
    return shipped_file(CARD_FILE)


@register
class CnnDetector(Detector[CnnConfig]):
    """Meso-4 (Afchar et al. 2018) on aligned face crops, trained on ../shared/corpus."""

    name: ClassVar[str] = "cnn"
    version: ClassVar[str] = "1.0.1"
    inputs: ClassVar[frozenset[str]] = frozenset({"image", "video"})
    description: ClassVar[str] = "A compact CNN (Meso-4) over aligned face crops, with Grad-CAM heatmaps"
    limitations: ClassVar[str] = (
        "CNN method (Meso-4): it reads the aligned face only, so a file without a detectable "
        "face gets no score, and manipulations outside the face are not seen. It learned from "
        "the face swaps and generated faces of its training data and is known to generalise "
        "poorly to manipulation methods it has not seen. Its Grad-CAM heatmaps show where in "
        "the face the network's evidence came from, not where a file was altered."
    )

    def __init__(
        self,
        config: CnnConfig | None = None,
        *,
        weights_path: Path | None = None,
        card_path: Path | None = None,
    ) -> None:
        super().__init__(config)
        self.weights_path = Path(weights_path) if weights_path else default_weights_path()
        self.card_path = Path(card_path) if card_path else default_card_path()
        self._digest: str | None = None
        self._model: Meso4 | None = None
        self._card_digest: str | None = None

    @classmethod
    def default_config(cls) -> CnnConfig:
        return CnnConfig()

    @classmethod
    def figure(cls, artifact: Artifact) -> Figure | None:
        """Per-frame logits over time; heatmaps with their colour scale and caveat."""
        if artifact.data is None:
            return None
        if artifact.name == GRADCAM_ARTIFACT:
            return heatmap_figure(artifact.data, "manipulated")
        if artifact.name == TIMELINE_ARTIFACT:
            return logit_timeline(
                artifact.data, "Meso-4 logit", thresholds=(("logit 0 (score 0.5)", 0.0),),
                caption="Per sampled frame with a face: the network's logit (above 0 leans "
                        "to 'manipulated' before calibration); frames without a face are left out.")
        return super().figure(artifact)

    @property
    def weights_digest(self) -> str:
        """SHA-256 of the weights file's bytes."""
        if self._digest is None:
            self._digest = file_sha256(self.weights_path)
        return self._digest

    def model(self) -> Meso4:
        """The network, loaded after its weights and model card passed the SHA-256 check."""
        if self._model is None:
            import torch

            from forensics.nets.meso import Meso4

            cfg = self.config
            data = read_pinned(self.weights_path, cfg.weights_sha256, "CNN weights file")
            card = read_pinned(self.card_path, cfg.card_sha256, "CNN model card")
            try:
                state = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
                model = Meso4(cfg.crop_size)
                model.load_state_dict(state, strict=True)
            except (RuntimeError, ValueError, KeyError, TypeError) as exc:
                raise IntegrityError(
                    f"{self.weights_path}: not a Meso-4 state dict: {exc}", subject=str(self.weights_path)
                ) from exc
            self._digest = hashlib.sha256(data).hexdigest()
            self._card_digest = hashlib.sha256(card).hexdigest()
            self._model = model.eval()
        return self._model

    def __enter__(self) -> CnnDetector:
        self.model()
        return self

    def video_needs(self) -> VideoNeeds:
        return crop_needs(self.config.video_frames)

    def analyze(self, evidence: EvidenceInput, media: ItemMedia) -> Iterator[Finding]:
        model = self.model()  # an integrity failure is not the evidence's fault: raise
        try:
            if evidence.kind == "video":
                yield self._video(evidence, media, model)
            else:
                yield self._image(evidence, media, model)
        except EvidenceError as exc:
            yield self.error(evidence, exc.reason)

    # -- images and videos ----------------------------------------------------------

    def _common(self) -> dict[str, Any]:
        from forensics.nets.meso import ARCHITECTURE

        return {
            "architecture": ARCHITECTURE,
            "model_card_sha256": self._card_digest,
            "crop": f"{self.config.crop_size}x{self.config.crop_size} face aligned by the eyes",
        }

    def _heatmaps(
        self, model: Meso4, crops: list[Crop], logits: np.ndarray
    ) -> tuple[list[Artifact], list[dict[str, Any]]]:
        """Grad-CAM PNGs of the highest-scoring crops."""
        return heatmap_artifacts(model, crops, logits, range(len(crops)), self.config.gradcam_frames,
                                 GRADCAM_ARTIFACT)

    def _no_face(self, evidence: EvidenceInput, what: str, **details: Any) -> Finding:
        return self.inconclusive(
            evidence,
            f"No face was found in {what}. The CNN was trained and tested on aligned face "
            "crops only, so this file is outside its validated domain and it gives no score.",
            face_found=False, **self._common(), **details,
        )  # fmt: skip

    def _image(self, evidence: EvidenceInput, media: ItemMedia, model: Meso4) -> Finding:
        crop = image_crop(media, self.config.crop_size, self.config.max_pixels)
        image = media.image("RGB", self.config.max_pixels)
        size = {"input": "image", "format": image.format, "width": image.width, "height": image.height}
        if crop.pixels is None:
            return self._no_face(evidence, "the picture", **size)
        logit = float(_logits(model, [crop])[0])
        artifacts, refs = self._heatmaps(model, [crop], np.array([logit]))
        score = logit_score(logit)
        details = {**size, **self._common(), "face_found": True, "logit": logit, "gradcam": refs}
        reason = f"Meso-4 on the aligned face gives a score of {score:.2f} (logit {logit:+.2f})"
        return self.scored(evidence, score=score, reason=reason, details=details, artifacts=tuple(artifacts))

    def _video(self, evidence: EvidenceInput, media: ItemMedia, model: Meso4) -> Finding:
        crops = video_crops(media, self.config.crop_size, self.config.video_frames)
        info = media.video().info
        found = [c for c in crops if c.pixels is not None]
        size = {"input": "video", "codec": info.codec, "width": info.width, "height": info.height,
                "frames_sampled": len(crops), "frames_with_face": len(found)}  # fmt: skip
        if not found:
            return self._no_face(evidence, f"any of the {len(crops)} sampled frames", **size)
        logits = _logits(model, found)
        clip_logit = float(np.mean(logits))
        score = logit_score(clip_logit)
        by_index = dict(zip((c.frame_index for c in found), logits.tolist(), strict=True))
        frames = [
            {"index": c.frame_index, "time_s": c.time_s, "face": c.pixels is not None,
             "logit": by_index.get(c.frame_index), "score": None if c.frame_index not in by_index
             else logit_score(by_index[c.frame_index])}
            for c in crops
        ]  # fmt: skip
        timeline = Artifact(TIMELINE_ARTIFACT, "application/json", canonical_bytes(
            {"description": "per sampled frame: Meso-4 logit and sigmoid score (null: no face)",
             "clip_rule": CLIP_RULE, "frames": frames}))  # fmt: skip
        heatmaps, refs = self._heatmaps(model, found, logits)
        details = {**size, **self._common(), "face_found": True, "clip_rule": CLIP_RULE,
                   "clip_logit": clip_logit, "frame_logit_min": float(logits.min()),
                   "frame_logit_max": float(logits.max()), "frame_scores_sha256": timeline.sha256,
                   "gradcam": refs}  # fmt: skip
        reason = (
            f"Meso-4 on the aligned faces of {len(found)} of {len(crops)} sampled frames gives "
            f"a clip score of {score:.2f} (mean logit {clip_logit:+.2f}, frames from "
            f"{float(logits.min()):+.2f} to {float(logits.max()):+.2f})"
        )
        return self.scored(evidence, score=score, reason=reason, details=details,
                           artifacts=(timeline, *heatmaps))  # fmt: skip


def _logits(model: Meso4, crops: list[Crop]) -> np.ndarray:
    from forensics.nets.meso import predict_logits

    return predict_logits(model, [c.pixels for c in crops if c.pixels is not None])
