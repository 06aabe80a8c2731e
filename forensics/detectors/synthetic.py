"""The generated-image detector: a linear probe on frozen CLIP ViT-B/16 features.

Detectors trained on one generator's images learn that generator's fingerprint and fail
on the next. The field's best-generalising answer keeps a large pretrained image model
frozen and trains only a small head on its features: UnivFD (Ojha et al., CVPR 2023) on
the final CLIP embedding, RINE (Koutlis and Papadopoulos, ECCV 2024) on the CLS tokens
of the intermediate blocks, which keep the low-level traces that the final embedding
discards. The features come from ``forensics.nets.clip``; the head (which features,
their standardisation, weights and bias) from a JSON parameter file pinned by SHA-256,
trained by ``forensics train synthetic`` (``forensics.training.synthetic``).

Input: every picture is analysed at one size (shortest side resized to 224, centre crop
224 x 224; ``clip.model_input``), so its size and format cannot decide the score.

Video: the frames picked by the sampling policy from the item's one decoding pass
(``video_frames`` equal slices of the duration), one logit each; clip rule: the median
of the frame logits, for the reasons given in ``forensics.detectors.faceforgery`` (the
calibration is fitted on single pictures).
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
from forensics.detectors.face_network import logit_timeline
from forensics.detectors.registry import register
from forensics.errors import EvidenceError, IntegrityError
from forensics.media.images import DEFAULT_MAX_PIXELS
from forensics.media.item import ItemMedia, SampledFrame, VideoNeeds
from forensics.model import Artifact, EvidenceInput, Finding
from forensics.model.figures import Figure
from forensics.pinned import read_pinned, shipped_file

if TYPE_CHECKING:  # onnxruntime loads only when the detector runs
    from forensics.nets.clip import ClipFeatures

PARAMS_FILE = "synthetic_default.json"
PINNED_PARAMS_SHA256 = "f78c2c40401679d18a4265a1564b823db84d25690fcd6b90f214324bb3aff56d"
PARAMS_FORMAT = "forensics.synthetic-head/1"
FRAMES_ARTIFACT = "synthetic_frames"
CLIP_RULE = "median of the frame logits"
#: feature set name -> what it is (``head_input`` builds it)
FEATURE_SETS = {
    "clip-embed": "CLIP's 512-d projected image embedding (UnivFD)",
    "clip-last": "the 768-d CLS token of CLIP's last block",
    "clip-blocks": "the 768-d CLS tokens of all 12 CLIP blocks, each L2-normalised, concatenated (RINE-style)",
}


def head_input(features: dict[str, np.ndarray], feature_set: str) -> np.ndarray:
    """The head's input rows for a batch of CLIP features (``ClipFeatures`` output)."""
    if feature_set == "clip-embed":
        return features["embed"].astype(np.float64)
    if feature_set == "clip-last":
        return features["cls"][:, -1, :].astype(np.float64)
    if feature_set == "clip-blocks":
        tokens = features["cls"].astype(np.float64)
        tokens /= np.linalg.norm(tokens, axis=2, keepdims=True) + 1e-12
        return tokens.reshape(len(tokens), -1)
    raise ValueError(f"unknown feature set {feature_set!r}; known: {', '.join(FEATURE_SETS)}")


@dataclass(frozen=True)
class LinearHead:
    """logit = w . (x - mean) / scale + bias over ``head_input(features, feature_set)``."""

    feature_set: str
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def logits(self, features: dict[str, np.ndarray]) -> np.ndarray:
        rows = head_input(features, self.feature_set)
        return np.asarray(((rows - self.mean) / self.scale) @ self.weights + self.bias)

    @classmethod
    def from_params(cls, params: dict[str, Any], source: Path) -> LinearHead:
        try:
            if params["format"] != PARAMS_FORMAT:
                raise ValueError(f"format {params['format']!r} is not {PARAMS_FORMAT}")
            head = params["head"]
            made = cls(head["feature_set"], np.asarray(head["mean"]), np.asarray(head["scale"]),
                       np.asarray(head["weights"]), float(head["bias"]))
            head_input({"embed": np.zeros((1, 512)), "cls": np.ones((1, 12, 768))}, made.feature_set)
        except (KeyError, TypeError, ValueError) as exc:
            raise IntegrityError(f"{source}: not a generated-image head: {exc}", subject=str(source)) from exc
        if not made.mean.shape == made.scale.shape == made.weights.shape:
            raise IntegrityError(f"{source}: head arrays differ in length", subject=str(source))
        return made


@dataclass(frozen=True)
class SyntheticConfig(DetectorConfig):
    """Settings hashed into every finding."""

    video_frames: int = 8  #: frames sampled from a video (module docstring)
    max_pixels: int = DEFAULT_MAX_PIXELS  #: decompression-bomb limit for images
    params_sha256: str = PINNED_PARAMS_SHA256  #: SHA-256 the head's parameter file must have


