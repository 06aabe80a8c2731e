"""Damaged and sample media made on the fly (shared by media and detector tests)."""

from __future__ import annotations

import io
import struct
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image


def smooth_rgb(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth random colour image (low-pass noise), uint8."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    img = Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC)
    return np.asarray(img)


def write_jpeg(path: Path, rgb: np.ndarray, quality: int = 90) -> Path:
    Image.fromarray(rgb).save(path, "JPEG", quality=quality)
    return path


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """A tiny PNG whose header announces a huge canvas (the data itself is a few bytes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 16)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )
    return path


def write_video(path: Path, frames: int, size: tuple[int, int] = (128, 96), fps: int = 10) -> Path:
    """An MPEG-4 video of moving noise; ``frames`` may be 0 (a header and nothing else:
    the MP4 muxer then records no track at all)."""
    rng = np.random.default_rng(1)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        container.start_encoding()  # writes the header even when no frame follows
        for i in range(frames):
            rgb = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, Path]:
    return make_bad_files(tmp_path)


def make_bad_files(tmp_path: Path) -> dict[str, Path]:
    """The five kinds of damaged input the suite must turn into error findings."""
    good = io.BytesIO()
    Image.fromarray(smooth_rgb(256, 256)).save(good, "JPEG", quality=90)
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good.getvalue()[: len(good.getvalue()) // 2])

    png = io.BytesIO()
    Image.fromarray(smooth_rgb(128, 128)).save(png, "PNG")
    data = bytearray(png.getvalue())
    idat = data.index(b"IDAT")
    data[idat + 10] ^= 0xFF  # inside the compressed data: the CRC no longer matches
    corrupt = tmp_path / "corrupt_chunk.png"
    corrupt.write_bytes(bytes(data))

    noise = tmp_path / "random.mp4"
    noise.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    return {
        "truncated_jpeg": truncated,
        "corrupt_png": corrupt,
        "bomb_png": bomb_png(tmp_path / "bomb.png"),
        "random_mp4": noise,
        "empty_video": write_video(tmp_path / "empty.mp4", frames=0),
    }
