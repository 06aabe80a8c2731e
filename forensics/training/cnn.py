"""Training the CNN detector (Meso-4 over aligned face crops) and writing its model card.

Deterministic: one seed drives the weight initialisation, dropout, the shuffling and the
augmentation (``numpy.random.default_rng([seed, epoch])``); the thread count is fixed
and torch's deterministic algorithms are on. The same data, command, library versions
and device give the same weight bytes (a GPU gives different, equally reproducible ones).

The held-out (test) part of the data is never shown to training and nothing is chosen
on it: the number of epochs and every other setting are fixed in ``TrainConfig``.
"""

from __future__ import annotations

import functools
import hashlib
import io
import platform
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from forensics.nets.meso import (
    ARCHITECTURE,
    Meso4,
    parameter_count,
    predict_logits,
    to_tensor,
)
from forensics.training.cnn_data import (
    Augmentation,
    FaceSample,
    Source,
    augment,
    extract_faces,
    listing_digest,
    read_sources,
    split,
)
from forensics.training.frequency import params_bytes
from forensics.validation.metrics import bootstrap_auc

CARD_FORMAT = "forensics.cnn-model-card/1"
WEIGHTS_SUFFIX = ".pt"
CARD_SUFFIX = ".card.json"


@dataclass(frozen=True)
class TrainConfig:
    """Every setting that decides the weights (stored in the model card)."""

    seed: int = 20261126
    epochs: int = 40  #: chosen on a 20% group split of the training part, never on the test
    batch_size: int = 32
    learning_rate: float = 1e-3  #: Adam, cosine decay to zero over the epochs
    weight_decay: float = 1e-4
    dropout: float = 0.5
    crop_size: int = 256  #: aligned face crop side (the network's input)
    frames_per_video: int = 32  #: sampled frames per video (the detector's default too)
    test_share: float = 0.25  #: share of each stratum's groups held out for testing
    hold_out: tuple[str, ...] = ()  #: groups always held out (e.g. "ffpp-519")
    threads: int = 1  #: torch CPU threads (fixed: results depend on it)
    max_steps: int | None = None  #: stop after this many optimiser steps (smoke tests)
    augmentation: Augmentation = field(default_factory=Augmentation)


@dataclass
class TrainResult:
    """What a run produced: the weights and the model card (without file digests)."""

    state_dict: dict[str, torch.Tensor]
    card: dict[str, Any]


