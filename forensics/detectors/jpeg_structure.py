"""JPEG structure: the quantization tables, and traces of an earlier compression.

Quantization tables. libjpeg (and the many programs built on it: Pillow, ImageMagick,
GIMP, most web services) scales the two example tables of the JPEG standard (ITU-T T.81
Annex K) by a quality factor; camera firmware and some editors (Photoshop) write tables
of their own. ``quantization_report`` says whether the file's tables are the IJG
standard ones at some quality (an exact match) or not, and the nearest IJG quality.

Double compression (aligned). A JPEG stores each 8x8 block's DCT coefficients divided
by the table's step q2 and rounded. If the picture had already been stored as a JPEG
with another step q1, the coefficients went through two roundings, and the histogram of
a frequency's values (in units of q2) shows periodic empty bins (q1 > q2) or periodic
peaks (q1 < q2) (Popescu and Farid 2004; Lukas and Fridrich 2003). The decoded luma is
transformed back block by block (the DCT is the one JPEG uses), divided by the file's own
luma steps, and the histogram of absolute values of each low frequency is compared bin
by bin with the geometric mean of its two neighbours (exact for the Laplacian shape of
a single compression; the arithmetic mean beside an empty bin): ``double_jpeg_score`` is the mean of the squared Poisson
deviations (about 1 for a single compression). The picture must keep the JPEG grid: a
crop that moved it, or a resize, hides the trace (a limitation, not a proof).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

#: the low AC frequencies read, in zig-zag order (row, column): enough non-zero values
LOW_FREQUENCIES = ((0, 1), (1, 0), (2, 0), (1, 1), (0, 2), (0, 3), (1, 2), (2, 1), (3, 0))
MAX_BIN = 40  #: histogram of |value| from 1 to this
MIN_EXPECTED = 20.0  #: bins whose neighbours predict fewer values are skipped (too noisy)


@functools.cache
def _ijg_tables() -> dict[tuple[int, ...], int]:
    """libjpeg's tables (luma + chroma, natural order) -> quality, as Pillow writes them."""
    from PIL import Image

    out: dict[tuple[int, ...], int] = {}
    for quality in range(1, 101):
        buffer = io.BytesIO()
        Image.new("RGB", (16, 16)).save(buffer, "JPEG", quality=quality)
        buffer.seek(0)
        with Image.open(buffer) as img:
            tables = img.quantization  # type: ignore[attr-defined]
        out.setdefault(tuple(tables[0]) + tuple(tables[1]), quality)
    return out


@dataclass(frozen=True)
class QuantizationReport:
    """What the file's quantization tables say."""

    tables: int  #: how many tables the file defines
    ijg_quality: int | None  #: the IJG quality whose tables match exactly, else None
    nearest_quality: int  #: the IJG quality whose luma table is closest
    luma: tuple[int, ...]  #: the luma (first) table, natural order


def quantization_report(tables: Mapping[int, Sequence[int]]) -> QuantizationReport:
    """Compare the file's tables (Pillow's ``quantization``: id -> 64 steps in natural order)."""
    luma = tuple(int(v) for v in tables[min(tables)])
    chroma = tuple(int(v) for v in tables[sorted(tables)[1]]) if len(tables) > 1 else None
    ijg = _ijg_tables()
    exact = ijg.get(luma + chroma) if chroma is not None else next(
        (q for key, q in ijg.items() if key[:64] == luma), None)
    target = np.asarray(luma, dtype=float)
    nearest = min(ijg.items(), key=lambda kv: float(np.abs(np.asarray(kv[0][:64]) - target).sum()))[1]
    return QuantizationReport(len(tables), exact, nearest, luma)


def block_dct(luma: np.ndarray) -> np.ndarray:
    """The 8x8 DCT of each whole block of a luma image (level-shifted by 128), as JPEG
    computes it: (rows/8, columns/8, 8, 8)."""
    from scipy.fft import dctn

    h, w = (luma.shape[0] // 8) * 8, (luma.shape[1] // 8) * 8
    blocks = luma[:h, :w].astype(np.float64).reshape(h // 8, 8, w // 8, 8).transpose(0, 2, 1, 3) - 128.0
    return np.asarray(dctn(blocks, axes=(2, 3), norm="ortho"))


@dataclass(frozen=True)
class DoubleJpegScore:
    """The periodicity statistic and how many histogram bins it rests on."""

    score: float  #: mean squared Poisson deviation from the neighbours' geometric mean
    bins: int  #: bins used (0: too few values to say anything)


def double_jpeg_score(luma: np.ndarray, luma_table: Sequence[int]) -> DoubleJpegScore:
    """The double-compression statistic of a decoded JPEG's luma (module docstring)."""
    coefficients = block_dct(luma)
    deviations: list[np.ndarray] = []
    for row, column in LOW_FREQUENCIES:
        step = float(luma_table[row * 8 + column])
        values = np.abs(np.rint(coefficients[:, :, row, column] / step)).astype(np.int64).ravel()
        counts = np.bincount(values[(values >= 1) & (values <= MAX_BIN + 1)], minlength=MAX_BIN + 2)
        middle = counts[2:MAX_BIN].astype(float)
        below, above = counts[1:MAX_BIN - 1].astype(float), counts[3:MAX_BIN + 1].astype(float)
        # geometric mean; where a neighbour is empty (a gap of a double compression) the
        # arithmetic one, so that the bin beside a gap is still compared
        expected = np.where(np.minimum(below, above) > 0, np.sqrt(below * above), (below + above) / 2)
        used = expected >= MIN_EXPECTED
        deviations.append((middle[used] - expected[used]) ** 2 / expected[used])
    pooled = np.concatenate(deviations) if deviations else np.zeros(0)
    return DoubleJpegScore(float(pooled.mean()) if pooled.size else 0.0, int(pooled.size))
