"""The frequency-artefact detector: spectral traces of up-sampling layers.

For an image: luma, up to 2 x 2 central tiles of 256 pixels, their averaged log power
spectrum and the period-2 test of their noise residual (``frequency_features``), and a
logistic model over the spectrum's periodic peaks and the period-2 statistic gives the
probability that the image is synthetic. For a video: the same on the
frames picked by ``forensics.media.video``'s sampling policy (8 by default); the score
is the mean of the frames' probabilities.

The model's parameters ship in ``forensics/data/frequency_default.json``; its SHA-256
is pinned below and checked before use. They are fitted on scikit-image's photographs
against the same photographs rebuilt by small, briefly trained up-convolution decoders
(``forensics.training.upconv``, after Zhang et al. 2019). Regenerate them (about 5
CPU-minutes, 5-13 minutes on 2 shared cores; deterministic) with
``forensics train frequency --builtin --out forensics/data/frequency_default.json``
and update ``PINNED_PARAMS_SHA256``.

Version 2: the same measurements, but the classifier is trained against learned
up-convolution decoders instead of hand-written resamplers, so scores differ from 1.x.
2.2: a small face in a video frame (missed on the whole frame) is searched in tiles, so
its window replaces the whole frame there.
Version 3: the classifier also reads the period-2 alternation of the residual's energy,
a test JPEG compression cannot trigger (``frequency_features.alternation_test``).
3.0.1: a video's details give each sampled frame's period-2 statistic, no longer the
first frame's whole test as if it were the video's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from forensics.canonical import canonical_bytes
from forensics.detectors import frequency_features as ff
from forensics.detectors.base import Detector, DetectorConfig
from forensics.detectors.registry import register
from forensics.errors import EvidenceError, IntegrityError
from forensics.media.images import DEFAULT_MAX_PIXELS
from forensics.media.item import ItemMedia, VideoNeeds
from forensics.model import Artifact, EvidenceInput, Finding, Verdict
from forensics.model.figures import Figure, LinePlot, Series
from forensics.pinned import file_sha256, read_pinned, shipped_file

PARAMS_FILE = "frequency_default.json"
SPECTRUM_ARTIFACT = "radial_spectrum"
PARAMS_FORMAT = "forensics.frequency-params/1"
PINNED_PARAMS_SHA256 = "7c3299e4a9ba9d3711948fb6cc48d1c1adcb9e94a2551b3f8dfe64bb5eda2963"

_METHOD = (
    "a logistic model over the periodic peaks of the power spectrum and the period-2 "
    "alternation of the noise residual, trained on photographs and their reconstructions "
    "by small up-convolution decoders"
)


@dataclass(frozen=True)
class FrequencyConfig(DetectorConfig):
    """Settings hashed into every finding."""

    video_frames: int = 8  #: frames sampled from a video (see SamplingPolicy)
    max_pixels: int = DEFAULT_MAX_PIXELS  #: decompression-bomb limit for images
    params_sha256: str = PINNED_PARAMS_SHA256  #: SHA-256 the parameter file must have


@dataclass(frozen=True)
class _Model:
    """The loaded parameter file."""

    side: int
    n_bins: int
    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def probability(self, spectrum: ff.Spectrum) -> float:
        z = (ff.feature_vector(spectrum, self.names) - self.mean) / self.scale
        return float(1.0 / (1.0 + np.exp(-(z @ self.weights + self.bias))))


def default_params_path() -> Path:
    return shipped_file(PARAMS_FILE)


@register
class FrequencyDetector(Detector[FrequencyConfig]):
    """Spectral up-sampling artefacts (Durall et al. 2020; checkerboard peaks)."""

    name = "frequency"
    version = "3.0.1"
    inputs = frozenset({"image", "video"})
    description = "Periodic spectral peaks left by the up-sampling layers of image generators"
    limitations = (
        "Frequency method: it reads up-sampling traces in the pixels. Resizing, strong "
        "re-compression and re-recording weaken or erase them, content generated without "
        "such layers (or edited by hand) leaves none, and it says nothing about what a "
        "picture shows. Its classifier learned the traces from small decoders trained here, "
        "not from any particular generator."
    )

    def __init__(self, config: FrequencyConfig | None = None, *, params_path: Path | None = None):
        super().__init__(config)
        self.params_path = Path(params_path) if params_path else default_params_path()
        self._digest: str | None = None
        self._model: _Model | None = None

    @classmethod
    def default_config(cls) -> FrequencyConfig:
        return FrequencyConfig()

    @property
    def weights_digest(self) -> str:
        """SHA-256 of the parameter file's bytes."""
        if self._digest is None:
            self._digest = file_sha256(self.params_path)
        return self._digest

    def model(self) -> _Model:
        """Load the parameters, after checking their SHA-256 against the pinned one."""
        if self._model is None:
            data = read_pinned(self.params_path, self.config.params_sha256, "frequency parameter file")
            self._digest = self.config.params_sha256
            self._model = _parse_params(json.loads(data), self.params_path)
        return self._model

    @classmethod
    def case_notes(cls, findings: Sequence[Finding], labels: Mapping[str, str]) -> list[str]:
        """Items whose finding shows a period-2 structure, with the demosaicing caveat."""
        period2 = sorted({
            labels.get(f.evidence_sha256, f.evidence_sha256[:12]) for f in findings
            if f.detector == cls.name
            and f.details.get("period2", {}).get("p_value_no_period2", 1.0) < PERIOD2_PRESENT_P
        })
        if not period2:
            return []
        return [
            "Frequency method: " + ", ".join(period2) + " show(s) a period-2 structure. "
            "Up-sampling layers of generators leave it, but so does the demosaicing of a "
            "camera image kept at full resolution: on a camera original it is weak evidence."
        ]

    @classmethod
    def figure(cls, artifact: Artifact) -> Figure | None:
        """The radial power spectrum against spatial frequency."""
        if artifact.name != SPECTRUM_ARTIFACT or artifact.data is None:
            return super().figure(artifact)
        body = json.loads(artifact.data)
        points = tuple(zip(body["frequency_cycles_per_pixel"], body["power_db"], strict=True))
        averaged = body.get("spectra_averaged", 1)
        return LinePlot(
            (Series("power", points),),
            x_label="spatial frequency (cycles/pixel)",
            y_label="azimuthal mean power (dB)",
            caption=(f"Radial power spectrum of {body.get('tile_side', '?')}-pixel tiles"
                     + (f", mean of {averaged} frames" if averaged > 1 else "")
                     + "; up-sampling by 2, 4 or 8 leaves peaks at multiples of 1/2, 1/4 or 1/8 "
                       "cycle per pixel, and JPEG blocks at multiples of 1/8."),
        )

    def video_needs(self) -> VideoNeeds:
        return VideoNeeds(samples=self.config.video_frames, faces=True)

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

    def _too_small(self, evidence: EvidenceInput, width: int, height: int) -> Finding:
        return self.finding(
            evidence.sha256,
            verdict=Verdict.INCONCLUSIVE,
            reason=(
                f"The picture ({width}x{height} pixels) is smaller than the "
                f"{ff.MIN_SIDE}x{ff.MIN_SIDE} pixels this method needs; nothing can be said."
            ),
            details={"width": width, "height": height, "min_side": ff.MIN_SIDE},
        )

    def _image(self, evidence: EvidenceInput, media: ItemMedia, model: _Model) -> Finding:
        image = media.image("L", self.config.max_pixels)
        if min(image.width, image.height) < ff.MIN_SIDE:
            return self._too_small(evidence, image.width, image.height)
        spectrum = ff.analyse(image.pixels, side=model.side, n_bins=model.n_bins)
        score = model.probability(spectrum)
        details: dict[str, Any] = {
            "input": "image",
            "format": image.format,
            "width": image.width,
            "height": image.height,
            "exif_orientation": image.orientation,
            **_spectrum_details(spectrum),
            "period2": _alternation_details(spectrum.alternation),
        }
        reason = (
            f"In the central {_tiles_text(spectrum)}, {_METHOD} gives a probability of "
            f"{score:.2f} that the image is synthetic; {_alternation_text(spectrum.alternation)}"
        )
        return self.scored(
            evidence,
            reason=reason,
            score=score,
            details=details,
            artifacts=(_spectrum_artifact(spectrum.frequency, [spectrum]),),
        )

    def _video(self, evidence: EvidenceInput, media: ItemMedia, model: _Model) -> Finding:
        video = media.video()
        info, rotation = video.info, video.rotation
        count = self.config.video_frames
        spectra, frames = [], []
        height = width = 0
        for frame in video.sampled(count):  # a video without frames raises EvidenceError
            gray = _luma(frame.pixels)
            height, width = gray.shape
            if min(width, height) < ff.MIN_SIDE:
                return self._too_small(evidence, width, height)
            # The face region at native resolution (no resampling, which would add
            # interpolation peaks of its own); the whole frame when no face is found.
            landmarks = frame.landmarks  # small faces were searched in tiles
            region = gray if landmarks is None else _window(gray, landmarks, model.side)
            spectrum = ff.analyse(region, side=model.side, n_bins=model.n_bins)
            spectra.append(spectrum)
            score = model.probability(spectrum)
            frames.append({"index": frame.index, "time_s": frame.time_s, "score": score,
                           "region": "whole frame" if landmarks is None else "face",
                           "period2_statistic": spectrum.alternation.statistic})
        score = float(np.mean([f["score"] for f in frames]))
        faces = sum(1 for f in frames if f["region"] == "face")
        details: dict[str, Any] = {
            "input": "video",
            "codec": info.codec,
            "width": int(width),
            "height": int(height),
            "display_rotation_deg": rotation,
            "sampling": f"first frame at or after the start of each of {count} equal "
            "slices of the duration",
            "frames_sampled": len(frames),
            "frames_with_face": faces,
            "frames": frames,
            **_spectrum_details(spectra[0]),
            "peaks_db": _mean_peaks(spectra),
            "period2_statistic_mean": float(np.mean([f["period2_statistic"] for f in frames])),
        }
        where = (f"the face region ({model.side}x{model.side} pixels around the face, native "
                 f"resolution) of {faces} and the whole frame of {len(frames) - faces}"
                 if faces else "the whole frame of each")
        reason = (
            f"Over {len(frames)} sampled frames ({where}), {_METHOD} gives a mean probability "
            f"of {score:.2f} that the video is synthetic"
        )
        return self.scored(
            evidence,
            reason=reason,
            score=score,
            details=details,
            artifacts=(_spectrum_artifact(spectra[0].frequency, spectra),),
        )


