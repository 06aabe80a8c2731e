"""The frequency detector: spectrum maths with known answers, findings, bad input."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from scipy.stats import chi2

from forensics.detectors import frequency_features as ff
from forensics.detectors.frequency import (
    PINNED_PARAMS_SHA256,
    FrequencyConfig,
    FrequencyDetector,
    default_params_path,
)
from forensics.detectors.registry import get_detector
from forensics.errors import IntegrityError
from forensics.model import Verdict
from tests.files import evidence_input
from tests.media.conftest import make_bad_files, smooth_rgb, write_jpeg, write_video

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, Path]:
    return make_bad_files(tmp_path)


def _fit_slope(spectrum: ff.Spectrum, lo: float, hi: float) -> float:
    """Slope of log10(power) against log10(frequency) between lo and hi cycles/pixel."""
    keep = (spectrum.frequency >= lo) & (spectrum.frequency <= hi)
    log_power = spectrum.power_db[keep] / 10.0  # 20 log10|F| = 10 log10 P
    return float(np.polyfit(np.log10(spectrum.frequency[keep]), log_power, 1)[0])


# -- known answers -------------------------------------------------------------------


def test_white_noise_has_a_flat_profile() -> None:
    noise = np.random.default_rng(0).normal(128, 20, (512, 512))
    spectrum = ff.analyse(noise, side=256, n_bins=64)
    body = spectrum.power_db[2:]  # the first bins sit in the Hann window's main lobe
    assert np.ptp(body) < 1.5  # flat within 1.5 dB
    assert abs(_fit_slope(spectrum, 0.05, 0.5)) < 0.1


def test_one_over_f_noise_has_slope_minus_two() -> None:
    """Amplitude 1/f means power 1/f^2: a slope of -2 in log-log."""
    rng = np.random.default_rng(1)
    n = 512
    f = np.hypot(*np.meshgrid(np.fft.fftfreq(n), np.fft.fftfreq(n), indexing="ij"))
    f[0, 0] = np.inf  # no DC
    field = np.fft.ifft2(np.fft.fft2(rng.normal(size=(n, n))) / f).real
    spectrum = ff.analyse(field, side=256, n_bins=64)
    assert _fit_slope(spectrum, 0.03, 0.45) == pytest.approx(-2.0, abs=0.2)


def _transposed_conv(x: np.ndarray, stride: int, kernel: np.ndarray) -> np.ndarray:
    """Zero insertion by ``stride``, then a (circular) convolution with ``kernel``."""
    up = np.zeros((x.shape[0] * stride, x.shape[1] * stride))
    up[::stride, ::stride] = x
    out = np.zeros_like(up)
    for dy in range(kernel.shape[0]):
        for dx in range(kernel.shape[1]):
            out += kernel[dy, dx] * np.roll(up, (dy, dx), axis=(0, 1))
    return out


@pytest.mark.parametrize(("stride", "key"), [(2, "p2"), (4, "p4")])
def test_upsampled_image_peaks_at_one_over_stride(stride: int, key: str) -> None:
    rng = np.random.default_rng(2)
    small = rng.normal(128, 30, (256 // stride, 256 // stride))
    kernel = np.full((3, 3), 1.0 / 9.0) * stride**2  # 3 taps over a stride of 2 or 4: uneven
    image = _transposed_conv(small, stride, kernel)
    spectrum = ff.analyse(image, side=256, n_bins=64)
    assert spectrum.peaks_db[f"{key}_off_axis"] > 10.0
    # the strongest high-frequency cell lies on the 1/stride lattice
    spec = ff.log_spectrum(ff.central_tiles(image, 256)[0])
    prom = ff.prominence_map(spec)
    k = np.arange(256) - 128
    prom[np.hypot(*np.meshgrid(k, k, indexing="ij")) < 16] = -np.inf
    row, col = np.unravel_index(np.argmax(prom), prom.shape)
    assert (row - 128) % (256 // stride) == 0 and (col - 128) % (256 // stride) == 0
    # and plain noise (4 tiles averaged: noise std ~1.6 dB at 1/2) shows no such peak
    noise = ff.analyse(rng.normal(128, 30, (512, 512)), side=256, n_bins=64)
    assert abs(noise.peaks_db[f"{key}_off_axis"]) < 5.0


def _interpolate_2x(x: np.ndarray) -> np.ndarray:
    """2x linear up-sampling that keeps the input samples at even rows and columns."""
    h, w = x.shape
    up = np.zeros((2 * h - 1, 2 * w - 1))
    up[::2, ::2] = x
    up[1::2, ::2] = (x[:-1] + x[1:]) / 2
    up[:, 1::2] = (up[:, :-1:2] + up[:, 2::2]) / 2
    return up


# T without period-2 structure is chi(3): 99.99% of images stay below this (4.59)
NULL_LIMIT = float(np.sqrt(chi2.ppf(0.9999, 3)))


def test_period2_test_follows_its_null_on_noise() -> None:
    """Without period-2 structure T is chi(3): median 1.54. (A border handled by zero
    padding instead of the even frame lifts the median to ~3.2 here.)"""
    rng = np.random.default_rng(4)
    stats = [ff.analyse(rng.normal(128, 20, (512, 512)), side=256, n_bins=32).alternation
             for _ in range(20)]
    assert all(s.blocks == 196 for s in stats)  # 2 x 2 tiles of 7 x 7 blocks (less a frame)
    values = np.array([s.statistic for s in stats])
    assert 1.0 < np.median(values) < 2.2  # chi(3) median 1.54; 20 draws
    assert values.max() < NULL_LIMIT


def test_period2_test_on_a_flat_image_tests_nothing() -> None:
    """Blocks without detail carry no phase information: none is tested, T is 0."""
    test = ff.analyse(np.full((300, 300), 128.0), side=256, n_bins=32).alternation
    assert test.blocks == 0 and test.statistic == 0.0 and test.p_value == 1.0


def test_period2_test_finds_interpolated_pixels() -> None:
    """Interpolated (odd) pixels carry less detail than kept (even) ones: T far above 4."""
    rng = np.random.default_rng(5)
    image = _interpolate_2x(rng.normal(128, 20, (257, 257)))[:512, :512]
    test = ff.analyse(image, side=256, n_bins=32).alternation
    assert test.statistic > 50 and test.p_value < 1e-9
    # x, y and the checkerboard all alternate; the sign says which phase is smoother
    assert test.t_x > 10 and test.t_y > 10 and test.t_checkerboard > 10


@pytest.mark.parametrize("quality", [50, 75, 95])
def test_jpeg_grid_leaves_no_period2_structure(quality: int, tmp_path: Path) -> None:
    """The 8x8 DCT basis is symmetric about the block centre: JPEG alone keeps T at its
    null, while the same noise up-sampled and then compressed keeps a high T."""
    rng = np.random.default_rng(6)
    noise = np.clip(rng.normal(128, 30, (512, 512)), 0, 255)
    upsampled = np.clip(_interpolate_2x(rng.normal(128, 30, (257, 257)))[:512, :512], 0, 255)
    found = {}
    for name, pixels in (("noise", noise), ("upsampled", upsampled)):
        path = tmp_path / f"{name}.jpg"
        Image.fromarray(pixels.astype(np.uint8)).save(path, "JPEG", quality=quality)
        decoded = np.asarray(Image.open(path).convert("L"), dtype=np.float64)
        found[name] = ff.analyse(decoded, side=256, n_bins=32).alternation.statistic
    assert found["noise"] < NULL_LIMIT
    assert found["upsampled"] > 10


def test_upsampled_image_finding_names_the_period2_structure(tmp_path: Path) -> None:
    """The examiner reads that the structure is there and what else makes it."""
    rng = np.random.default_rng(7)
    pixels = np.clip(_interpolate_2x(rng.normal(128, 30, (400, 400))), 0, 255)
    path = tmp_path / "upsampled.png"
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    (finding,) = FrequencyDetector().run(evidence_input(path, "image/png"))
    assert finding.details["period2"]["p_value_no_period2"] < 1e-3
    assert "a period-2 structure is present" in finding.reason
    assert "demosaicing" in finding.reason


def test_tiles_cover_the_centre_at_a_fixed_side() -> None:
    tiles = ff.central_tiles(np.zeros((1080, 1920)), 256)
    assert len(tiles) == 4 and all(t.shape == (256, 256) for t in tiles)
    (small,) = ff.central_tiles(np.zeros((100, 150)), 256)
    assert small.shape == (96, 96)  # a multiple of 8
    with pytest.raises(ValueError, match="smaller than"):
        ff.analyse(np.zeros((40, 40)), side=256, n_bins=32)


def test_simulated_decoders_are_deterministic_and_leave_peaks() -> None:
    """The training data's up-convolution decoders: same seed, same weights; a transposed
    convolution's output carries the 1/2 cycles/pixel peaks the detector measures."""
    from forensics.training import upconv

    rng = np.random.default_rng(3)
    photos = [np.clip(rng.normal(128, 40, (96, 96, 3)), 0, 255).astype(np.uint8)]
    spec = upconv.DecoderSpec("transposed", 1, width=8, steps=4, snapshots=(4,))
    first = upconv.train_decoders([spec], photos, seed=7)
    assert upconv.weights_digest(first) == upconv.weights_digest(
        upconv.train_decoders([spec], photos, seed=7)
    )
    simulate = upconv.DecoderSimulator(first)
    smooth = ndimage.gaussian_filter(rng.normal(128, 60, (256, 256, 3)), (3, 3, 0))
    out = simulate(np.random.default_rng(0), smooth)
    assert out.shape == smooth.shape and out.min() >= 0.0 and out.max() <= 255.0
    peaks = ff.analyse(out @ [0.299, 0.587, 0.114], side=256, n_bins=32).peaks_db
    assert max(peaks["p2_axis"], peaks["p2_off_axis"]) > 6.0


