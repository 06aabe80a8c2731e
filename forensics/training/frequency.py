"""Training the frequency detector: data it can make itself, and a logistic regression.

The built-in recipe (``forensics train frequency --builtin``) needs nothing but the
photographs that ship inside scikit-image (``skimage/data``):

- real: random crops of those photographs at random down-scales (LANCZOS, anti-aliased);
- synthetic: crops of the same photographs rebuilt by small generator decoders, as in
  Zhang, Karaman & Chang 2019 ("Detecting and simulating artifacts in GAN fake images",
  the AutoGAN idea): down-sampled by 2, 4 or 8 to a "latent" grid, then brought back by
  as many learned 2x up-sampling stages (transposed convolution, nearest + convolution or
  bilinear + convolution, with LeakyReLUs), each decoder briefly trained with torch on
  the training photographs (``forensics.training.upconv``; seeded, one thread,
  deterministic algorithms). The classifier so learns the up-convolution fingerprint,
  not one hand-written resampler;
- both classes then go through the same encoder lottery: JPEG at a random quality
  (fraction ``jpeg_fraction``) or lossless PNG, so that compression tells nothing about
  the class, and through the same decoder the detector uses (``forensics.media``).

Whole photographs are held out for validation (``VALIDATION_SOURCES``), so the stored
validation AUC is measured on scenes the classifier never saw.

By default the classifier reads the periodic-peak measures only. With the radial profile
as input too (``with_profile``), the fit separates the generated set better, but on an
independent face set (real FFHQ/CelebA/UTKFace vs StyleGAN2/3) its ranking was inverted
(AUC ~0.2): the profile's shape records how an image was resized and compressed, which
the simulation cannot match, rather than how it was made. The profile is still measured
and stored with every finding for the examiner to see.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version as dist_version
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage, optimize

from forensics.canonical import canonical_json
from forensics.detectors import frequency_features as ff
from forensics.media.images import load_image
from forensics.training import upconv
from forensics.validation.metrics import roc_auc

PARAMS_FORMAT = "forensics.frequency-params/1"

# Photographs shipped in skimage/data (file names); synthetic drawings are left out.
TRAIN_SOURCES = (
    "astronaut.png", "brick.png", "camera.png", "cell.png", "clock_motion.png", "coins.png",
    "grass.png", "hubble_deep_field.jpg", "ihc.png", "motorcycle_left.png",
    "motorcycle_right.png", "retina.jpg",
)  # fmt: skip
VALIDATION_SOURCES = ("chelsea.png", "coffee.png", "gravel.png", "moon.png", "rocket.jpg")


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the generated data and the fit (stored in the params file)."""

    seed: int = 20261126
    n_per_class: int = 600  #: training samples per class
    n_validation_per_class: int = 200
    side: int = 256  #: analysed square, pixels
    n_bins: int = 32  #: radial profile bins
    jpeg_fraction: float = 0.7  #: share of samples (each class alike) stored as JPEG
    jpeg_quality: tuple[int, int] = (60, 98)  #: inclusive range of JPEG qualities
    min_scale: float = 0.35  #: smallest down-scale of a source photograph
    upscaled_real_fraction: float = 0.3  #: real crops up-scaled by a non-integer factor
    resize_fraction: float = 0.3  #: pairs (both images) down-sized after they are made
    l2: float = 30.0  #: ridge penalty on the standardised weights
    decoder_steps: int = 240  #: training steps of each simulated decoder
    decoder_width: int = 24  #: feature channels of each simulated decoder
    with_profile: bool = False  #: feed the radial profile to the classifier (see below)
    train_sources: tuple[str, ...] = TRAIN_SOURCES
    validation_sources: tuple[str, ...] = VALIDATION_SOURCES


# -- image generation ------------------------------------------------------------------


def skimage_photo(name: str) -> tuple[np.ndarray, str]:
    """An RGB uint8 photograph from skimage/data and the SHA-256 of its file."""
    import skimage  # only training needs it

    path = Path(skimage.__file__).parent / "data" / name
    data = path.read_bytes()
    rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    return rgb, hashlib.sha256(data).hexdigest()


def _random_crop(
    rng: np.random.Generator, rgb: np.ndarray, side: int, min_scale: float
) -> np.ndarray:
    """A ``side`` square from ``rgb`` down-scaled by a random factor, randomly flipped."""
    h, w = rgb.shape[:2]
    lowest = max(min_scale, side / min(h, w))
    scale = rng.uniform(lowest, 1.0) if lowest < 1.0 else side / min(h, w)
    size = (max(side, round(w * scale)), max(side, round(h * scale)))
    img = Image.fromarray(rgb)
    if size != (w, h):
        img = img.resize(size, Image.Resampling.LANCZOS)
    arr = np.asarray(img)
    top = int(rng.integers(0, arr.shape[0] - side + 1))
    left = int(rng.integers(0, arr.shape[1] - side + 1))
    crop = arr[top : top + side, left : left + side].astype(np.float64)
    return crop[:, ::-1] if rng.random() < 0.5 else crop


