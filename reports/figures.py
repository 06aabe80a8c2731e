"""Figures for finding artifacts: as the method that made them says, else by media type.

A method adds no report code: it turns its own artifact into a figure as data
(``Method.figure``: a line plot with axis titles, or an image, with a caption), and this
module draws it. Artifacts a method does not describe fall back to their media type:
PNG/JPEG are embedded as images, JSON holding numeric series is drawn as a line plot;
anything else is not drawn at all (no placeholder): the appendix lists every artifact by
its SHA-256. A heatmap a method describes with a colour scale is drawn with that scale
and the caveat that it is not a map of tampering.

Plots are drawn for print and grayscale: black and grays, told apart by dash pattern.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reportlab.graphics.shapes import Drawing, Group, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.platypus import Flowable, Paragraph, Table

from forensics.detectors.base import Method
from forensics.model import Artifact
from forensics.model.figures import ColourScale, ImageFigure, LinePlot, Series
from forensics.reports.layout import picture, side_by_side
from forensics.reports.model import ArtifactEntry
from forensics.reports.styles import BODY, STYLES, mono, safe

Renderer = Callable[[ArtifactEntry, float], "Flowable | None"]
"""(artifact, available width in points) -> a figure, or None to let the next renderer try."""

_BY_TYPE: dict[str, Renderer] = {}

MAX_POINTS = 200  # a 480 pt wide print figure needs no more; more only slows rendering
PLOT_HEIGHT = 150.0
MAX_IMAGE_HEIGHT = 180.0
X_KEYS = ("x", "t", "time", "time_s", "seconds", "timestamp", "frame", "frames", "frame_index",
          "frequency", "freq", "radius", "bin", "index")
STROKES: tuple[tuple[colors.Color, tuple[float, ...] | None], ...] = (
    (colors.black, None),
    (colors.Color(0.35, 0.35, 0.35), (4, 2)),
    (colors.Color(0.15, 0.15, 0.15), (1, 1.5)),
    (colors.Color(0.5, 0.5, 0.5), (6, 2, 1, 2)),
)
THRESHOLD_DASH = (2, 2)
AXIS_NAMES = {"time_s": "time (s)", "seconds": "time (s)", "t": "time (s)",
              "frequency_cycles_per_pixel": "frequency (cycles/pixel)"}


def register_figure(media_type: str) -> Callable[[Renderer], Renderer]:
    """Register the generic renderer of a media type (for artifacts no method describes)."""

    def decorate(renderer: Renderer) -> Renderer:
        if media_type in _BY_TYPE:
            raise ValueError(f"a figure renderer for {media_type!r} is already registered")
        _BY_TYPE[media_type] = renderer
        return renderer

    return decorate


@dataclass(frozen=True)
class RenderedFigure:
    """A drawn artifact and what its method says under it (may be empty)."""

    flowable: Flowable
    caption: str = ""


HEATMAP_CAVEAT = ("A heatmap shows where the method's evidence lies in the picture; it is "
                  "not a map of tampering.")


def render_artifact(
    artifact: ArtifactEntry, width: float, method: type[Method[Any]] | None = None
) -> RenderedFigure | None:
    """The figure for one artifact: as its ``method`` draws it, else by media type; None
    when it is not a figure (the appendix lists it by SHA-256). A missing or altered
    artifact is a note saying so: that is a finding about the case's store."""
    if artifact.data is None:
        return RenderedFigure(_note(artifact, f"not shown: {artifact.problem}"))
    if method is not None:
        figure = method.figure(Artifact(artifact.name, artifact.media_type, artifact.data))
        if isinstance(figure, LinePlot) and any(len(s.points) >= 2 for s in figure.series):
            return RenderedFigure(line_plot(figure, width), figure.caption)
        if isinstance(figure, ImageFigure):
            drawn = _image_bytes(figure.data, width)
            if drawn is not None and figure.scale is not None:
                caption = figure.caption if "not a map of tampering" in figure.caption else (
                    f"{figure.caption} {HEATMAP_CAVEAT}".strip())
                return RenderedFigure(_with_scale(drawn, figure.scale, width), caption)
            if drawn is not None:
                return RenderedFigure(drawn, figure.caption)
    renderer = _BY_TYPE.get(artifact.media_type)
    drawn = renderer(artifact, width) if renderer is not None else None
    return None if drawn is None else RenderedFigure(drawn)


