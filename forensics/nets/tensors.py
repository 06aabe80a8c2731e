"""Crops to tensors and logits out of a network, shared by the detectors' networks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn


def to_tensor(crops: Sequence[np.ndarray]) -> torch.Tensor:
    """(N of H x W x 3) uint8 crops -> (N, 3, H, W) float32 in [0, 1]."""
    batch = np.ascontiguousarray(np.stack(list(crops)))
    return torch.from_numpy(batch).permute(0, 3, 1, 2).float().div_(255.0)


# float32 kernels differ between CPUs (AVX2 vs AVX-512 summation order) around the 7th
# significant digit; logits rounded to 1e-3 keep a finding's digest the same on every
# machine (a flip needs a value within ~1e-5 of a rounding edge), and 1e-3 in log-odds
# is far below anything the calibration resolves.
LOGIT_DECIMALS = 3


@torch.no_grad()
def predict_logits(model: nn.Module, crops: Sequence[np.ndarray], batch: int = 32) -> np.ndarray:
    """Logits of uint8 crops, in eval mode, on the model's device; float64 (N,), rounded
    to ``LOGIT_DECIMALS``."""
    model.eval()
    dev = next(model.parameters()).device
    out = [model(to_tensor(crops[i : i + batch]).to(dev)).cpu() for i in range(0, len(crops), batch)]
    logits = torch.cat(out).numpy().astype(np.float64) if out else np.zeros(0)
    return np.round(logits, LOGIT_DECIMALS)
