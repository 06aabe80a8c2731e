"""Grad-CAM (Selvaraju et al. 2017): where in the face the logit's evidence comes from.

The gradient of the "manipulated" logit with respect to the last convolution block's
activation, averaged over space, weights each channel; the positive part of the
weighted sum is the heatmap, scaled to [0, 1] and laid over the face crop.
"""

from __future__ import annotations

import io
from typing import Protocol

import numpy as np
import torch
from PIL import Image


class CamNetwork(Protocol):
    """A network with one logit per input and the layer whose activation Grad-CAM weighs."""

    @property
    def cam_layer(self) -> torch.nn.Module: ...

    def __call__(self, x: torch.Tensor) -> torch.Tensor: ...

    def zero_grad(self, set_to_none: bool = True) -> None: ...


_ALPHA = 0.45  # heatmap opacity over the face


def gradcam(model: CamNetwork, x: torch.Tensor) -> tuple[float, np.ndarray]:
    """The logit and an (H, W) heatmap in [0, 1] for one (1, 3, H, W) input.

    The model must be in eval mode (batch norm and dropout fixed).
    """
    store: dict[str, torch.Tensor] = {}

    def keep(_module: torch.nn.Module, _inputs: object, output: torch.Tensor) -> None:
        output.retain_grad()
        store["activation"] = output

    handle = model.cam_layer.register_forward_hook(keep)
    try:
        with torch.enable_grad():
            logit = model(x.detach().requires_grad_(False))[0]
            logit.backward()
    finally:
        handle.remove()
    activation = store["activation"]
    grad = activation.grad
    if grad is None:  # pragma: no cover - the hook always sees the layer on forward
        raise RuntimeError("Grad-CAM: the target layer received no gradient")
    weights = grad.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((weights * activation).sum(dim=1))[0].detach()
    model.zero_grad(set_to_none=True)
    top = float(cam.max())
    cam = cam / top if top > 0 else cam
    size = (x.shape[3], x.shape[2])
    up = Image.fromarray(cam.numpy().astype(np.float32), mode="F").resize(size, Image.Resampling.BILINEAR)
    return float(logit.detach()), np.clip(np.asarray(up, dtype=np.float64), 0.0, 1.0)


def _jet(values: np.ndarray) -> np.ndarray:
    """The classic blue-cyan-yellow-red colour map, (H, W) [0, 1] -> (H, W, 3) uint8."""
    v = np.clip(values, 0.0, 1.0)[..., None]
    rgb = np.clip(1.5 - np.abs(4.0 * v - np.array([3.0, 2.0, 1.0])), 0.0, 1.0)
    return np.rint(rgb * 255.0).astype(np.uint8)


def overlay_png(face: np.ndarray, heatmap: np.ndarray) -> bytes:
    """PNG bytes: the face crop and, beside it, the crop with the heatmap laid over it."""
    blend = (1.0 - _ALPHA) * face.astype(np.float64) + _ALPHA * _jet(heatmap).astype(np.float64)
    side_by_side = np.concatenate([face, np.rint(blend).astype(np.uint8)], axis=1)
    buffer = io.BytesIO()
    Image.fromarray(side_by_side).save(buffer, "PNG", optimize=False)  # no timestamp chunk
    return buffer.getvalue()