@register
class SyntheticDetector(Detector[SyntheticConfig]):
    """Traces of image generators (GANs, diffusion) in frozen CLIP features."""

    name: ClassVar[str] = "synthetic"
    version: ClassVar[str] = "1.0.0"
    inputs: ClassVar[frozenset[str]] = frozenset({"image", "video"})
    description: ClassVar[str] = (
        "A linear probe on frozen CLIP ViT-B/16 image features (UnivFD / RINE family), trained to "
        "tell whole images made by generators (GANs, diffusion) from camera images"
    )
    limitations: ClassVar[str] = (
        "Generated-image method: it sees the whole picture at 224 x 224 pixels, so small local "
        "edits, face swaps into real footage and details lost by down-scaling are not its domain. "
        "It learned from a limited set of generators; a generator unlike all of them can go "
        "unnoticed, so a low score is no proof that a picture is a camera original. Heavy "
        "re-compression, screenshots of generated pictures, and artwork, renders or heavily "
        "edited photographs lie outside what it was validated on."
    )

    # A low score is no evidence of a camera original: a generator unlike the training
    # families can score below real pictures (left out of training, the diffusion family
    # scored AUC 0.36-0.42 against camera photographs; benchmarks/synthetic_eval.py). So
    # the calibrated LR is never below 1.
    one_sided: ClassVar[bool] = True

    def __init__(self, config: SyntheticConfig | None = None, *, params_path: Path | None = None,
                 model_path: Path | None = None) -> None:
        super().__init__(config)
        self.params_path = params_path or shipped_file(PARAMS_FILE)
        self.model_path = model_path
        self._head: LinearHead | None = None
        self._clip: ClipFeatures | None = None

    @classmethod
    def default_config(cls) -> SyntheticConfig:
        return SyntheticConfig()

    @property
    def weights_digest(self) -> str:
        """The head's pinned digest (its file is checked against it before use); the CLIP
        model's own pinned digest is named in every finding's details."""
        return self.config.params_sha256

    def models(self) -> tuple[ClipFeatures, LinearHead]:
        """The CLIP features and the head, after their SHA-256 checks."""
        if self._head is None or self._clip is None:
            from forensics.nets.clip import ClipFeatures

            data = read_pinned(self.params_path, self.config.params_sha256, "generated-image head parameters")
            self._head = LinearHead.from_params(json.loads(data), self.params_path)
            self._clip = ClipFeatures(self.model_path)
        return self._clip, self._head

    def __enter__(self) -> SyntheticDetector:
        self.models()
        return self

    def video_needs(self) -> VideoNeeds:
        return VideoNeeds(samples=self.config.video_frames)

    @classmethod
    def figure(cls, artifact: Artifact) -> Figure | None:
        if artifact.name == FRAMES_ARTIFACT and artifact.data is not None:
            body = json.loads(artifact.data)
            return logit_timeline(
                artifact.data, "generated-image logit", thresholds=(("clip logit", body["clip_logit"]),),
                caption="Per sampled frame: the probe's logit (higher leans to 'generated' before "
                        f"calibration); dashed: the clip's score ({body['clip_rule']}).")
        return super().figure(artifact)

    def analyze(self, evidence: EvidenceInput, media: ItemMedia) -> Iterator[Finding]:
        from forensics.nets.clip import MODEL_SHA256, model_input

        clip, head = self.models()  # an integrity failure is not the evidence's fault: raise
        frames: tuple[SampledFrame, ...] = ()
        try:
            if evidence.kind == "video":
                video = media.video()
                frames = video.sampled(self.config.video_frames)
                pictures = [f.pixels for f in frames]
                size = {"input": "video", "codec": video.info.codec, "width": video.info.width,
                        "height": video.info.height, "frames_sampled": len(frames)}
            else:
                image = media.image("RGB", self.config.max_pixels)
                pictures = [image.pixels]
                size = {"input": "image", "format": image.format, "width": image.width, "height": image.height}
        except EvidenceError as exc:
            yield self.error(evidence, exc.reason)
            return
        common = {**size, "features": head.feature_set, "clip_model_sha256": MODEL_SHA256,
                  "analysed_at": "shortest side resized to 224, centre crop 224 x 224"}
        if not pictures:
            yield self.error(evidence, "the video has no decodable frame", **common)
            return
        logits = head.logits(clip([model_input(p) for p in pictures], batch=4))
        if evidence.kind == "image":
            logit = float(logits[0])
            yield self.scored(evidence, score=logit_score(logit), details={**common, "logit": logit},
                              reason=f"The generated-image probe gives the picture a score of "
                                     f"{logit_score(logit):.2f} (logit {logit:+.2f})")
            return
        clip_logit = float(np.median(logits))
        timeline = Artifact(FRAMES_ARTIFACT, "application/json", canonical_bytes(
            {"description": "per sampled frame: generated-image logit", "clip_rule": CLIP_RULE,
             "clip_logit": clip_logit,
             "frames": [{"index": f.index, "time_s": f.time_s, "logit": float(v)}
                        for f, v in zip(frames, logits, strict=True)]}))
        details = {**common, "clip_rule": CLIP_RULE, "clip_logit": clip_logit,
                   "frame_logit_min": float(logits.min()), "frame_logit_max": float(logits.max()),
                   "frames_sha256": timeline.sha256}
        yield self.scored(evidence, score=logit_score(clip_logit), details=details, artifacts=(timeline,),
                          reason=f"The generated-image probe on {len(frames)} sampled frames gives a clip "
                                 f"score of {logit_score(clip_logit):.2f} ({CLIP_RULE}: {clip_logit:+.2f})")