def _luma(rgb: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 luma, as Pillow's "L" mode computes it for still images."""
    weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.clip(rgb.astype(np.float32) @ weights + 0.5, 0, 255).astype(np.uint8)


def _window(gray: np.ndarray, landmarks: np.ndarray, side: int) -> np.ndarray:
    """A side x side window of the frame centred on the face, shifted to fit inside."""
    height, width = gray.shape
    cx, cy = landmarks.mean(axis=0)
    x0 = int(np.clip(round(cx - side / 2), 0, max(width - side, 0)))
    y0 = int(np.clip(round(cy - side / 2), 0, max(height - side, 0)))
    return gray[y0:y0 + side, x0:x0 + side]


# -- helpers -----------------------------------------------------------------------


def _parse_params(doc: dict[str, Any], path: Path) -> _Model:
    """Build the model from the parameter document; a malformed file is an IntegrityError."""
    try:
        if doc["format"] != PARAMS_FORMAT:
            raise ValueError(f"format {doc['format']!r}, expected {PARAMS_FORMAT!r}")
        feats, model = doc["features"], doc["model"]
        names = tuple(feats["names"])
        mean, scale, weights = (np.asarray(model[k], dtype=np.float64) for k in ("mean", "scale", "weights"))
        if any(a.shape != (len(names),) for a in (mean, scale, weights)):
            raise ValueError("mean, scale and weights must have one value per feature")
        return _Model(int(feats["side"]), int(feats["n_bins"]), names, mean, scale, weights,
                      float(model["bias"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise IntegrityError(f"{path}: malformed parameter file: {exc}", subject=str(path)) from exc


PERIOD2_PRESENT_P = 1e-3  # below this p-value the reason calls the structure present


def _alternation_text(test: ff.Alternation) -> str:
    measured = f"T = {test.statistic:.1f} over {test.blocks} blocks, p = {test.p_value:.2g}"
    if test.p_value < PERIOD2_PRESENT_P:
        return (
            f"a period-2 structure is present ({measured} without one): up-sampling layers "
            "leave it, and so does the demosaicing of a camera image kept at full resolution"
        )
    return f"no period-2 structure is detectable ({measured})"


def _tiles_text(spectrum: ff.Spectrum) -> str:
    n = spectrum.tiles
    return f"{n} tile{'s' if n > 1 else ''} of {spectrum.side}x{spectrum.side} pixels"


def _spectrum_details(spectrum: ff.Spectrum) -> dict[str, Any]:
    return {
        "tile_side": spectrum.side,
        "tiles": spectrum.tiles,
        "peaks_db": dict(spectrum.peaks_db),
    }


def _alternation_details(test: ff.Alternation) -> dict[str, Any]:
    return {
        "t_x": test.t_x,
        "t_y": test.t_y,
        "t_checkerboard": test.t_checkerboard,
        "blocks": test.blocks,
        "statistic": test.statistic,
        "p_value_no_period2": test.p_value,
    }


def _mean_peaks(spectra: list[ff.Spectrum]) -> dict[str, float]:
    return {k: float(np.mean([s.peaks_db[k] for s in spectra])) for k in ff.PEAK_KEYS}


def _spectrum_artifact(frequency: np.ndarray, spectra: list[ff.Spectrum]) -> Artifact:
    """The radial spectrum (mean over frames for a video) as canonical JSON, for plotting."""
    body = {
        "description": "azimuthal mean of 20*log10|FFT| (orthonormal, Hann window) per radius",
        "frequency_cycles_per_pixel": [float(v) for v in frequency],
        "power_db": [float(v) for v in np.mean([s.power_db for s in spectra], axis=0)],
        "tile_side": spectra[0].side,
        "spectra_averaged": len(spectra),
    }
    return Artifact(SPECTRUM_ARTIFACT, "application/json", canonical_bytes(body))
