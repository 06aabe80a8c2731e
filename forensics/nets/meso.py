"""Meso-4 (Afchar, Nozick, Yamagishi, Echizen 2018, "MesoNet: a compact facial video
forgery detection network"), re-implemented in PyTorch.

Four convolution blocks (3x3x8, 5x5x8, 5x5x16, 5x5x16; batch norm, ReLU, max pooling
2, 2, 2, 4) read mesoscopic texture of the face; two dense layers (16, 1) with dropout
give one logit: positive means "manipulated". About 28 thousand parameters for a
256 x 256 input, small enough to train on a laptop CPU.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

INPUT_SIZE = 256  #: side of the square RGB face crop the network reads
ARCHITECTURE = "Meso-4"


def _block(c_in: int, c_out: int, kernel: int, pool: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=False),  # Grad-CAM hooks read this activation: keep it out-of-place
        nn.MaxPool2d(pool),
    )


class Meso4(nn.Module):
    """Meso-4: (N, 3, 256, 256) float RGB in [0, 1] -> (N,) logits of "manipulated"."""

    def __init__(self, input_size: int = INPUT_SIZE, dropout: float = 0.5) -> None:
        super().__init__()
        if input_size % 32:
            raise ValueError("the input side must be a multiple of 32 (pooling 2*2*2*4)")
        self.input_size = input_size
        self.features = nn.Sequential(
            _block(3, 8, 3, 2),
            _block(8, 8, 5, 2),
            _block(8, 16, 5, 2),
            _block(16, 16, 5, 4),
        )
        flat = 16 * (input_size // 32) ** 2
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(flat, 16),
            nn.LeakyReLU(0.1),
            nn.Dropout(dropout),
            nn.Linear(16, 1),
        )

    @property
    def cam_layer(self) -> nn.Module:
        """The last convolution block's activation (before pooling): Grad-CAM's target."""
        last_block = self.features[-1]
        assert isinstance(last_block, nn.Sequential)
        return last_block[2]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # centre the [0, 1] input as the original's rescaling did (1/255, then batch norm)
        return self.head(self.features(x * 2.0 - 1.0)).squeeze(1)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


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