# -- the detector --------------------------------------------------------------------


def test_registered_and_described() -> None:
    assert get_detector("frequency") is FrequencyDetector
    info = FrequencyDetector().describe()
    assert info["inputs"] == ["image", "video"] and info["version"] == "3.0.1"
    assert info["weights_digest"] == PINNED_PARAMS_SHA256


def test_image_finding(tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "photo.jpg", smooth_rgb(600, 800))
    detector = FrequencyDetector()
    (finding,) = detector.run(evidence_input(path, "image/jpeg"))
    # the shipped validation record applies to this build: a calibrated LR and its words
    assert finding.verdict in {Verdict.SUPPORTS_MANIPULATION, Verdict.SUPPORTS_AUTHENTICITY,
                               Verdict.INCONCLUSIVE}
    assert 0.0 <= finding.score <= 1.0 and finding.log10_lr is not None
    assert finding.verbal in finding.reason
    assert finding.log10_lr == pytest.approx(detector.validation.calibration.log10_lr(finding.score))
    assert finding.weights_digest == PINNED_PARAMS_SHA256
    assert finding.details["tiles"] == 4 and finding.details["tile_side"] == 256
    assert set(finding.details["peaks_db"]) == set(ff.PEAK_KEYS)
    period2 = finding.details["period2"]
    assert period2["blocks"] == 196 and 0.0 <= period2["p_value_no_period2"] <= 1.0
    assert f"T = {period2['statistic']:.1f}" in finding.reason
    assert "no period-2 structure is detectable" in finding.reason  # a plain JPEG photo
    (artifact,) = finding.artifacts
    plot = json.loads(artifact.data)
    assert artifact.name == "radial_spectrum" and artifact.media_type == "application/json"
    assert len(plot["frequency_cycles_per_pixel"]) == len(plot["power_db"]) == 32
    # the same file gives the same finding digest (no time inside)
    (again,) = FrequencyDetector().run(evidence_input(path, "image/jpeg"))
    assert again.digest == finding.digest


