"""Figures come from the artifact data: series shapes, images, notes for the rest."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from reportlab.graphics.shapes import Drawing
from reportlab.platypus import Image as PdfImage
from reportlab.platypus import Paragraph, Table

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


def test_artifacts_render_as_their_method_says_then_by_type_then_as_a_note():
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
    unknown = render_artifact(_artifact("summary", "application/json", b'{"a": "b"}'), 400)
    assert isinstance(unknown.flowable, Paragraph) and "not drawn" in unknown.flowable.text
    missing = render_artifact(_artifact("x", "image/png", None, "artifact file is missing"), 400)
    assert "missing" in missing.flowable.text
    with pytest.raises(ValueError, match="already registered"):
        register_figure("image/png")(lambda a, w: None)


def _texts(drawing: Drawing) -> list[str]:
    return [getattr(c, "text", "") for c in drawing.contents] + [
        getattr(g, "text", "") for c in drawing.contents for g in getattr(c, "contents", [])]


def test_validation_plots():
    plots = {"roc": {"fpr": [0, 0.1, 1], "tpr": [0, 0.8, 1]},
             "tippett": {"real": [-2, -1, 0.5], "fake": [-0.5, 1, 2, 3]}}
    assert isinstance(validation_figures(plots, 480), Table)
    assert validation_figures({}, 480) is None


@pytest.mark.parametrize("verdict, log10_lr, expected", [
    ("supports_manipulation", 2.5, "moderately strong support for manipulation (log10 LR = +2.50)"),
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
