"""Figures come from the artifact data: series shapes, images, notes for the rest."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image
from reportlab.graphics.shapes import Drawing, Line
from reportlab.platypus import Image as PdfImage
from reportlab.platypus import Table

from forensics.detectors.cnn import GRADCAM_ARTIFACT, CnnDetector
from forensics.detectors.face_network import JET_STOPS
from forensics.detectors.frequency import FrequencyDetector
from forensics.model import Finding, Verdict, verbal_scale
from forensics.reports.figures import (
    parse_series,
    register_figure,
    render_artifact,
    validation_figures,
)
from forensics.reports.model import ArtifactEntry, FindingEntry


def _artifact(name: str, media_type: str, data: bytes | None, problem: str = "") -> ArtifactEntry:
    return ArtifactEntry(name, media_type, "ab" * 32, data, problem)


@pytest.mark.parametrize("value, labels, x_label", [
    ([0.3, 0.31, 0.1, 0.29], ["value"], "index"),
    ([[0, 1.0], [1, 2.0], [2, 0.5]], ["value"], ""),
    ({"frequency": [0.0, 0.1, 0.2], "power_db": [-1, -2, -4]}, ["power_db"], "frequency"),
    ({"time_s": [0, 1, 2], "score": [0.1, 0.9, 0.4], "note": "x"}, ["score"], "time (s)"),
    ({"frame": [0, 1, 2], "time_s": [0, 0.04, 0.08], "ear": [0.3, None, 0.1], "baseline": [0.3] * 3,
      "unscorable": [None, "no_face", None], "events": [{"start_frame": 1}]},
     ["ear", "baseline"], "time (s)"),
    ({"frequency_cycles_per_pixel": [0.1, 0.2], "power_db": [3, 1], "tile_side": 256},
     ["power_db"], "frequency (cycles/pixel)"),
    ({"left": {"ear": [0.3, None, 0.1]}, "right": {"ear": [0.3, 0.2, 0.3]}}, ["left.ear", "right.ear"], "index"),
    ([{"frame": 0, "ear": 0.3}, {"frame": 1, "ear": 0.1}], ["ear"], "frame"),
])
def test_series_shapes(value, labels, x_label):
    plot = parse_series(value)
    assert plot is not None and [s.label for s in plot.series] == labels
    assert plot.x_label == x_label
    assert all(len(s.points) >= 2 for s in plot.series)


def test_thresholds_and_unplottable_values():
    plot = parse_series({"ear": [0.3, 0.1, 0.3], "blink_threshold": 0.2})
    assert plot.thresholds == (("blink_threshold", 0.2),)
    for value in ({"a": "b"}, [1], "text", {"x": [1, 2], "y": [1]}, [["a", 1], ["b", 2]]):
        assert parse_series(value) is None, value


def test_artifacts_render_as_their_method_says_then_by_type_or_not_at_all():
    png = io.BytesIO()
    Image.new("L", (40, 20), 90).save(png, "PNG")
    shown = render_artifact(_artifact("heatmap", "image/png", png.getvalue()), 400)
    assert isinstance(shown.flowable, PdfImage)
    spectrum = json.dumps({"frequency_cycles_per_pixel": [0, 0.1, 0.2], "power_db": [0, -3, -9],
                           "tile_side": 256, "spectra_averaged": 1}).encode()
    artifact = _artifact("radial_spectrum", "application/json", spectrum)
    # the frequency method draws its own spectrum: axis titles and a caption from it
    drawn = render_artifact(artifact, 400, FrequencyDetector)
    assert isinstance(drawn.flowable, Drawing) and "Radial power spectrum" in drawn.caption
    assert "spatial frequency (cycles/pixel)" in _texts(drawn.flowable)
    # without its method the same data is still drawn, from the JSON alone
    generic = render_artifact(artifact, 400)
    assert isinstance(generic.flowable, Drawing) and generic.caption == ""
    assert "spatial frequency (cycles/pixel)" not in _texts(generic.flowable)
    # data that is no figure is left out (no placeholder); the appendix lists it
    assert render_artifact(_artifact("summary", "application/json", b'{"a": "b"}'), 400) is None
    missing = render_artifact(_artifact("x", "image/png", None, "artifact file is missing"), 400)
    assert "missing" in missing.flowable.text
    with pytest.raises(ValueError, match="already registered"):
        register_figure("image/png")(lambda a, w: None)


def _texts(drawing: Drawing) -> list[str]:
    return [getattr(c, "text", "") for c in drawing.contents] + [
        getattr(g, "text", "") for c in drawing.contents for g in getattr(c, "contents", [])]


def _lines(drawing: Drawing) -> list[tuple[float, float, float, float, object]]:
    return [(c.x1, c.y1, c.x2, c.y2, c.strokeDashArray) for c in drawing.contents if isinstance(c, Line)]


def test_validation_plots_carry_the_chance_diagonal_and_the_lr_1_line():
    plots = {"roc": {"fpr": [0, 0.1, 1], "tpr": [0, 0.8, 1]},
             "tippett": {"real": [-2, -1, 0.5], "fake": [-0.5, 1, 2, 3]}}
    table = validation_figures(plots, 480)
    assert isinstance(table, Table)
    roc, tippett = table._cellvalues[0]
    # the ROC's dashed chance line runs from its (0, 0) corner to its (1, 1) corner
    axes = _lines(roc)[0]
    assert any(line[:2] == axes[:2] and line[4] for line in _lines(roc) if line[2] > line[0] and line[3] > line[1])
    assert "chance (AUC 0.5)" in _texts(roc)
    # the Tippett plot's dashed vertical line at log10 LR = 0 (x from -2 to 3)
    verticals = [line for line in _lines(tippett) if line[0] == line[2] and line[4]]
    assert len(verticals) == 1 and "LR = 1 (log10 LR = 0)" in _texts(tippett)
    x_axis = _lines(tippett)[0]
    assert abs((verticals[0][0] - x_axis[0]) / (x_axis[2] - x_axis[0]) - 2 / 5) < 1e-6
    assert validation_figures({}, 480) is None


def test_a_heatmap_is_drawn_with_its_colour_scale_and_the_caveat():
    png = io.BytesIO()
    Image.new("RGB", (64, 32), (0, 0, 255)).save(png, "PNG")
    artifact = _artifact(GRADCAM_ARTIFACT, "image/png", png.getvalue())
    drawn = render_artifact(artifact, 400, CnnDetector)
    assert isinstance(drawn.flowable, Table)  # the image above its colour bar
    bar = drawn.flowable._cellvalues[1][0]
    assert isinstance(bar, Drawing) and "left end: no contribution" in _texts(bar)
    assert "not a map of tampering" in drawn.caption
    # the bar's colours are those the heatmaps are painted with (nets.gradcam)
    from forensics.nets.gradcam import _jet
    values = np.linspace(0, 1, len(JET_STOPS))
    assert np.allclose(_jet(values) / 255.0, np.array(JET_STOPS), atol=1 / 255)


@pytest.mark.parametrize("verdict, log10_lr, expected", [
    ("supports_manipulation", 2.5,
     "moderately strong support for manipulation (LR about 320, log10 LR = +2.5)"),
    ("supports_authenticity", -1.2, "moderate support for authenticity (LR about 1/16, log10 LR = -1.2)"),
    ("inconclusive", None, "inconclusive: why"),
    ("not_validated", None, "not validated: why"),
    ("error", None, "could not be analysed: why"),
    ("supports_manipulation", None, "supports manipulation, not validated (no likelihood ratio): why"),
])
def test_conclusions_in_words(verdict, log10_lr, expected):
    made = Finding(
        evidence_sha256="s", detector="x", detector_version="1", config_digest="c",
        weights_digest=None, score=None, log10_lr=log10_lr,
        verbal=None if log10_lr is None else verbal_scale(log10_lr), verdict=Verdict(verdict),
        reason="why")
    finding = FindingEntry(made, digest=made.digest, evidence_label="E1", artifacts=(), record={})
    assert finding.conclusion == expected
