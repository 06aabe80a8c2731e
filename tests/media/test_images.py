"""Image decoding: orientation, modes, the bomb limit and damaged files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from forensics.errors import EvidenceError
from forensics.media.images import load_image
from tests.media.conftest import smooth_rgb, write_jpeg


def test_rgb_and_luma(tmp_path: Path) -> None:
    rgb = smooth_rgb(120, 200)
    path = tmp_path / "a.png"
    Image.fromarray(rgb).save(path)
    colour = load_image(path)
    gray = load_image(path, mode="L")
    assert colour.pixels.shape == (120, 200, 3) and colour.format == "PNG"
    assert gray.pixels.shape == (120, 200) and (gray.width, gray.height) == (200, 120)
    np.testing.assert_array_equal(colour.pixels, rgb)


def test_jpeg_luma_matches_pillow_conversion(tmp_path: Path) -> None:
    """The draft-mode luma plane equals Pillow's RGB -> L up to rounding."""
    path = write_jpeg(tmp_path / "a.jpg", smooth_rgb(256, 256))
    fast = load_image(path, mode="L").pixels.astype(int)
    slow = np.asarray(Image.open(path).convert("L")).astype(int)
    assert fast.shape == slow.shape
    assert np.abs(fast - slow).max() <= 6 and np.abs(fast - slow).mean() < 0.5


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    rgb = smooth_rgb(100, 60)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to view
    path = tmp_path / "rotated.jpg"
    Image.fromarray(rgb).save(path, "JPEG", exif=exif.tobytes())
    image = load_image(path)
    assert image.orientation == 6
    assert (image.width, image.height) == (100, 60)


def test_heif_decodes_like_other_images(tmp_path: Path) -> None:
    """HEIF/HEIC, what phones save by default, is decoded."""
    rgb = smooth_rgb(96, 128)
    path = tmp_path / "phone.heic"
    Image.fromarray(rgb).save(path, "HEIF", quality=95)
    image = load_image(path)
    assert image.format == "HEIF" and (image.width, image.height) == (128, 96)
    # luma survives the lossy codec closely (its chroma is subsampled, so not compared)
    luma = np.asarray(Image.fromarray(rgb).convert("L"), dtype=int)
    assert np.abs(load_image(path, mode="L").pixels.astype(int) - luma).mean() < 1.0
    # a damaged HEIF is an error naming the file, not a crash
    broken = tmp_path / "broken.heic"
    broken.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(EvidenceError) as err:
        load_image(broken)
    assert err.value.path == str(broken)


def test_sixteen_bit_grayscale_is_scaled(tmp_path: Path) -> None:
    data = (np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16).astype(np.uint16)
    path = tmp_path / "deep.png"
    Image.fromarray(data).save(path)
    gray = load_image(path, mode="L").pixels
    assert gray.dtype == np.uint8 and gray.max() == 255 and gray.min() == 0


def test_stream_input_is_named(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError) as err:
        load_image(io.BytesIO(b"not an image"), name="sample-7")
    assert err.value.path == "sample-7" and "identify" in err.value.reason


def test_limit_refuses_large_canvas(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.fromarray(smooth_rgb(100, 100)).save(path)
    with pytest.raises(EvidenceError, match="decompression-bomb limit of 9,999"):
        load_image(path, max_pixels=9_999)


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("truncated_jpeg", "truncated"),
        ("corrupt_png", "damaged image data"),
        ("bomb_png", "decompression"),
        ("random_mp4", "identify"),
    ],
)
def test_damaged_images_raise_evidence_error(
    bad_files: dict[str, Path], kind: str, words: str
) -> None:
    with pytest.raises(EvidenceError) as err:
        load_image(bad_files[kind])
    assert words in err.value.reason
    assert err.value.path == str(bad_files[kind])