def camera_finish(rng: np.random.Generator, rgb: np.ndarray) -> np.ndarray:
    """Sharpening and sensor-like noise at random strengths (applied to both classes).

    Cameras sharpen and add noise; applying the same lottery to synthetic images keeps
    the amount of fine detail from telling the classes apart.
    """
    blurred = ndimage.gaussian_filter(rgb, sigma=(1.0, 1.0, 0.0))
    sharp = rgb + rng.uniform(0.0, 1.5) * (rgb - blurred)
    return sharp + rng.normal(0.0, rng.uniform(0.0, 3.0), rgb.shape)


_RESAMPLERS = (Image.Resampling.BILINEAR, Image.Resampling.BICUBIC, Image.Resampling.LANCZOS)


def _resize(rng: np.random.Generator, rgb: np.ndarray, side: int) -> np.ndarray:
    """Resize to a ``side`` square with a randomly chosen interpolation filter."""
    img = Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8))
    filt = _RESAMPLERS[int(rng.integers(len(_RESAMPLERS)))]
    return np.asarray(img.resize((side, side), filt), dtype=np.float64)


Simulator = Callable[[np.random.Generator, np.ndarray], np.ndarray]


def builtin_simulator(recipe: Recipe, photos: Sequence[np.ndarray]) -> upconv.DecoderSimulator:
    """The decoders of the built-in recipe, trained on ``photos`` (the training photographs)."""
    specs = upconv.default_specs(recipe.decoder_steps, recipe.decoder_width)
    return upconv.DecoderSimulator(upconv.train_decoders(specs, photos, recipe.seed))


def make_pair(
    rng: np.random.Generator, source: np.ndarray, recipe: Recipe, simulate: Simulator
) -> tuple[np.ndarray, np.ndarray]:
    """One real and one synthetic RGB square of the same scene, before encoding.

    ``simulate`` turns a crop into its synthetic version (``builtin_simulator``).

    Real photographs are sometimes up-scaled by a non-integer factor (as face data sets
    are), and both images are sometimes down-sized afterwards (as published images are),
    so that neither smooth interpolation nor resizing tells the classes apart.
    """
    side = recipe.side
    work = side
    if rng.random() < recipe.resize_fraction:  # both: made larger, then down-sized
        work = round(side * rng.uniform(1.05, 2.0) / 8) * 8
    if rng.random() < recipe.upscaled_real_fraction:
        small = round(work / rng.uniform(1.1, 2.5))
        real = _resize(rng, _random_crop(rng, source, small, recipe.min_scale), work)
    else:
        real = _random_crop(rng, source, work, recipe.min_scale)
    fake = simulate(rng, _random_crop(rng, source, work, recipe.min_scale))
    real, fake = camera_finish(rng, real), camera_finish(rng, fake)
    if work != side:
        real, fake = _resize(rng, real, side), _resize(rng, fake, side)
    return real, fake


def encode_and_decode(rng: np.random.Generator, rgb: np.ndarray, recipe: Recipe) -> np.ndarray:
    """Store as JPEG (random quality) or PNG, decode to luma through ``forensics.media``."""
    img = Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    if rng.random() < recipe.jpeg_fraction:
        lo, hi = recipe.jpeg_quality
        img.save(buf, "JPEG", quality=int(rng.integers(lo, hi + 1)))
    else:
        img.save(buf, "PNG", compress_level=0)
    buf.seek(0)
    return load_image(buf, mode="L", name="<training sample>").pixels


def feature_names(recipe: Recipe) -> list[str]:
    return ff.feature_names(recipe.n_bins, with_profile=recipe.with_profile)


def _features(gray: np.ndarray, recipe: Recipe, names: list[str]) -> np.ndarray:
    return ff.feature_vector(ff.analyse(gray, side=recipe.side, n_bins=recipe.n_bins), names)