def colour_bar(scale: ColourScale, width: float) -> Drawing:
    """A horizontal colour bar with the scale's end labels (what low and high mean)."""
    height, bar_w = 34.0, min(width * 0.6, 260.0)
    drawing = Drawing(width, height)
    left = (width - bar_w) / 2
    steps = 64
    for i in range(steps):
        r, g, b = scale.colour_at(i / (steps - 1))
        drawing.add(Rect(left + i * bar_w / steps, 22, bar_w / steps + 0.3, 9, strokeColor=None,
                         fillColor=colors.Color(r, g, b)))
    drawing.add(Rect(left, 22, bar_w, 9, strokeColor=colors.black, strokeWidth=0.4, fillColor=None))
    text = {"fontName": BODY, "fontSize": 8}
    # one line per end, so that long meanings never overlap
    drawing.add(String(left, 12, f"left end: {scale.low}"[:80], textAnchor="start", **text))
    drawing.add(String(left + bar_w, 2, f"right end: {scale.high}"[:80], textAnchor="end", **text))
    return drawing


def _with_scale(image: Flowable, scale: ColourScale, width: float) -> Flowable:
    table = Table([[image], [colour_bar(scale, width * 0.9)]], colWidths=[width * 0.9])
    table.setStyle([("FONT", (0, 0), (-1, -1), BODY, 8), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)])
    return table


def _note(artifact: ArtifactEntry, text: str) -> Paragraph:
    return Paragraph(f"Artifact <b>{safe(artifact.name)}</b> ({safe(artifact.media_type)}, "
                     f"SHA-256 {mono(artifact.sha256)}): {safe(text)}", STYLES["Caption"])


# -- images -----------------------------------------------------------------------------


def _image_bytes(data: bytes, width: float) -> Flowable | None:
    try:
        return picture(data, width * 0.8, MAX_IMAGE_HEIGHT)
    except (OSError, ValueError):
        return None


def _image(artifact: ArtifactEntry, width: float) -> Flowable | None:
    assert artifact.data is not None
    return _image_bytes(artifact.data, width)


register_figure("image/png")(_image)
register_figure("image/jpeg")(_image)


# -- numeric series ---------------------------------------------------------------------


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _numeric_list(value: Any) -> bool:
    """A list of numbers (None allowed for gaps) with at least two numbers."""
    return (isinstance(value, list) and sum(_number(v) for v in value) >= 2
            and all(v is None or _number(v) for v in value))


def parse_series(value: Any) -> LinePlot | None:
    """Series from common JSON shapes, or None when ``value`` holds no numeric series.

    Shapes: [y...]; [[x, y]...]; [{col: n}...]; {col: [n...], ...} with an optional x
    column (``X_KEYS``), nested one level ({"left": {"ear": [...]}}), optional
    "x_label"/"y_label", and scalar "*threshold*" entries drawn as reference lines.
    """
    if _numeric_list(value):
        return LinePlot((_pair_up("value", range(len(value)), value),), x_label="index")
    if isinstance(value, list) and len(value) >= 2:
        if all(isinstance(v, list) and len(v) == 2 and _number(v[0]) and _number(v[1]) for v in value):
            return LinePlot((Series("value", tuple((float(x), float(y)) for x, y in value)),))
        if all(isinstance(v, dict) for v in value):
            keys = [k for k in value[0] if all(_number(row.get(k)) for row in value)]
            return parse_series({k: [row[k] for row in value] for k in keys})
        return None
    if not isinstance(value, dict):
        return None
    columns: dict[str, list[Any]] = {}
    for key, v in value.items():
        if _numeric_list(v):
            columns[key] = v
        elif isinstance(v, dict):
            columns.update({f"{key}.{k}": c for k, c in v.items() if _numeric_list(c)})
    if not columns:
        return None
    # x: the first column named like an axis ("frame", "time_s", "frequency_cycles_per_pixel")
    x_like = [k for k in columns if _x_rank(k) is not None]
    x_key = min(x_like, key=_x_rank) if x_like else None  # type: ignore[arg-type]
    length = len(columns[x_key]) if x_key else max(len(c) for c in columns.values())
    xs = columns[x_key] if x_key else list(range(length))
    series = tuple(_pair_up(k, xs, c) for k, c in columns.items()
                   if k not in x_like and len(c) == length)
    if not series:
        return None
    thresholds = tuple((k, float(v)) for k, v in value.items()
                       if "threshold" in k.lower() and _number(v))
    return LinePlot(
        series=series,
        x_label=str(value.get("x_label") or AXIS_NAMES.get(x_key or "", x_key) or "index"),
        y_label=str(value.get("y_label") or (series[0].label if len(series) == 1 else "")),
        thresholds=thresholds,
    )


