"""What the detectors that run a network over aligned faces (cnn, faceforgery) share:
Grad-CAM heatmap artifacts of chosen faces, and their figures in the report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from forensics.media.crops import Crop
from forensics.model import Artifact
from forensics.model.figures import ColourScale, ImageFigure, LinePlot, Series

if TYPE_CHECKING:  # torch loads only when a heatmap is drawn
    from forensics.nets.gradcam import CamNetwork


def heatmap_artifacts(
    net: CamNetwork, faces: Sequence[Crop], logits: np.ndarray, candidates: Sequence[int],
    count: int, name: str,
) -> tuple[list[Artifact], list[dict[str, Any]]]:
    """Grad-CAM PNGs of the ``count`` highest-scoring faces among ``candidates`` (ties: the
    earlier frame first), and their references for the finding's details."""
    from forensics.nets.gradcam import gradcam, overlay_png
    from forensics.nets.tensors import to_tensor

    top = sorted(candidates, key=lambda i: (-logits[i], i))[:count]
    artifacts, refs = [], []
    for i in top:
        pixels = faces[i].pixels
        assert pixels is not None
        _, heat = gradcam(net, to_tensor([pixels]))
        art = Artifact(name, "image/png", overlay_png(pixels, heat))
        artifacts.append(art)
        refs.append({"frame_index": faces[i].frame_index, "time_s": faces[i].time_s,
                     "logit": float(logits[i]), "sha256": art.sha256})
    return artifacts, refs


# The colour map of ``forensics.nets.gradcam`` (blue-cyan-yellow-red) at 9 points, so
# the report draws its colour bar without loading torch; a test keeps the two equal.
JET_STOPS = tuple(
    tuple(min(max(1.5 - abs(4.0 * (i / 8) - c), 0.0), 1.0) for c in (3.0, 2.0, 1.0))
    for i in range(9)
)


def heatmap_figure(data: bytes, logit_meaning: str) -> ImageFigure:
    """A heatmap artifact with its colour scale and the caveat a court must read."""
    scale = ColourScale(JET_STOPS, "no contribution",  # type: ignore[arg-type]
                        f"largest contribution to the '{logit_meaning}' logit")
    return ImageFigure(data, scale=scale, caption=(
        "Left: the aligned face; right: Grad-CAM, from blue (no contribution) through green and "
        f"yellow to red (largest contribution to the '{logit_meaning}' logit). A heatmap shows "
        "where the network's evidence lies, not a map of tampering."))


def logit_timeline(data: bytes, y_label: str, caption: str,
                   thresholds: tuple[tuple[str, float], ...]) -> LinePlot:
    """Per-frame logits (JSON artifact with "frames": index, time_s, logit) over time."""
    body = json.loads(data)
    points = tuple((f["time_s"] if f["time_s"] is not None else f["index"], f["logit"])
                   for f in body["frames"] if f["logit"] is not None)
    return LinePlot((Series("logit", points),), x_label="time (s)", y_label=y_label,
                    thresholds=thresholds, caption=caption)