def generate(
    sources: Sequence[np.ndarray],
    n_per_class: int,
    seed: int,
    recipe: Recipe,
    simulate: Simulator,
) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels (1 = synthetic) of ``n_per_class`` real/synthetic pairs."""
    rng = np.random.default_rng(seed)
    names = feature_names(recipe)
    rows, labels = [], []
    for i in range(n_per_class):
        for label, rgb in enumerate(make_pair(rng, sources[i % len(sources)], recipe, simulate)):
            rows.append(_features(encode_and_decode(rng, rgb, recipe), recipe, names))
            labels.append(label)
    return np.asarray(rows), np.asarray(labels)


# -- logistic regression ---------------------------------------------------------------


@dataclass(frozen=True)
class LogisticModel:
    """p(synthetic) = sigmoid(w . (x - mean) / scale + bias)."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def decision(self, features: np.ndarray) -> np.ndarray:
        """Log-odds of "synthetic" for each row of ``features``."""
        z = (np.atleast_2d(features) - np.asarray(self.mean)) / np.asarray(self.scale)
        return z @ np.asarray(self.weights) + self.bias

    def probability(self, features: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.decision(features)))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float) -> LogisticModel:
    """L2-penalised logistic regression on standardised features (L-BFGS, deterministic)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    sign = 2.0 * y - 1.0

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:-1], theta[-1]
        margin = sign * (z @ w + b)
        grad_margin = -sign / (1.0 + np.exp(margin))
        value = np.logaddexp(0.0, -margin).sum() + 0.5 * l2 * w @ w  # -log sigmoid, stable
        grad = np.append(z.T @ grad_margin + l2 * w, grad_margin.sum())
        return float(value), grad

    theta0 = np.zeros(z.shape[1] + 1)
    res = optimize.minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    return LogisticModel(
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        weights=tuple(float(v) for v in res.x[:-1]),
        bias=float(res.x[-1]),
    )


# -- the parameter file ----------------------------------------------------------------


def _versions() -> dict[str, str]:
    return {n: dist_version(n) for n in ("numpy", "scipy", "pillow", "scikit-image", "torch")}


def build_params(model: LogisticModel, recipe: Recipe, data: dict, validation: dict | None) -> dict:
    """The JSON document the detector loads (``write_params`` stores it)."""
    return {
        "format": PARAMS_FORMAT,
        "features": {"side": recipe.side, "n_bins": recipe.n_bins, "names": feature_names(recipe)},
        "model": asdict(model),
        "training": {"recipe": asdict(recipe), "data": data, "versions": _versions()},
        "validation": validation,
    }


def params_bytes(params: dict) -> bytes:
    """The file's bytes: canonical JSON values (rounded floats), indented for reading."""
    text = json.dumps(json.loads(canonical_json(params)), indent=1, sort_keys=True)
    return (text + "\n").encode("utf-8")


def write_params(params: dict, path: Path) -> str:
    """Write the parameter file; returns its SHA-256 (what the detector pins)."""
    data = params_bytes(params)
    Path(path).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def train_builtin(recipe: Recipe = Recipe(), progress: Callable[[str], None] | None = None) -> dict:
    """Generate the built-in data set from scikit-image photographs, fit, validate.

    Returns the parameter document. Deterministic: the same recipe and library versions
    give the same bytes.
    """
    say = progress or (lambda _msg: None)
    train = [skimage_photo(n) for n in recipe.train_sources]
    held = [skimage_photo(n) for n in recipe.validation_sources]
    say(f"training {len(upconv.KINDS) * 3} up-convolution decoders on {len(train)} photographs")
    simulate = builtin_simulator(recipe, [a for a, _ in train])
    say(f"generating {2 * recipe.n_per_class} training images from {len(train)} photographs")
    x, y = generate([a for a, _ in train], recipe.n_per_class, recipe.seed, recipe, simulate)
    model = fit_logistic(x, y, recipe.l2)
    n_val = recipe.n_validation_per_class
    say(f"generating {2 * n_val} validation images from {len(held)} held-out photographs")
    xv, yv = generate([a for a, _ in held], n_val, recipe.seed + 1, recipe, simulate)
    data = {
        "source": "scikit-image sample data (skimage/data), sha256 per file",
        "train": {n: d for n, (_, d) in zip(recipe.train_sources, train, strict=True)},
        "validation": {n: d for n, (_, d) in zip(recipe.validation_sources, held, strict=True)},
        "decoders": {
            "method": "forensics.training.upconv: up-convolution decoders trained on the "
            "training photographs, two snapshots each",
            "count": len(simulate.nets),
            "weights_sha256": simulate.digest,
        },
    }
    validation = {
        "data": "generated from the held-out photographs with seed + 1",
        "auc": roc_auc(model.decision(xv), yv),
        "n_real": int((yv == 0).sum()),
        "n_fake": int((yv == 1).sum()),
    }
    return build_params(model, recipe, data, validation)


def train_files(
    real: Sequence[Path],
    fake: Sequence[Path],
    recipe: Recipe = Recipe(),
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Fit on labelled image files; returns the parameter document.

    Each file is decoded to RGB and passed through the same encoder lottery as the
    built-in data (JPEG at a random quality or PNG), so that the files' own formats and
    compression cannot become what the classifier learns.
    """
    if not real or not fake:
        raise ValueError("training needs at least one real and one synthetic image")
    say = progress or (lambda _msg: None)
    rng = np.random.default_rng(recipe.seed)
    names = feature_names(recipe)
    rows, labels, digests = [], [], []
    for label, paths in ((0, real), (1, fake)):
        say(f"reading {len(paths)} {'synthetic' if label else 'real'} images")
        for path in paths:
            data = Path(path).read_bytes()
            digests.append(hashlib.sha256(data).hexdigest())
            rgb = load_image(io.BytesIO(data), mode="RGB", name=str(path)).pixels
            gray = encode_and_decode(rng, rgb.astype(np.float64), recipe)
            rows.append(_features(gray, recipe, names))
            labels.append(label)
    model = fit_logistic(np.asarray(rows), np.asarray(labels), recipe.l2)
    data_json = {
        "source": "labelled files",
        "n_real": len(real),
        "n_fake": len(fake),
        "files_digest": hashlib.sha256("".join(sorted(digests)).encode()).hexdigest(),
    }
    return build_params(model, recipe, data_json, None)