def _versions() -> dict[str, str]:
    names = ("torch", "numpy", "pillow", "mediapipe", "av", "scipy")
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = dist_version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def device() -> torch.device:
    """CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _progress(enabled: bool) -> Progress | nullcontext[None]:
    if not enabled:
        return nullcontext()
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"), TimeRemainingColumn(),
        console=Console(stderr=True), transient=False,
    )  # fmt: skip


# -- scoring and metrics ------------------------------------------------------------


def _auc(scores: Sequence[float], labels: Sequence[int]) -> dict[str, Any]:
    labels = list(labels)
    n = {"n_real": labels.count(0), "n_fake": labels.count(1)}
    if not n["n_real"] or not n["n_fake"]:
        return {**n, "auc": None, "note": "one class is missing: no AUC"}
    ci = bootstrap_auc(list(scores), list(labels))
    return {**n, "auc": ci.estimate, "ci95": [ci.low, ci.high]}


def held_out_metrics(
    sources: Sequence[Source], samples: Sequence[FaceSample], scores: np.ndarray
) -> dict[str, Any]:
    """AUC with 95% bootstrap intervals: images, video frames, clips, all faces.

    Clip score: the mean of the clip's per-frame logits (the detector's rule).
    """
    image = [(s, sources[f.source].label) for f, s in zip(samples, scores, strict=False) if f.frame_index is None]
    frame = [(s, sources[f.source].label) for f, s in zip(samples, scores, strict=False) if f.frame_index is not None]
    clips: dict[int, list[float]] = {}
    for f, s in zip(samples, scores, strict=False):
        if f.frame_index is not None:
            clips.setdefault(f.source, []).append(float(s))
    clip = [(float(np.mean(v)), sources[k].label) for k, v in sorted(clips.items())]
    every = [(s, sources[f.source].label) for f, s in zip(samples, scores, strict=False)]
    result = {}
    for name, pairs in (("images", image), ("video_frames", frame), ("clips", clip), ("all_faces", every)):
        result[name] = _auc([p[0] for p in pairs], [p[1] for p in pairs]) if pairs else None
    result["clip_scores"] = {sources[k].rel: float(np.mean(v)) for k, v in sorted(clips.items())}
    return result


# -- training --------------------------------------------------------------------------


def _fit(
    model: Meso4,
    crops: Sequence[np.ndarray],
    labels: np.ndarray,
    config: TrainConfig,
    bar: Progress | None,
) -> tuple[list[float], int]:
    """Adam on class-balanced BCE over augmented crops; returns the loss per epoch and
    the number of optimiser steps."""
    dev = next(model.parameters()).device
    opt = torch.optim.Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    steps_per_epoch = -(-len(crops) // config.batch_size)
    total = steps_per_epoch * config.epochs
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + np.cos(np.pi * s / total)))
    # each class weighs half of the loss, whatever its count
    class_weight = torch.tensor([0.5 / max(1, (labels == c).sum()) for c in (0, 1)], dtype=torch.float32)
    task = bar.add_task("training", total=total, info="") if bar else None
    history: list[float] = []
    step = 0
    for epoch in range(config.epochs):
        rng = np.random.default_rng([config.seed, epoch])
        order = rng.permutation(len(crops))
        model.train()
        epoch_loss = 0.0
        for start in range(0, len(order), config.batch_size):
            if step >= total:
                break
            idx = order[start : start + config.batch_size]
            x = to_tensor([augment(rng, crops[i], config.augmentation) for i in idx]).to(dev)
            y = torch.from_numpy(labels[idx].astype(np.float32)).to(dev)
            w = class_weight[labels[idx]].to(dev)
            loss = (torch.nn.functional.binary_cross_entropy_with_logits(model(x), y, reduction="none") * w).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            epoch_loss += loss.item()
            if bar and task is not None:
                bar.update(task, advance=1, info=f"epoch {epoch + 1}/{config.epochs}")
        history.append(epoch_loss)  # class-balanced mean BCE over the epoch
        if step >= total:
            break
    return history, step


def train(
    manifests: Sequence[Path] = (),
    real: Path | None = None,
    fake: Path | None = None,
    config: TrainConfig = TrainConfig(),
    *,
    command: str = "",
    progress: bool = True,
    say: Callable[[str], None] = lambda _m: None,
) -> TrainResult:
    """Read the sources, split them by group, extract faces, train, test on the held-out part."""
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    dev = device()
    sources, inputs = read_sources(manifests, real, fake)
    if not sources:
        raise ValueError("no image or video files were found among the inputs")
    train_idx, test_idx = split(sources, config.hold_out, config.test_share)
    say(f"{len(sources)} files: {len(train_idx)} for training, {len(test_idx)} held out")
    with _progress(progress) as bar:
        task = bar.add_task("face crops", total=len(sources), info="") if bar else None
        tick = (lambda _i: bar.update(task, advance=1)) if bar and task is not None else None
        extract = functools.partial(extract_faces, size=config.crop_size,
                                    frames_per_video=config.frames_per_video, on_source=tick)
        train_faces, train_missing = extract(sources, train_idx)
        test_faces, test_missing = extract(sources, test_idx)
        labels = np.array([sources[f.source].label for f in train_faces], dtype=np.int64)
        if len(set(labels.tolist())) < 2:
            raise ValueError("training needs face crops of both classes")
        model = Meso4(config.crop_size, config.dropout).to(dev)
        started = time.perf_counter()
        history, steps = _fit(model, [f.pixels for f in train_faces], labels, config, bar)
        seconds = time.perf_counter() - started
    model.eval().cpu()
    scores = predict_logits(model, [f.pixels for f in test_faces])
    metrics = held_out_metrics(sources, test_faces, scores) if test_faces else {}

    def counts(idx: Sequence[int], faces: Sequence[FaceSample]) -> dict[str, Any]:
        per = {"real": 0, "fake": 0}
        for i in idx:
            per["fake" if sources[i].label else "real"] += 1
        crops = {"real": 0, "fake": 0}
        for f in faces:
            crops["fake" if sources[f.source].label else "real"] += 1
        videos = sum(1 for i in idx if sources[i].kind == "video")
        return {"files": per, "videos": videos, "face_crops": crops, "listing_digest": listing_digest(sources, idx)}

    card = {
        "format": CARD_FORMAT,
        "architecture": {
            "name": ARCHITECTURE,
            "reference": "Afchar et al., MesoNet: a compact facial video forgery detection network, WIFS 2018",
            "module": "forensics.nets.meso.Meso4",
            "input": f"{config.crop_size}x{config.crop_size} RGB aligned face crop, [0, 1]",
            "output": "one logit; positive supports 'manipulated'",
            "parameters": parameter_count(model),
        },
        "data": {
            "inputs": inputs,
            "identity_groups": "forensics.training.cnn_data module docstring",
            "split": f"by identity group; held out: {list(config.hold_out)} and "
                     f"round({config.test_share} * n) groups of each stratum by SHA-256 order",
            "train": counts(train_idx, train_faces),
            "test": counts(test_idx, test_faces),
            "left_out": {"train": train_missing, "test": test_missing},
            "held_out_files": [{"path": sources[i].rel, "label": "fake" if sources[i].label else "real",
                                "group": sources[i].group} for i in test_idx],
        },
        "hyperparameters": asdict(config),
        "training": {
            "epochs": len(history),
            "steps": steps,
            "loss_per_epoch": history,
            "seconds": round(seconds, 1),
            "device": str(dev) if dev.type == "cpu" else torch.cuda.get_device_name(dev),
            "threads": config.threads,
        },
        "held_out_metrics": metrics,
        "versions": _versions(),
        "reproduce": command,
    }
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    return TrainResult(state, card)


def weights_bytes(state_dict: dict[str, torch.Tensor]) -> bytes:
    """The weights file's bytes (torch's zip format; read back with weights_only=True)."""
    buffer = io.BytesIO()
    torch.save(state_dict, buffer)
    return buffer.getvalue()


def write_outputs(result: TrainResult, out_dir: Path, name: str = "cnn") -> dict[str, str]:
    """Write ``<name>.pt`` and ``<name>.card.json``; returns their paths and SHA-256."""
    out_dir.mkdir(parents=True, exist_ok=True)
    weights = weights_bytes(result.state_dict)
    weights_sha = hashlib.sha256(weights).hexdigest()
    card = {**result.card, "weights_file": name + WEIGHTS_SUFFIX, "weights_sha256": weights_sha}
    card_data = params_bytes(card)
    weights_path, card_path = out_dir / (name + WEIGHTS_SUFFIX), out_dir / (name + CARD_SUFFIX)
    weights_path.write_bytes(weights)
    card_path.write_bytes(card_data)
    return {
        "weights": str(weights_path),
        "weights_sha256": weights_sha,
        "card": str(card_path),
        "card_sha256": hashlib.sha256(card_data).hexdigest(),
    }
