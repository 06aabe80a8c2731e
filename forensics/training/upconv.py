"""Small up-convolution decoders, briefly trained, that simulate a generator's last layers.

Zhang, Karaman & Chang ("Detecting and simulating artifacts in GAN fake images", WIFS
2019) showed that the spectral fingerprint of GAN images comes from the decoder's
up-sampling layers, not from the particular GAN, and that an auto-encoder with the same
kind of decoder ("AutoGAN") produces it on real photographs. This module does the same
with tiny super-resolution decoders: a photograph is down-sampled by 2, 4 or 8 (the
"latent" grid) and a decoder of that many 2x up-sampling stages, each a transposed
convolution, nearest + convolution or bilinear + convolution followed by a
LeakyReLU and a convolution, rebuilds it. Each decoder is trained for a few hundred steps
(L1 loss) on random patches of the training photographs, so that its output looks like
the photograph, while its up-sampling layers leave their periodic traces. Snapshots taken
early and late in training give weaker and stronger traces.

Everything is seeded and runs on one CPU thread with deterministic algorithms, so the
same seed and library versions give the same decoders (and the same parameter file).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

KINDS = ("transposed", "nearest", "bilinear")  #: up-sampling layer types


@dataclass(frozen=True)
class DecoderSpec:
    """One decoder architecture and how long it is trained."""

    kind: str  #: one of KINDS
    stages: int  #: number of 2x up-sampling stages (1, 2 or 3)
    width: int = 24  #: feature channels
    steps: int = 240  #: training steps (batches)
    snapshots: tuple[int, ...] = (40, 240)  #: steps after which a copy is kept


@contextmanager
def _torch_deterministic(seed: int) -> Iterator[Any]:  # yields the torch module
    import torch

    threads = torch.get_num_threads()
    flag = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)
    try:
        yield torch
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(flag)


def build_decoder(spec: DecoderSpec) -> Any:  # a torch.nn.Module (torch imported late)
    """The decoder: head conv, ``stages`` x (2x up-sampling, LeakyReLU, conv, LeakyReLU), tail."""
    import torch
    from torch import nn

    w = spec.width
    layers: list[nn.Module] = [nn.Conv2d(3, w, 3, padding=1), nn.LeakyReLU(0.2)]
    for _ in range(spec.stages):
        if spec.kind == "transposed":
            layers.append(nn.ConvTranspose2d(w, w, 4, stride=2, padding=1))
        elif spec.kind in ("nearest", "bilinear"):
            layers.append(nn.Upsample(scale_factor=2, mode=spec.kind))
            layers.append(nn.Conv2d(w, w, 3, padding=1))
        else:
            raise ValueError(f"unknown up-sampling kind {spec.kind!r}")
        layers += [nn.LeakyReLU(0.2), nn.Conv2d(w, w, 3, padding=1), nn.LeakyReLU(0.2)]
    layers.append(nn.Conv2d(w, 3, 3, padding=1))
    net = nn.Sequential(*layers)
    return net.to(torch.float32)


def _downsample(torch: Any, x: Any, factor: int) -> Any:
    """Anti-aliased down-sampling (area average) of an N x 3 x H x W batch."""
    return torch.nn.functional.avg_pool2d(x, factor) if factor > 1 else x


def train_decoders(
    specs: Sequence[DecoderSpec],
    photos: Sequence[np.ndarray],
    seed: int,
    patch: int = 64,
    batch: int = 8,
) -> list[tuple[DecoderSpec, int, dict]]:
    """Train each spec on random ``patch`` squares of ``photos`` (RGB uint8).

    Returns (spec, step, state_dict) for every snapshot, in a fixed order.
    """
    out = []
    for k, spec in enumerate(specs):
        rng = np.random.default_rng([seed, k])
        with _torch_deterministic(seed * 1000 + k) as torch:
            net = build_decoder(spec)
            opt = torch.optim.Adam(net.parameters(), lr=2e-3)
            factor = 2**spec.stages
            for step in range(1, spec.steps + 1):
                crops = []
                for _ in range(batch):
                    photo = photos[int(rng.integers(len(photos)))]
                    top = int(rng.integers(0, photo.shape[0] - patch + 1))
                    left = int(rng.integers(0, photo.shape[1] - patch + 1))
                    crops.append(photo[top : top + patch, left : left + patch])
                target = torch.from_numpy(np.stack(crops).astype(np.float32) / 127.5 - 1.0)
                target = target.permute(0, 3, 1, 2).contiguous()
                pred = net(_downsample(torch, target, factor))
                loss = (pred - target).abs().mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                if step in spec.snapshots:
                    state = {n: t.detach().clone() for n, t in net.state_dict().items()}
                    out.append((spec, step, state))
    return out


class DecoderSimulator:
    """A set of trained decoders; each call rebuilds a crop with one of them, drawn at random."""

    def __init__(self, snapshots: Sequence[tuple[DecoderSpec, int, dict]]):
        if not snapshots:
            raise ValueError("no decoders to simulate with")
        self.nets = []
        with _torch_deterministic(0):
            for spec, _step, state in snapshots:
                net = build_decoder(spec)
                net.load_state_dict(state)
                net.eval()
                self.nets.append((spec, net))
        self.digest = weights_digest(snapshots)

    def __call__(self, rng: np.random.Generator, rgb: np.ndarray) -> np.ndarray:
        """Down-sample ``rgb`` (H x W x 3, 0..255, sides multiples of 8) and rebuild it."""
        spec, net = self.nets[int(rng.integers(len(self.nets)))]
        with _torch_deterministic(0) as torch:
            x = torch.from_numpy(np.ascontiguousarray(rgb, dtype=np.float32) / 127.5 - 1.0)
            x = x.permute(2, 0, 1)[None]
            with torch.no_grad():
                y = net(_downsample(torch, x, 2**spec.stages))
            out = y[0].permute(1, 2, 0).numpy().astype(np.float64)
        return np.clip((out + 1.0) * 127.5, 0.0, 255.0)


def weights_digest(snapshots: Sequence[tuple[DecoderSpec, int, dict]]) -> str:
    """SHA-256 over every snapshot's tensors (names, shapes, float32 bytes), in order."""
    h = hashlib.sha256()
    for spec, step, state in snapshots:
        h.update(f"{spec.kind}/{spec.stages}/{spec.width}/{step}".encode())
        for name in sorted(state):
            t = state[name].detach().cpu().contiguous()
            h.update(f"{name}{tuple(t.shape)}".encode())
            h.update(t.numpy().tobytes())
    return h.hexdigest()


def default_specs(steps: int = 240, width: int = 24) -> list[DecoderSpec]:
    """Every kind at 1, 2 and 3 stages (nine decoders, two snapshots each: after a sixth
    of the steps, when the up-sampling traces are strong, and at the end)."""
    snaps = tuple(sorted({max(1, steps // 6), steps}))
    return [
        DecoderSpec(kind, stages, width=width, steps=steps, snapshots=snaps)
        for stages in (1, 2, 3)
        for kind in KINDS
    ]
