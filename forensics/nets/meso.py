"""Meso-4 (Afchar, Nozick, Yamagishi, Echizen 2018, "MesoNet: a compact facial video
forgery detection network"), re-implemented in PyTorch.

Four convolution blocks (3x3x8, 5x5x8, 5x5x16, 5x5x16; batch norm, ReLU, max pooling
2, 2, 2, 4) read mesoscopic texture of the face; two dense layers (16, 1) with dropout
give one logit: positive means "manipulated". About 28 thousand parameters for a
256 x 256 input, small enough to train on a laptop CPU.
"""

from __future__ import annotations

import torch
from torch import nn

from forensics.nets.tensors import LOGIT_DECIMALS, predict_logits, to_tensor

INPUT_SIZE = 256  #: side of the square RGB face crop the network reads
ARCHITECTURE = "Meso-4"

__all__ = ["ARCHITECTURE", "INPUT_SIZE", "LOGIT_DECIMALS", "Meso4", "parameter_count", "predict_logits",
           "to_tensor"]


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
