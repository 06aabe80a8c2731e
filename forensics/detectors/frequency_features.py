"""Spectrum maths of the frequency detector (pure numpy, no I/O).

Three measurements of a grayscale image, made on up to ``MAX_GRID`` x ``MAX_GRID``
central square tiles of a fixed side (their log spectra averaged, Welch-style):

- the azimuthally averaged power spectrum of Durall et al. (CVPR 2020, "Watch your
  up-convolution"): 2-D FFT, 20*log10|F|, mean over one-pixel-wide radius bins (indices
  precomputed once per size), resampled to a fixed number of bins on the normalised
  frequency axis 0..0.65 cycles/pixel, normalised to zero mean and unit spread;
- the periodic peaks that up-sampling leaves (the "checkerboard" fingerprint, Odena et
  al. 2016; Zhang et al. 2019): a 2x up-sampling layer repeats the spectrum around
  1/2 cycles/pixel, two and three layers around multiples of 1/4 and 1/8, so the log
  power there stands out from its neighbours. JPEG's 8x8 block grid also puts peaks on
  multiples of 1/8, but its block edges are horizontal and vertical lines, whose energy
  lies on the frequency axes; a 2-D up-sampling layer also lights the cells off the axes.
  Peaks are therefore measured per period, on and off the axes;
- the period-2 alternation of the noise residual's energy (cyclic frequency 1/2
  cycles/pixel, Gardner's spectral correlation): a 2x up-sampling layer whose even and
  odd output pixels are made differently (interpolation that keeps the input samples,
  transposed or learned convolutions) makes them differ in how much fine detail they
  carry, along x, along y or as a checkerboard (pure pixel replication is symmetric
  within each pair and leaves none). The residual (a Laplacian high-pass, which removes
  the scene) is averaged per phase (row and column parity) in blocks of
  ``ALTERNATION_BLOCK`` pixels, and the three signed alternations are tested against
  zero across blocks (Student t), combined as T = sqrt(t_x^2 + t_y^2 + t_d^2). Without
  a period-2 structure T follows a chi distribution with 3 degrees of freedom (median
  1.54), whatever the content.
  JPEG cannot fake it: the 8x8 DCT basis is symmetric about each block's centre, so the
  compression error's energy per phase is too, and a pattern symmetric about 3.5 has no
  period-2 component (sum of (-1)^n x_n vanishes when x_n = x_(7-n)); the same holds
  for the 4x4 transforms of video codecs. On real JPEG faces (FFHQ, CelebA, UTKFace) T
  stays at its null (median 1.5-1.7), on StyleGAN2 JPEGs it reaches a median of 6.5.
  Demosaicing also interpolates on a period-2 grid, so full-resolution camera originals
  can show it too (see the detector's limitations).

Log spectra (not powers) are averaged over tiles, so every measure has the same
expectation whatever the number of tiles: image size changes only its noise.
Frequencies are in cycles per pixel, so spectra of different sides share one axis.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

MIN_SIDE = 64  # below this, a spectrum has too few radius bins to say anything
MAX_GRID = 2  # at most 2 x 2 tiles: enough to halve the noise, cheap on large images
PERIODS = (2, 4, 8)  # up-sampling factors whose peaks are measured
PEAK_KEYS = tuple(f"p{p}_{where}" for p in PERIODS for where in ("axis", "off_axis"))
PEAK_CLIP_DB = (-3.0, 12.0)  # bounds each peak feature: one periodic texture must not dominate
ALTERNATION_BLOCK = 32  # pixels per block side for the period-2 test (at most a quarter tile)
ALTERNATION_FEATURE = "alternation_p2"  #: log(1 + T), the classifier's name for it
_LAPLACIAN = np.array([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]])
_EPS = 1e-8  # keeps log10 finite on a flat (all-constant) input
_REAL_CELL_DB = float(10.0 * np.log10(2.0))
# Top of the profile, cycles/pixel: the corner of the spectrum is at 0.707, but beyond
# 0.65 a one-pixel radius bin holds too few cells (a single one at the corner) to average.
_MAX_RADIUS = 0.65


@dataclass(frozen=True)
class Alternation:
    """The period-2 test: Student t of each signed alternation across blocks."""

    t_x: float  #: even vs odd columns
    t_y: float  #: even vs odd rows
    t_checkerboard: float  #: (even, even) + (odd, odd) vs the other two phases
    blocks: int  #: number of blocks tested

    @property
    def statistic(self) -> float:
        """T = sqrt(t_x^2 + t_y^2 + t_checkerboard^2); chi(3) without period-2 structure."""
        return float(np.sqrt(self.t_x**2 + self.t_y**2 + self.t_checkerboard**2))

    @property
    def p_value(self) -> float:
        """Chance of a T at least this large in an image without period-2 structure."""
        from scipy.stats import chi2  # SciPy only when measuring: the CLI starts fast

        return float(chi2.sf(self.statistic**2, 3))


@dataclass(frozen=True)
class Spectrum:
    """What the detector measures on one image."""

    side: int  #: side of the analysed square tiles, pixels
    tiles: int  #: number of tiles whose log spectra were averaged
    frequency: np.ndarray  #: bin centres, cycles/pixel, shape (n_bins,)
    power_db: np.ndarray  #: azimuthal mean of 20*log10|F| per bin (orthonormal FFT)
    profile: np.ndarray  #: power_db normalised to zero mean and unit standard deviation
    peaks_db: dict[str, float]  #: PEAK_KEYS -> mean prominence (dB) of those spectral peaks
    alternation: Alternation  #: period-2 structure of the residual's energy

    def features(self) -> dict[str, float]:
        """Every candidate classifier input by name: profile bins, clipped peaks, T."""
        out = {f"profile_{i}": float(v) for i, v in enumerate(self.profile)}
        lo, hi = PEAK_CLIP_DB
        out.update({f"peak_{k}": min(max(self.peaks_db[k], lo), hi) for k in PEAK_KEYS})
        out[ALTERNATION_FEATURE] = float(np.log1p(self.alternation.statistic))
        return out


def feature_names(n_bins: int, *, with_profile: bool) -> list[str]:
    """Names of the classifier inputs: the peaks and T, preceded by the profile if asked."""
    profile = [f"profile_{i}" for i in range(n_bins)] if with_profile else []
    return profile + [f"peak_{k}" for k in PEAK_KEYS] + [ALTERNATION_FEATURE]


def feature_vector(spectrum: Spectrum, names: list[str] | tuple[str, ...]) -> np.ndarray:
    """The named features of ``spectrum`` in the given order."""
    table = spectrum.features()
    return np.array([table[n] for n in names], dtype=np.float64)


def central_tiles(gray: np.ndarray, side: int) -> list[np.ndarray]:
    """Up to MAX_GRID x MAX_GRID adjacent ``side`` squares around the image centre.

    An image smaller than ``side`` gives one central square, its side cut to a multiple
    of 8 so that every period's peaks fall on whole FFT cells. A fixed tile side keeps
    the classifier from learning image size; cropping rather than resizing keeps the
    up-sampling peaks where they are (resizing would move them).
    """
    h, w = gray.shape
    s = min(side, h, w) // 8 * 8
    if s == 0:
        return [gray[:0, :0]]
    rows, cols = min(MAX_GRID, h // s), min(MAX_GRID, w // s)
    top, left = (h - rows * s) // 2, (w - cols * s) // 2
    return [
        gray[top + r * s : top + (r + 1) * s, left + c * s : left + (c + 1) * s]
        for r in range(rows)
        for c in range(cols)
    ]


@functools.lru_cache(maxsize=8)
def _geometry(side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hann window, radius bin of each (shifted) FFT cell, bin counts, bin frequencies."""
    hann = np.hanning(side + 2)[1:-1]  # no zero weight at the border
    window = np.outer(hann, hann)
    k = np.arange(side) - side // 2
    radius = np.sqrt(k[:, None] ** 2 + k[None, :] ** 2)
    bins = np.rint(radius).astype(np.intp).ravel()
    counts = np.bincount(bins)
    freq = np.arange(counts.size) / side
    return window, bins, counts, freq


