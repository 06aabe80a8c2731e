"""Training and evaluation data of the generated-image detector.

Sources: the real and fake images of TSV manifests (``label``, ``local_path``; the
categories in ``CATEGORIES``). Each has a family (the ``generator_or_source`` column,
else the repository folder: one generator or one real source) and an identity group
(``cnn_data.identity_group``). Left out: images smaller than ``MIN_SIDE`` (metadata test
files of 1 x 1 or 8 x 8 pixels) and fakes that are face swaps of real footage
(``MANIPULATED_FACES``), which are the face-forgery detector's domain, not generated
images.

Views of one image, all at the detector's fixed input (``clip.model_input``):
- as given;
- augmented (Wang et al., CVPR 2020: blur, JPEG, resizing, cropping, flips, applied to
  both classes alike, so that how a file was stored cannot tell them apart);
- decoder-rebuilt (reals only): the up-convolution decoders the frequency detector
  trains on rebuild a real image (Zhang et al.'s AutoGAN idea), a fake made here with
  a generator's up-sampling traces;
- matched (evaluation): every image brought to 256 x 256 and stored as JPEG quality 90
  alike, so that size and format say nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from forensics.errors import EvidenceError
from forensics.media.images import load_image
from forensics.nets.clip import model_input
from forensics.training.cnn_data import identity_group
from forensics.training.upconv import DecoderSimulator

CATEGORIES = ("face_images", "synthetic_images", "metadata")
MIN_SIDE = 64
# Fakes of the corpus that are manipulated real footage (face swaps), not generated images
MANIPULATED_FACES = frozenset({"DariusAf__MesoNet", "polimi-ispl__icpr2020dfdc", "alexkyllo__fake-faces"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})
MATCHED_SIDE = 256
MATCHED_QUALITY = 90


@dataclass(frozen=True)
class ImageSource:
    """One labelled image."""

    path: Path
    rel: str  #: path relative to the manifest's folder
    label: int  #: 1 generated, 0 real
    family: str  #: generator or real source
    group: str  #: identity group: never on both sides of a split


def _family(row: dict[str, str], rel: str) -> str:
    named = (row.get("generator_or_source") or "").strip()
    if named:
        return named
    return next((p for p in Path(rel).parts if "__" in p), Path(rel).parent.name)


def read_image_sources(manifests: Sequence[Path]) -> tuple[list[ImageSource], list[dict[str, object]]]:
    """Labelled images of the manifests (module docstring) and, per manifest, its name and
    SHA-256 for the model card."""
    sources: list[ImageSource] = []
    inputs: list[dict[str, object]] = []
    for manifest in manifests:
        with manifest.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        kept = 0
        for row in rows:
            label = {"real": 0, "fake": 1}.get(row.get("label", "").strip().lower())
            rel = row.get("local_path") or row.get("path") or ""
            if label is None or Path(rel).suffix.lower() not in IMAGE_SUFFIXES:
                continue
            if row.get("category") and row["category"] not in CATEGORIES:
                continue
            family = _family(row, rel)
            if label == 1 and family in MANIPULATED_FACES:
                continue
            path = manifest.parent / rel
            try:
                with Image.open(path) as img:
                    if min(img.size) < MIN_SIDE:
                        continue
            except OSError:
                continue
            sources.append(ImageSource(path, rel, label, family, identity_group(path, rel)))
            kept += 1
        inputs.append({"manifest": manifest.name, "manifest_sha256": hashlib.sha256(manifest.read_bytes()).hexdigest(),
                       "images_used": kept})
    sources.sort(key=lambda s: s.rel)
    return sources, inputs


def load_rgb(path: Path) -> np.ndarray:
    """The image's pixels (RGB uint8), through the suite's guarded decoder."""
    return load_image(path, mode="RGB").pixels


@dataclass(frozen=True)
class ViewAugmentation:
    """Random degradations of a training view (each applied with its probability)."""

    flip: float = 0.5
    crop: float = 0.5  #: random crop keeping at least ``min_crop`` of each side
    min_crop: float = 0.6
    resize: float = 0.5  #: rescale by a factor in ``scale``
    scale: tuple[float, float] = (0.5, 1.5)
    blur: float = 0.3
    max_blur_sigma: float = 2.0
    jpeg: float = 0.6
    jpeg_quality: tuple[int, int] = (50, 100)


_FILTERS = (Image.Resampling.BILINEAR, Image.Resampling.BICUBIC, Image.Resampling.LANCZOS)


def augment_view(rng: np.random.Generator, rgb: np.ndarray, aug: ViewAugmentation) -> np.ndarray:
    """One random degradation (flip, crop, resize, blur, JPEG), then the fixed input."""
    img = Image.fromarray(rgb)
    if rng.random() < aug.flip:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if rng.random() < aug.crop:
        w, h = img.size
        cw, ch = round(w * rng.uniform(aug.min_crop, 1.0)), round(h * rng.uniform(aug.min_crop, 1.0))
        left, top = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        img = img.crop((left, top, left + cw, top + ch))
    if rng.random() < aug.resize:
        factor = rng.uniform(*aug.scale)
        size = (max(MIN_SIDE, round(img.size[0] * factor)), max(MIN_SIDE, round(img.size[1] * factor)))
        img = img.resize(size, _FILTERS[int(rng.integers(len(_FILTERS)))])
    if rng.random() < aug.blur:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.1, aug.max_blur_sigma)))
    if rng.random() < aug.jpeg:
        img = _jpeg(img, int(rng.integers(aug.jpeg_quality[0], aug.jpeg_quality[1] + 1)))
    return model_input(np.asarray(img))


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def square(rgb: np.ndarray, side: int) -> np.ndarray:
    """Shortest side resized to ``side`` (Lanczos), centre crop ``side`` x ``side``."""
    img = Image.fromarray(rgb)
    scale = side / min(img.size)
    size = (max(side, round(img.size[0] * scale)), max(side, round(img.size[1] * scale)))
    img = img.resize(size, Image.Resampling.LANCZOS)
    left, top = (size[0] - side) // 2, (size[1] - side) // 2
    return np.asarray(img.crop((left, top, left + side, top + side)))


def matched(rgb: np.ndarray) -> np.ndarray:
    """The evaluation pipeline every image goes through alike: 256 x 256, JPEG quality 90."""
    return np.asarray(_jpeg(Image.fromarray(square(rgb, MATCHED_SIDE)), MATCHED_QUALITY))


# Robustness conditions of the evaluation (transformations of a matched image)
def jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    return np.asarray(_jpeg(Image.fromarray(rgb), quality))


def half(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    return np.asarray(Image.fromarray(rgb).resize((w // 2, h // 2), Image.Resampling.BICUBIC))


def centre_crop(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    return rgb[h // 4: h - h // 4, w // 4: w - w // 4]


@dataclass(frozen=True)
class Rebuilt:
    """Real images rebuilt by the frequency detector's up-convolution decoders."""

    decoders: DecoderSimulator
    digest: str

    def __call__(self, rng: np.random.Generator, rgb: np.ndarray) -> np.ndarray:
        """The image's 256 x 256 centre square, down-sampled and rebuilt by a random decoder."""
        out = self.decoders(rng, square(rgb, MATCHED_SIDE).astype(np.float64))
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def decoders(seed: int) -> Rebuilt:
    """The frequency detector's built-in decoders (trained on scikit-image photographs)."""
    from forensics.training import frequency

    recipe = frequency.Recipe(seed=seed)
    photos = [frequency.skimage_photo(n)[0] for n in recipe.train_sources]
    simulator = frequency.builtin_simulator(recipe, photos)
    return Rebuilt(simulator, simulator.digest)


def readable(sources: Sequence[ImageSource]) -> tuple[list[tuple[ImageSource, np.ndarray]], list[str]]:
    """Decoded images and the sources that could not be read (with why)."""
    out, missing = [], []
    for source in sources:
        try:
            out.append((source, load_rgb(source.path)))
        except EvidenceError as exc:
            missing.append(f"{source.rel}: {exc.reason}")
    return out, missing
