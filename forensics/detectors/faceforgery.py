"""The face-forgery detector: EfficientNet-Lite0 trained on self-blended real faces.

Face swaps and reenactments paste or re-render a face into a frame; whatever tool made
them, a blending boundary and colour, sharpness and alignment mismatches remain around
the face. The network was trained without any fake (``forensics.training.faceforgery``):
on real faces against self-blended versions of them (Shiohara and Yamasaki, CVPR 2022),
so it looks for those generic traces rather than one generator's fingerprint.

Image: the face (whole picture, then tiles for small faces) aligned by the eyes to a
224 x 224 crop with margin around the head (``CROP_LAYOUT``), one logit. No face: the
file is outside the method's domain ("inconclusive", no score).

Video: the faces of the ``video_frames`` frames that the sampling policy picks from the
item's one decoding pass (the first frame at or after the start of each of 32 equal
slices of the duration: every ~56th frame of a 60 s clip at 30 fps). A fixed count
bounds the cost per clip (about a second) whatever its length, and spreads the frames
over the whole clip so that a manipulation in any part of it is seen. Clip rule: the
median of the per-frame logits. The calibration is fitted on single faces, so the clip
statistic must be distributed like one face's logit under both propositions: the median
is (a mean of the top half or a maximum would shift real clips upwards and overstate
their likelihood ratios), and a few odd frames (motion blur, a turned head) cannot
decide it. The cost: a swap visible in fewer than half of the frames weighs less; the
per-frame logits ("faceforgery_frames" artifact, plotted in the report) show such
clips. Grad-CAM heatmaps of the highest-scoring frames are "faceforgery_gradcam".

Weights and model card ship in ``forensics/data/faceforgery_default.*``, pinned below.
Fully generated faces (GANs, diffusion) have no blending boundary: this method is not
made for them (the generated-image detector is).
"""

from __future__ import annotations

import json
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
from forensics.media.crops import Crop
from forensics.media.faces import face_alignment
from forensics.media.images import DEFAULT_MAX_PIXELS
from forensics.media.item import ItemMedia, VideoNeeds
from forensics.model import Artifact, EvidenceInput, Finding
from forensics.model.figures import Figure
from forensics.pinned import file_sha256, read_pinned, shipped_file

if TYPE_CHECKING:  # torch loads only when the network runs
    from forensics.nets.efficientnet import FaceForgeryNet

CROP_SIZE = 224
#: eyes at 40% of the height, 27% of the width apart: the whole head with margin, so the
#: blending boundary around the face is inside the crop
CROP_LAYOUT: dict[str, float] = {"eye_distance": 0.27, "eye_height": 0.40}
WEIGHTS_FILE = "faceforgery_default.pt"
CARD_FILE = "faceforgery_default.card.json"
PINNED_WEIGHTS_SHA256 = "fecf2e0f6b19955cb47af76e862500454b84d13ff8152426f557f1039e202a6b"
PINNED_CARD_SHA256 = "1148e665313dc8887e4ec2b56a20f0aa6c3d5179585ed682ac4c7ea861148014"
GRADCAM_ARTIFACT = "faceforgery_gradcam"
FRAMES_ARTIFACT = "faceforgery_frames"


@dataclass(frozen=True)
class FaceForgeryConfig(DetectorConfig):
    """Settings hashed into every finding."""

    video_frames: int = 32  #: frames sampled from a video (module docstring)
    gradcam_frames: int = 2  #: Grad-CAM heatmaps of at most this many frames that lean to manipulation
    max_pixels: int = DEFAULT_MAX_PIXELS  #: decompression-bomb limit for images
    weights_sha256: str = PINNED_WEIGHTS_SHA256  #: SHA-256 the weights file must have
    card_sha256: str = PINNED_CARD_SHA256  #: SHA-256 the model card must have




CLIP_RULE = "median of the frame logits"


def clip_logit(logits: np.ndarray) -> float:
    """The clip's logit: the median of its frames' logits (module docstring)."""
    return float(np.median(logits))