def log_spectrum(gray: np.ndarray) -> np.ndarray:
    """20*log10|F| of a square, centred (DC in the middle), orthonormal FFT, Hann window.

    The mean is removed and a Hann window applied so that the image border does not
    paint a cross on the axes, where the up-sampling peaks also lie. The emptied DC cell
    takes the mean of its eight neighbours, so that it does not drag down local means.
    """
    side = gray.shape[0]
    window = _geometry(side)[0]
    x = gray.astype(np.float64)
    x = (x - x.mean()) * window
    f = np.fft.fftshift(np.fft.fft2(x, norm="ortho"))
    spec = 20.0 * np.log10(np.abs(f) + _EPS)
    c = side // 2
    around = spec[c - 1 : c + 2, c - 1 : c + 2]
    spec[c, c] = (around.sum() - spec[c, c]) / 8.0
    return spec


def radial_profile(spec_db: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Azimuthal mean of a centred log spectrum, resampled to ``n_bins`` frequencies.

    Returns (frequency, mean dB); the DC bin is left out (it holds the removed mean).
    """
    side = spec_db.shape[0]
    _, bins, counts, freq = _geometry(side)
    mean = np.bincount(bins, weights=spec_db.ravel()) / counts
    grid = np.linspace(0.0, _MAX_RADIUS, n_bins + 1)[1:]
    return grid, np.interp(grid, freq[1:], mean[1:])


def prominence_map(spec_db: np.ndarray) -> np.ndarray:
    """dB by which the 3x3 block around each cell exceeds the ring 2-3 cells around it.

    A tone's power spreads over +-1 cell under the Hann window, so the block holds the
    peak and the ring (7x7 box less 3x3 box) its background; averaging 9 cells rather
    than reading one cuts the noise of a single periodogram cell. Box means come from
    ``uniform_filter`` (O(N) for all cells), with wrap-around: the spectrum is periodic.
    """
    from scipy import ndimage

    box7 = ndimage.uniform_filter(spec_db, size=7, mode="wrap")
    box3 = ndimage.uniform_filter(spec_db, size=3, mode="wrap")
    prom = box3 - (box7 * 49.0 - box3 * 9.0) / 40.0
    # The four cells with both frequencies 0 or 1/2 hold real (not complex) values, whose
    # log magnitude runs 10*log10(2) dB lower on noise: lift their share of the block.
    half = spec_db.shape[0] // 2
    for r in (0, half):
        for c in (0, half):
            prom[r, c] += _REAL_CELL_DB / 9.0
    return prom


@functools.lru_cache(maxsize=8)
def _peak_cells(side: int, period: int, off_axis: bool) -> tuple[np.ndarray, np.ndarray]:
    """Centred-spectrum cells at multiples of 1/period that are not multiples of 2/period,
    either on the frequency axes (one coordinate 0) or off them."""
    step = side // period
    idx = np.arange(period)
    grid_r, grid_c = np.meshgrid(idx, idx, indexing="ij")
    own = (grid_r % 2 == 1) | (grid_c % 2 == 1) if period > 2 else (grid_r + grid_c) > 0
    on_axis = (grid_r == 0) | (grid_c == 0)
    keep = own & (~on_axis if off_axis else on_axis)
    rows = (grid_r[keep] * step + side // 2) % side
    cols = (grid_c[keep] * step + side // 2) % side
    return rows, cols


def peak_measures(spec_db: np.ndarray) -> dict[str, float]:
    """Mean prominence (dB over the surrounding ring) of each period's own peaks,
    on and off the axes; 0 dB is what noise gives. The side must be a multiple of 8."""
    side = spec_db.shape[0]
    if side % max(PERIODS):
        raise ValueError(f"spectrum side {side} is not a multiple of {max(PERIODS)}")
    prom = prominence_map(spec_db)
    peaks = {}
    for period in PERIODS:
        for where in ("axis", "off_axis"):
            cells = _peak_cells(side, period, where == "off_axis")
            peaks[f"p{period}_{where}"] = float(np.mean(prom[cells]))
    return peaks


def _residual(tile: np.ndarray) -> np.ndarray:
    """|Laplacian| of a tile, less a 2-pixel frame: at the border the filter would read
    mirrored pixels, which treats the first row and column unlike the rest (a false
    alternation); an even frame keeps each pixel's parity."""
    from scipy import ndimage

    residual = ndimage.convolve(tile.astype(np.float64), _LAPLACIAN, mode="reflect")
    return np.abs(residual[2:-2, 2:-2])


def _phase_means(tile: np.ndarray, block: int) -> np.ndarray:
    """Mean |Laplacian residual| per (row parity, column parity) in each block of a tile,
    relative to the block's mean: shape (blocks, 2, 2). Flat blocks are left out."""
    residual = _residual(tile)
    rows, cols = residual.shape[0] // block, residual.shape[1] // block
    half = block // 2
    cells = residual[: rows * block, : cols * block].reshape(rows, half, 2, cols, half, 2)
    means = cells.mean(axis=(1, 4)).transpose(0, 2, 1, 3).reshape(-1, 2, 2)
    level = means.mean(axis=(1, 2))
    keep = level > _EPS
    return means[keep] / level[keep, None, None]


def alternation_test(tiles: list[np.ndarray]) -> Alternation:
    """The period-2 test over the blocks of ``tiles`` (equal squares whose offsets differ
    by multiples of 2, so that their pixel parities agree)."""
    block = min(ALTERNATION_BLOCK, (tiles[0].shape[0] - 4) // 4 // 2 * 2)
    means = np.concatenate([_phase_means(t, block) for t in tiles])
    x = (means[:, :, 0] - means[:, :, 1]).mean(axis=1) / 2.0
    y = (means[:, 0, :] - means[:, 1, :]).mean(axis=1) / 2.0
    d = (means[:, 0, 0] + means[:, 1, 1] - means[:, 0, 1] - means[:, 1, 0]) / 4.0

    def t(values: np.ndarray) -> float:
        spread = values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else 0.0
        return float(values.mean() / spread) if spread > 0 else 0.0

    return Alternation(t_x=t(x), t_y=t(y), t_checkerboard=t(d), blocks=int(x.size))


def analyse(gray: np.ndarray, *, side: int, n_bins: int) -> Spectrum:
    """Measure the central tiles of a grayscale image (2-D array, any numeric type)."""
    if gray.ndim != 2:
        raise ValueError(f"expected a 2-D grayscale array, got shape {gray.shape}")
    tiles = central_tiles(gray, side)
    if tiles[0].shape[0] < MIN_SIDE:
        raise ValueError(f"image smaller than {MIN_SIDE}x{MIN_SIDE} pixels")
    spec_db = np.mean([log_spectrum(t) for t in tiles], axis=0)
    freq, power_db = radial_profile(spec_db, n_bins)
    spread = float(power_db.std())
    profile = (power_db - power_db.mean()) / (spread if spread > 0 else 1.0)
    return Spectrum(
        side=tiles[0].shape[0],
        tiles=len(tiles),
        frequency=freq,
        power_db=power_db,
        profile=profile,
        peaks_db=peak_measures(spec_db),
        alternation=alternation_test(tiles),
    )
