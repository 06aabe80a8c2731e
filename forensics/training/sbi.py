"""Self-blended images (Shiohara and Yamasaki, CVPR 2022): forgery-like faces made from
real faces alone.

A real face is blended with a slightly altered copy of itself inside a face-shaped mask.
The result carries what every face swap and reenactment leaves, whatever tool made it:
a blending boundary, and colour, sharpness and alignment mismatches across it. A network
trained to tell these from the untouched faces learns those generic traces rather than
one generator's fingerprint, which is why the recipe generalises to unseen methods.

Here, per face (in the aligned crop the detector reads):
- source = target = the face; the source gets random colour (per-channel shift, hue,
  saturation, brightness, contrast) and sharpness (blur or sharpen, or a down-up
  resampling) changes, and a small random scale and shift;
- mask = the convex hull of the face-mesh landmarks (the whole face, or its lower or
  inner part), elastically deformed, eroded or dilated, and blurred by a random amount;
  the blend ratio is drawn from {0.25, 0.5, 0.75, 1, 1, 1} as in the paper;
- blended = mask * source + (1 - mask) * target.
The detector's training then degrades the real and the blended face alike (JPEG,
resizing, blur), so that compression cannot tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

# MediaPipe face-mesh indices: the face oval, and the lower face (nose and below).
FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
             377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109)
LOWER_FACE = (234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397,
              288, 361, 323, 454, 6)
INNER_FACE = (70, 63, 105, 66, 107, 336, 296, 334, 293, 300, 383, 372, 345, 352, 411, 427, 436,
              432, 422, 424, 418, 421, 200, 201, 194, 204, 202, 212, 216, 207, 187, 123, 116, 143, 156)
BLEND_RATIOS = (0.25, 0.5, 0.75, 1.0, 1.0, 1.0)


@dataclass(frozen=True)
class BlendParams:
    """Ranges of the random changes (defaults after the paper's)."""

    colour_shift: float = 20.0  #: per-channel shift, +- levels of 255
    hue: float = 0.05  #: hue rotation, +- fraction of the colour circle
    saturation: float = 0.3  #: saturation factor range 1 +- this
    brightness: float = 0.1  #: brightness factor range 1 +- this
    contrast: float = 0.1  #: contrast factor range 1 +- this
    scale: float = 0.05  #: source scale range 1 +- this
    shift: float = 0.03  #: source shift, +- fraction of the crop side
    elastic_alpha: float = 0.06  #: mask deformation amplitude, fraction of the crop side
    elastic_sigma: float = 0.04  #: its smoothness, fraction of the crop side


def _hull_mask(points: np.ndarray, size: int) -> np.ndarray:
    """A filled convex polygon around ``points`` (crop pixels), float32 0/1."""
    from scipy.spatial import ConvexHull

    hull = points[ConvexHull(points).vertices]
    image = Image.new("L", (size, size), 0)
    ImageDraw.Draw(image).polygon([tuple(p) for p in hull.tolist()], fill=255)
    return np.asarray(image, dtype=np.float32) / 255.0


def _elastic(mask: np.ndarray, rng: np.random.Generator, alpha: float, sigma: float) -> np.ndarray:
    """The mask warped by a smooth random displacement field."""
    from scipy import ndimage

    size = mask.shape[0]
    dx = ndimage.gaussian_filter(rng.uniform(-1, 1, mask.shape), sigma * size)
    dy = ndimage.gaussian_filter(rng.uniform(-1, 1, mask.shape), sigma * size)
    peak = max(float(np.abs(dx).max()), float(np.abs(dy).max()), 1e-9)
    dx, dy = dx / peak * alpha * size, dy / peak * alpha * size
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    return ndimage.map_coordinates(mask, [y + dy, x + dx], order=1, mode="constant")


def blend_mask(points: np.ndarray, size: int, rng: np.random.Generator,
               params: BlendParams = BlendParams()) -> np.ndarray:
    """A soft face-shaped mask in [0, 1] (size x size), deformed and blurred at random."""
    from scipy import ndimage

    region = (FACE_OVAL, FACE_OVAL, LOWER_FACE, INNER_FACE)[int(rng.integers(4))]
    mask = _hull_mask(points[list(region)], size)
    mask = _elastic(mask, rng, params.elastic_alpha, params.elastic_sigma)
    grow = int(rng.integers(-size // 40, size // 40 + 1))  # erode (<0) or dilate (>0)
    if grow:
        structure = np.ones((3, 3), bool)
        binary = mask > 0.5
        binary = (ndimage.binary_dilation(binary, structure, abs(grow)) if grow > 0
                  else ndimage.binary_erosion(binary, structure, abs(grow)))
        mask = binary.astype(np.float32)
    mask = ndimage.gaussian_filter(mask, rng.uniform(0.5, 0.06 * size))
    top = float(mask.max())
    mask = mask / top if top > 0 else mask
    return (mask * BLEND_RATIOS[int(rng.integers(len(BLEND_RATIOS)))]).astype(np.float32)


def _hue_rotate(image: Image.Image, amount: float) -> Image.Image:
    hsv = np.asarray(image.convert("HSV")).copy()
    hsv[..., 0] = (hsv[..., 0].astype(np.int32) + round(amount * 255)) % 256
    return Image.fromarray(hsv, "HSV").convert("RGB")


def altered_source(face: np.ndarray, rng: np.random.Generator,
                   params: BlendParams = BlendParams()) -> np.ndarray:
    """The face with random colour, sharpness, scale and position changes."""
    size = face.shape[0]
    shifted = face.astype(np.float32) + rng.uniform(-params.colour_shift, params.colour_shift, 3)
    image = Image.fromarray(np.clip(shifted, 0, 255).astype(np.uint8))
    image = _hue_rotate(image, rng.uniform(-params.hue, params.hue))
    image = ImageEnhance.Color(image).enhance(1 + rng.uniform(-params.saturation, params.saturation))
    image = ImageEnhance.Brightness(image).enhance(1 + rng.uniform(-params.brightness, params.brightness))
    image = ImageEnhance.Contrast(image).enhance(1 + rng.uniform(-params.contrast, params.contrast))
    kind = int(rng.integers(3))
    if kind == 0:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.5)))
    elif kind == 1:
        image = image.filter(ImageFilter.UnsharpMask(radius=2, percent=int(rng.integers(50, 200))))
    else:
        small = max(16, round(size * rng.uniform(0.35, 0.7)))
        image = image.resize((small, small), Image.Resampling.BILINEAR).resize((size, size),
                                                                              Image.Resampling.BILINEAR)
    scale = 1 + rng.uniform(-params.scale, params.scale)
    tx, ty = rng.uniform(-params.shift, params.shift, 2) * size
    # output (u, v) -> input: centre-scaled and shifted
    c = size / 2
    coefficients = (1 / scale, 0.0, c - c / scale - tx, 0.0, 1 / scale, c - c / scale - ty)
    image = image.transform((size, size), Image.Transform.AFFINE, coefficients, Image.Resampling.BILINEAR)
    return np.asarray(image)


def self_blend(face: np.ndarray, points: np.ndarray, rng: np.random.Generator,
               params: BlendParams = BlendParams()) -> tuple[np.ndarray, np.ndarray]:
    """A self-blended version of an aligned face crop and the mask used.

    ``points``: its face-mesh landmarks in crop pixels. Returns (uint8 RGB, float mask).
    """
    size = face.shape[0]
    source = altered_source(face, rng, params)
    mask = blend_mask(points, size, rng, params)[..., None]
    blended = mask * source.astype(np.float32) + (1 - mask) * face.astype(np.float32)
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8), mask[..., 0]
