"""Figures as data: what a detector says should be drawn from one of its artifacts.

A detector turns its own artifact into one of these (``Detector.figure``); the report
draws them without knowing the detector. Plain values only, so detectors need no
drawing library and the report needs no detector code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Series:
    """One line: (x, y) points in drawing order."""

    label: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class LinePlot:
    """Line series with axis titles and horizontal reference levels."""

    series: tuple[Series, ...]
    x_label: str = ""
    y_label: str = ""
    thresholds: tuple[tuple[str, float], ...] = ()  #: (label, y level) drawn dashed
    caption: str = ""  #: what the figure shows and how (not) to read it


@dataclass(frozen=True)
class ColourScale:
    """The colour map of a heatmap, drawn beside it as a colour bar."""

    stops: tuple[tuple[float, float, float], ...]  #: RGB in [0, 1], evenly spaced from 0 to 1
    low: str  #: what value 0 means, e.g. "no contribution"
    high: str  #: what value 1 means

    def colour_at(self, value: float) -> tuple[float, float, float]:
        """The colour at ``value`` in [0, 1], interpolated between the stops."""
        position = min(max(value, 0.0), 1.0) * (len(self.stops) - 1)
        index = min(int(position), len(self.stops) - 2)
        frac = position - index
        a, b = self.stops[index], self.stops[index + 1]
        return (a[0] + (b[0] - a[0]) * frac, a[1] + (b[1] - a[1]) * frac, a[2] + (b[2] - a[2]) * frac)


@dataclass(frozen=True)
class ImageFigure:
    """A raster image (PNG or JPEG bytes) shown as it is."""

    data: bytes
    caption: str = ""  #: e.g. what a heatmap does not show
    scale: ColourScale | None = None  #: a heatmap's colour map, drawn as a colour bar


Figure = LinePlot | ImageFigure
