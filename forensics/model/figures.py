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
class ImageFigure:
    """A raster image (PNG or JPEG bytes) shown as it is."""

    data: bytes
    caption: str = ""  #: e.g. a heatmap's colour scale and what it does not show


Figure = LinePlot | ImageFigure