@register
class FaceForgeryDetector(Detector[FaceForgeryConfig]):
    """Blending traces of face swaps and reenactments, learned from real faces alone."""

    name: ClassVar[str] = "faceforgery"
    version: ClassVar[str] = "1.0.0"
    inputs: ClassVar[frozenset[str]] = frozenset({"image", "video"})
    description: ClassVar[str] = (
        "EfficientNet-Lite0 over the aligned face, trained without fakes on self-blended real "
        "faces to find the blending boundary and colour and sharpness mismatches that face "
        "swaps and reenactments leave"
    )
    limitations: ClassVar[str] = (
        "Face-forgery method: it reads the aligned face only, so a file without a detectable "
        "face gets no score and changes elsewhere in the picture are not seen. It looks for "
        "traces of blending a face into a picture; a fully generated face (GAN, diffusion) "
        "or a whole frame re-rendered by a generator has none. Strong compression, low "
        "resolution and heavy make-up or retouching can resemble or hide those traces. Its "
        "Grad-CAM heatmaps show where in the crop the network's evidence lies, not a map of "
        "tampering."
    )

    # No blending trace is no evidence of authenticity: a fully generated face, or one
    # manipulated without blending, has none (on the GAN faces of the fusion's data the
    # two-sided version stated support for authenticity for 44 of 48 fakes). So the
    # calibrated LR is never below 1, as for a generator's metadata tag.
    one_sided: ClassVar[bool] = True

    def __init__(self, config: FaceForgeryConfig | None = None, *, weights_path: Path | None = None,
                 card_path: Path | None = None) -> None:
        super().__init__(config)
        self.weights_path = weights_path or shipped_file(WEIGHTS_FILE)
        self.card_path = card_path or shipped_file(CARD_FILE)
        self._net: FaceForgeryNet | None = None
        self._card_digest: str | None = None
        self._weights_digest: str | None = None

    @classmethod
    def default_config(cls) -> FaceForgeryConfig:
        return FaceForgeryConfig()

    @property
    def weights_digest(self) -> str:
        """SHA-256 of the weights file's bytes (hashed once)."""
        if self._weights_digest is None:
            self._weights_digest = file_sha256(self.weights_path)
        return self._weights_digest

    def network(self) -> FaceForgeryNet:
        """The network, after its weights and model card passed their SHA-256 checks."""
        if self._net is None:
            import io

            import torch

            from forensics.nets.efficientnet import FaceForgeryNet

            data = read_pinned(self.weights_path, self.config.weights_sha256, "face-forgery weights file")
            card = read_pinned(self.card_path, self.config.card_sha256, "face-forgery model card")
            try:
                state = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
                net = FaceForgeryNet()
                net.load_state_dict(state, strict=True)
            except (RuntimeError, ValueError, KeyError, TypeError) as exc:
                raise IntegrityError(f"{self.weights_path}: not a face-forgery network state dict: {exc}",
                                     subject=str(self.weights_path)) from exc
            self._card_digest = self.config.card_sha256 if card else None
            self._net = net.eval()
        return self._net

    def __enter__(self) -> FaceForgeryDetector:
        self.network()
        return self

    def video_needs(self) -> VideoNeeds:
        return VideoNeeds(samples=self.config.video_frames, faces=True)

    # -- what the report draws ---------------------------------------------------------

    @classmethod
    def figure(cls, artifact: Artifact) -> Figure | None:
        if artifact.data is None:
            return None
        if artifact.name == GRADCAM_ARTIFACT:
            return heatmap_figure(artifact.data, "blended face")
        if artifact.name == FRAMES_ARTIFACT:
            body = json.loads(artifact.data)
            return logit_timeline(
                artifact.data, "face-forgery logit", thresholds=(("clip logit", body["clip_logit"]),),
                caption="Per sampled frame with a face: the network's logit (higher leans to "
                        "'blended face' before calibration); dashed: the clip's score "
                        f"({body['clip_rule']}).")
        return super().figure(artifact)

    # -- analysis ----------------------------------------------------------------------

    def _crop(self, rgb: np.ndarray, landmarks: np.ndarray | None) -> np.ndarray | None:
        if landmarks is None:
            return None
        return face_alignment(landmarks, CROP_SIZE, **CROP_LAYOUT).crop(rgb)

    def analyze(self, evidence: EvidenceInput, media: ItemMedia) -> Iterator[Finding]:
        net = self.network()  # an integrity failure is not the evidence's fault: raise
        try:
            if evidence.kind == "video":
                video = media.video()
                faces = [Crop(f.index, f.time_s, self._crop(f.pixels, f.landmarks))
                         for f in video.sampled(self.config.video_frames)]
                size = {"input": "video", "codec": video.info.codec, "width": video.info.width,
                        "height": video.info.height, "frames_sampled": len(faces)}
            else:
                image = media.image("RGB", self.config.max_pixels)
                faces = [Crop(None, None, self._crop(image.pixels, media.image_face(self.config.max_pixels)))]
                size = {"input": "image", "format": image.format, "width": image.width,
                        "height": image.height}
        except EvidenceError as exc:
            yield self.error(evidence, exc.reason)
            return
        yield self._finding(evidence, net, faces, size)

    def _finding(self, evidence: EvidenceInput, net: FaceForgeryNet, faces: list[Crop],
                 size: dict[str, Any]) -> Finding:
        from forensics.nets.tensors import predict_logits

        found = [f for f in faces if f.pixels is not None]
        common = {**size, "architecture": "EfficientNet-Lite0", "model_card_sha256": self._card_digest,
                  "crop": f"{CROP_SIZE}x{CROP_SIZE} head aligned by the eyes", "faces_found": len(found)}
        if not found:
            where = "the picture" if evidence.kind == "image" else f"any of the {len(faces)} sampled frames"
            return self.inconclusive(
                evidence, f"No face was found in {where}: the face-forgery method reads faces only, so "
                "this file is outside its domain and it gives no score.", **common)
        logits = predict_logits(net, [f.pixels for f in found if f.pixels is not None])
        heatmaps, refs = self._heatmaps(net, found, logits)
        if evidence.kind == "image":
            logit = float(logits[0])
            score = logit_score(logit)
            return self.scored(evidence, score=score, details={**common, "logit": logit, "gradcam": refs},
                               artifacts=tuple(heatmaps),
                               reason=f"The face-forgery network gives the aligned face a score of "
                                      f"{score:.2f} (logit {logit:+.2f})")
        rule = CLIP_RULE
        clip = clip_logit(logits)
        by_index = dict(zip((f.frame_index for f in found), logits.tolist(), strict=True))
        frames = [{"index": f.frame_index, "time_s": f.time_s, "logit": by_index.get(f.frame_index)}
                  for f in faces]
        timeline = Artifact(FRAMES_ARTIFACT, "application/json", canonical_bytes(
            {"description": "per sampled frame: face-forgery logit (null: no face)", "clip_rule": rule,
             "clip_logit": clip, "frames": frames}))
        score = logit_score(clip)
        details = {**common, "clip_rule": rule, "clip_logit": clip, "frame_logit_min": float(logits.min()),
                   "frame_logit_max": float(logits.max()), "frames_sha256": timeline.sha256, "gradcam": refs}
        reason = (f"The face-forgery network on the aligned faces of {len(found)} of {len(faces)} sampled "
                  f"frames gives a clip score of {score:.2f} ({rule}: {clip:+.2f}; frames from "
                  f"{float(logits.min()):+.2f} to {float(logits.max()):+.2f})")
        return self.scored(evidence, score=score, reason=reason, details=details,
                           artifacts=(timeline, *heatmaps))

    def _heatmaps(self, net: FaceForgeryNet, faces: list[Crop],
                  logits: np.ndarray) -> tuple[list[Artifact], list[dict[str, Any]]]:
        """Grad-CAM PNGs of the highest-scoring faces whose logit leans to manipulation
        (above 0): a heatmap explains evidence for manipulation, and each costs a backward
        pass of the network."""
        leaning = [i for i in range(len(faces)) if logits[i] > 0]
        return heatmap_artifacts(net, faces, logits, leaning, self.config.gradcam_frames, GRADCAM_ARTIFACT)