def _x_rank(key: str) -> int | None:
    """Where ``key`` stands in ``X_KEYS`` (as a name or a name prefix), None if not an axis."""
    lowered = key.lower()
    return next((i for i, x in enumerate(X_KEYS) if lowered == x or lowered.startswith(f"{x}_")),
                None)


def _pair_up(label: str, xs: Any, ys: list[Any]) -> Series:
    points = [(float(x), float(y)) for x, y in zip(xs, ys, strict=False) if _number(x) and _number(y)]
    step = max(1, math.ceil(len(points) / MAX_POINTS))
    return Series(label, tuple(points[::step]))


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values (1, 2, 2.5, 5 x 10^k steps) spanning [low, high]."""
    if high <= low:
        low, high = low - 1.0, high + 1.0
    raw = (high - low) / count
    base = 10 ** math.floor(math.log10(raw))
    step = next(base * m for m in (1, 2, 2.5, 5, 10) if base * m >= raw)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(i * step, 12) for i in range(first, last + 1)]


def line_plot(plot: LinePlot, width: float, height: float = PLOT_HEIGHT, *,
              x_lines: tuple[tuple[str, float], ...] = (), diagonal: str = "") -> Drawing:
    """A grayscale line plot with axes, ticks, axis titles and, where needed, a legend.

    ``x_lines``: (label, x) vertical reference lines (a Tippett plot's LR = 1);
    ``diagonal``: the label of a dashed line from corner to corner (a ROC's chance line).
    Drawn with plain shapes: reportlab's LinePlot widget costs ten times as much, which
    a report with hundreds of figures feels.
    """
    references = [f"{n} = {v:g}" for n, v in plot.thresholds] + [n for n, _ in x_lines]
    labels = [s.label for s in plot.series] + references + ([diagonal] if diagonal else [])
    legend_rows = len(labels) if len(plot.series) > 1 or len(labels) > 1 else 0
    drawing = Drawing(width, height + 11 * legend_rows)
    left, bottom = 48.0, 28.0
    plot_w, plot_h = width - left - 12, height - bottom - 12
    xs = [x for s in plot.series for x, _ in s.points] + [x for _, x in x_lines]
    ys = [y for s in plot.series for _, y in s.points] + [v for _, v in plot.thresholds]
    x_ticks, y_ticks = nice_ticks(min(xs), max(xs)), nice_ticks(min(ys), max(ys))
    x0, x1, y0, y1 = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * plot_w

    def py(y: float) -> float:
        return bottom + (y - y0) / (y1 - y0) * plot_h

    axis = {"strokeColor": colors.black, "strokeWidth": 0.5}
    text = {"fontName": BODY, "fontSize": 8}
    drawing.add(Line(left, bottom, left + plot_w, bottom, **axis))
    drawing.add(Line(left, bottom, left, bottom + plot_h, **axis))
    for x in x_ticks:
        drawing.add(Line(px(x), bottom, px(x), bottom - 3, **axis))
        drawing.add(String(px(x), bottom - 11, _tick(x), textAnchor="middle", **text))
    for y in y_ticks:
        drawing.add(Line(left, py(y), left - 3, py(y), **axis))
        drawing.add(String(left - 5, py(y) - 2, _tick(y), textAnchor="end", **text))
    for i, series in enumerate(plot.series):
        colour, dash = STROKES[i % len(STROKES)]
        points = [c for x, y in series.points for c in (px(x), py(y))]
        drawing.add(PolyLine(points, strokeColor=colour, strokeWidth=1.0, strokeDashArray=dash))
    for _, level in plot.thresholds:
        drawing.add(Line(left, py(level), left + plot_w, py(level), strokeColor=colors.black,
                         strokeWidth=0.6, strokeDashArray=THRESHOLD_DASH))
    for _, at in x_lines:
        drawing.add(Line(px(at), bottom, px(at), bottom + plot_h, strokeColor=colors.black,
                         strokeWidth=0.6, strokeDashArray=THRESHOLD_DASH))
    if diagonal:  # the chance line of a ROC curve
        drawing.add(Line(px(x0), py(y0), px(x1), py(y1), strokeColor=colors.Color(0.45, 0.45, 0.45),
                         strokeWidth=0.6, strokeDashArray=THRESHOLD_DASH))
    drawing.add(String(left + plot_w / 2, 2, plot.x_label[:80], textAnchor="middle",
                       fontName=BODY, fontSize=8))
    y_title = Group(String(0, 0, plot.y_label[:60], textAnchor="middle", fontName=BODY,
                           fontSize=8))
    y_title.transform = (0, 1, -1, 0, 8, bottom + plot_h / 2)  # rotated 90 degrees
    drawing.add(y_title)
    for row, label in enumerate(labels[:legend_rows]):
        y = height + 11 * (legend_rows - row) - 6
        colour, dash = (STROKES[row % len(STROKES)] if row < len(plot.series)
                        else (colors.black, THRESHOLD_DASH))
        drawing.add(Line(left, y + 2, left + 22, y + 2, strokeColor=colour, strokeWidth=1,
                         strokeDashArray=dash))
        drawing.add(String(left + 28, y, label[:90], fontName=BODY, fontSize=8))
    return drawing


def _tick(value: float) -> str:
    return f"{value:.3g}"


def _json_plot(artifact: ArtifactEntry, width: float) -> Flowable | None:
    assert artifact.data is not None
    try:
        plot = parse_series(json.loads(artifact.data.decode("utf-8")))
    except (UnicodeDecodeError, ValueError):
        return None
    return None if plot is None else line_plot(plot, width)


register_figure("application/json")(_json_plot)


# -- validation plots -------------------------------------------------------------------


def validation_figures(plots: Mapping[str, Any], width: float) -> Flowable | None:
    """ROC curve and Tippett plot of a validation record side by side (None when absent)."""
    half = width / 2 - 4
    drawn: list[Flowable] = []
    roc = plots.get("roc") or {}
    if _numeric_list(roc.get("fpr")) and _numeric_list(roc.get("tpr")):
        drawn.append(line_plot(LinePlot((_pair_up("ROC", roc["fpr"], roc["tpr"]),),
                                          "false positive rate", "true positive rate"), half,
                               diagonal="chance (AUC 0.5)"))
    tippett = plots.get("tippett") or {}
    series = tuple(_tippett(label, tippett[key]) for key, label in
                   (("real", "authentic"), ("fake", "manipulated")) if _numeric_list(tippett.get(key)))
    if series:
        drawn.append(line_plot(LinePlot(series, "log10 LR", "proportion of LRs >= x"), half,
                               x_lines=(("LR = 1 (log10 LR = 0)", 0.0),)))
    if not drawn:
        return None
    return side_by_side(drawn, [half + 4] * len(drawn))


def _tippett(label: str, values: list[float]) -> Series:
    """Proportion of a class's log10 LRs at or above each value (a Tippett curve)."""
    ordered = sorted(v for v in values if _number(v))
    n = len(ordered)
    return _pair_up(label, ordered, [(n - i) / n for i in range(n)])