def test_video_finding(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mp4", frames=24)
    detector = FrequencyDetector(FrequencyConfig(video_frames=4))
    (finding,) = detector.run(evidence_input(path, "video/mp4"))
    # another configuration than the validated one: no LR
    assert finding.verdict is Verdict.NOT_VALIDATED and finding.log10_lr is None
    assert finding.details["frames_sampled"] == 4
    assert finding.details["frames_with_face"] == 0
    assert {f["region"] for f in finding.details["frames"]} == {"whole frame"}
    assert [f["index"] for f in finding.details["frames"]] == [0, 6, 12, 18]
    assert finding.score == pytest.approx(np.mean([f["score"] for f in finding.details["frames"]]))
    assert json.loads(finding.artifacts[0].data)["spectra_averaged"] == 4
    # the period-2 test is per frame; no single frame's test stands for the video
    per_frame = [f["period2_statistic"] for f in finding.details["frames"]]
    assert finding.details["period2_statistic_mean"] == pytest.approx(np.mean(per_frame))
    assert "period2" not in finding.details


def test_video_spectra_come_from_the_face_region(tmp_path: Path) -> None:
    from tests.media.blink_clips import astronaut, still_clip

    path = still_clip(tmp_path / "face.mp4", astronaut(), 12)
    (finding,) = FrequencyDetector(FrequencyConfig(video_frames=3)).run(evidence_input(path, "video/mp4"))
    assert finding.details["frames_with_face"] == 3
    assert "the face region" in finding.reason


def test_tiny_image_is_inconclusive(tmp_path: Path) -> None:
    path = tmp_path / "tiny.png"
    Image.fromarray(smooth_rgb(40, 40)).save(path)
    (finding,) = FrequencyDetector().run(evidence_input(path, "image/png"))
    assert finding.verdict is Verdict.INCONCLUSIVE and "smaller than" in finding.reason


@pytest.mark.parametrize(
    ("kind", "media_type", "words"),
    [
        ("truncated_jpeg", "image/jpeg", "truncated"),
        ("corrupt_png", "image/png", "damaged image data"),
        ("bomb_png", "image/png", "decompression"),
        ("random_mp4", "video/mp4", "not a readable video container"),
        ("empty_video", "video/mp4", "no video stream"),
    ],
)
def test_bad_input_becomes_an_error_finding(
    bad_files: dict[str, Path], kind: str, media_type: str, words: str
) -> None:
    (finding,) = FrequencyDetector().run(evidence_input(bad_files[kind], media_type))
    assert finding.verdict is Verdict.ERROR
    assert words in finding.reason and finding.score is None


def test_tampered_parameters_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / "params.json"
    shutil.copyfile(default_params_path(), copy)
    FrequencyDetector(params_path=copy).model()  # intact: loads
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x01
    copy.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=r"params\.json") as err:
        FrequencyDetector(params_path=copy).model()
    assert err.value.subject == str(copy)


def test_shipped_parameters_match_the_pinned_digest() -> None:
    data = default_params_path().read_bytes()
    assert hashlib.sha256(data).hexdigest() == PINNED_PARAMS_SHA256


@pytest.mark.corpus
def test_every_corpus_image_gets_a_score() -> None:
    import csv

    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        pytest.skip(f"corpus not found at {CORPUS}")
    with manifest.open(encoding="utf-8") as fh:
        rows = [
            r for r in csv.DictReader(fh, delimiter="\t") if r["category"] == "synthetic_images"
        ]
    detector = FrequencyDetector()
    for row in rows:
        path = CORPUS / row["local_path"]
        (finding,) = detector.run(
            evidence_input(path, "image/png" if path.suffix == ".png" else "image/jpeg")
        )
        assert finding.verdict is not Verdict.ERROR and finding.log10_lr is not None, (path, finding.reason)
