"""Training the face-forgery detector on self-blended images of real faces only.

EfficientNet-Lite0, started from its pinned ImageNet weights, is fine-tuned to tell
aligned real faces from self-blended versions of the same faces (``sbi``): each batch
holds real faces and their blends, both degraded alike (JPEG, resizing, blur, flips) so
that compression cannot tell them apart. No fake from any generator is shown to it.

Data: the real faces of the given manifests (images, and ``frames_per_video`` frames of
each video), split by identity group (``cnn_data.split``): a held-out part never reaches
training; its faces and their blends give the held-out AUC in the model card and the
files of the validation set (``write_validation_set``) that calibrates the detector.

Deterministic as the CNN's training: one seed drives initialisation, shuffling, blending
and augmentation; fixed threads; torch's deterministic algorithms.
"""

from __future__ import annotations

import csv
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from forensics.detectors.faceforgery import CROP_LAYOUT, CROP_SIZE
from forensics.errors import EvidenceError
from forensics.media.faces import face_alignment
from forensics.media.item import ItemMedia, StillFaces, VideoNeeds
from forensics.model import EvidenceInput
from forensics.nets.efficientnet import (
    ARCHITECTURE,
    BACKBONE_FILE,
    BACKBONE_LICENCE,
    BACKBONE_PACKAGE,
    BACKBONE_SHA256,
    FaceForgeryNet,
    pretrained,
)
from forensics.nets.tensors import predict_logits, to_tensor
from forensics.training.cnn import TrainResult, _progress, _versions, device
from forensics.training.cnn_data import Augmentation, Source, augment, listing_digest, read_sources, split
from forensics.training.sbi import BlendParams, self_blend
from forensics.validation.metrics import bootstrap_auc

CARD_FORMAT = "forensics.faceforgery-model-card/1"


@dataclass(frozen=True)
class FaceForgeryTrainConfig:
    """Every setting that decides the weights (stored in the model card)."""

    seed: int = 20261202
    epochs: int = 10
    reals_per_batch: int = 8  #: each batch: these real faces and their blends
    learning_rate: float = 3e-4  #: AdamW, cosine decay to zero over the steps
    weight_decay: float = 1e-4
    frames_per_video: int = 12  #: frames taken from each real video
    test_share: float = 0.3  #: share of each stratum's identity groups held out
    threads: int = 2  #: torch CPU threads (fixed: results depend on it)
    max_steps: int | None = None  #: stop after this many optimiser steps (smoke tests)
    #: negatives of each batch (the ablation of issue 12): "sbi" self-blends of its real faces
    #: (the method; the default), "shared" as many fake faces of the manifests
    #: (``shared_fakes``), "both" the two together
    fakes: str = "sbi"
    blend: BlendParams = field(default_factory=BlendParams)
    augmentation: Augmentation = field(default_factory=lambda: Augmentation(jpeg_quality=(40, 95)))


@dataclass(frozen=True)
class Face:
    """One aligned real face and its landmarks in crop pixels."""

    source: int  #: index into the source list
    frame_index: int | None
    pixels: np.ndarray  #: CROP_SIZE x CROP_SIZE x 3 uint8
    points: np.ndarray  #: (478, 2) landmarks in crop pixels


def _align(rgb: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    alignment = face_alignment(landmarks, CROP_SIZE, **CROP_LAYOUT)
    return alignment.crop(rgb), alignment.to_crop(landmarks).astype(np.float32)


def real_faces(
    sources: Sequence[Source], indices: Sequence[int], frames_per_video: int,
    on_source: Callable[[int], None] | None = None,
) -> tuple[list[Face], list[str]]:
    """Aligned faces of the chosen real sources, as the detector crops them, and the
    sources that gave none (with why)."""
    faces: list[Face] = []
    missing: list[str] = []
    with StillFaces() as search:
        for i in indices:
            source = sources[i]
            evidence = EvidenceInput(source.path, "", f"{source.kind}/*", source.rel)
            media = ItemMedia(evidence, [VideoNeeds(samples=frames_per_video, faces=True)], search)
            found: list[tuple[int | None, np.ndarray, np.ndarray | None]]
            try:
                if source.kind == "video":
                    found = [(f.index, f.pixels, f.landmarks) for f in media.video().sampled(frames_per_video)]
                else:
                    found = [(None, media.image("RGB").pixels, media.image_face())]
            except EvidenceError as exc:
                missing.append(f"{source.rel}: {exc.reason}")
                found = []
            kept = [(index, *_align(rgb, points)) for index, rgb, points in found if points is not None]
            if found and not kept:
                missing.append(f"{source.rel}: no face found")
            faces += [Face(i, index, pixels, points) for index, pixels, points in kept]
            if on_source is not None:
                on_source(i)
    return faces, missing


def blended_pairs(faces: Sequence[Face], rng: np.random.Generator,
                  params: BlendParams) -> list[tuple[np.ndarray, int]]:
    """Each face (label 0) and a self-blended version of it (label 1)."""
    out: list[tuple[np.ndarray, int]] = []
    for face in faces:
        blended, _ = self_blend(face.pixels, face.points, rng, params)
        out += [(face.pixels, 0), (blended, 1)]
    return out


def _fit(net: FaceForgeryNet, faces: Sequence[Face], config: FaceForgeryTrainConfig,
         bar: Any, shared: Sequence[Face] = ()) -> tuple[list[float], int]:
    """AdamW on BCE over batches of real faces and their blends, degraded alike."""
    dev = next(net.parameters()).device
    opt = torch.optim.AdamW(net.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    per = config.reals_per_batch
    total = -(-len(faces) // per) * config.epochs
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + np.cos(np.pi * s / total)))
    task = bar.add_task("training", total=total, info="") if bar else None
    history: list[float] = []
    step = 0
    for epoch in range(config.epochs):
        rng = np.random.default_rng([config.seed, epoch])
        order = rng.permutation(len(faces))
        net.train()
        epoch_loss = 0.0
        for start in range(0, len(order), per):
            if step >= total:
                break
            batch = [faces[i] for i in order[start:start + per]]
            pairs = blended_pairs(batch, rng, config.blend) if config.fakes != "shared" else [
                (f.pixels, 0) for f in batch]
            if config.fakes != "sbi":
                pairs += [(shared[int(k)].pixels, 1) for k in rng.integers(0, len(shared), len(batch))]
            x = to_tensor([augment(rng, pixels, config.augmentation) for pixels, _ in pairs]).to(dev)
            y = torch.tensor([label for _, label in pairs], dtype=torch.float32, device=dev)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            epoch_loss += loss.item() / max(1, -(-len(order) // per))
            if bar and task is not None:
                bar.update(task, advance=1, info=f"epoch {epoch + 1}/{config.epochs} loss {loss.item():.3f}")
        history.append(round(epoch_loss, 6))
        if step >= total:
            break
    return history, step


def held_out_pairs(faces: Sequence[Face], config: FaceForgeryTrainConfig) -> list[tuple[np.ndarray, int, int]]:
    """The held-out faces and one blend of each, degraded alike: (pixels, label, source)."""
    rng = np.random.default_rng([config.seed, 10_000])
    out = []
    for face in faces:
        blended, _ = self_blend(face.pixels, face.points, rng, config.blend)
        state = rng.bit_generator.state  # the real face and its blend get the same degradation
        real = augment(rng, face.pixels, config.augmentation)
        rng.bit_generator.state = state
        fake = augment(rng, blended, config.augmentation)
        out += [(real, 0, face.source), (fake, 1, face.source)]
    return out


def source_licences(manifests: Sequence[Path], paths: set[str]) -> list[dict[str, Any]]:
    """The licence column of the manifest rows whose files were used, with counts and the
    folders they came from, for the model card."""
    counts: dict[tuple[str, str], dict[str, Any]] = {}
    for manifest in manifests:
        with manifest.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row.get("local_path") in paths:
                    key = (manifest.name, row.get("license", "not stated"))
                    entry = counts.setdefault(key, {"manifest": key[0], "licence": key[1], "files": 0,
                                                    "sources": set()})
                    entry["files"] += 1
                    entry["sources"].add(row.get("source_repo") or row.get("generator_or_source", ""))
    return [{**e, "sources": sorted(e["sources"])} for _, e in sorted(counts.items())]


FAKES = ("sbi", "shared", "both")


def shared_fakes(sources: Sequence[Source], config: FaceForgeryTrainConfig) -> tuple[list[Source], list[int]]:
    """For the "shared" and "both" ablations: the generated face images of the manifests
    (``face_images/``: GAN faces; the face-swap videos and images stay for evaluation)
    and the indices of their training side (split by identity group as the reals)."""
    if config.fakes == "sbi":
        return [], []
    fakes = [s for s in sources if s.label == 1 and s.kind == "image" and s.rel.startswith("face_images/")]
    if not fakes:
        raise ValueError("the manifests hold no fake face image for the shared-fakes ablation")
    return fakes, split(fakes, (), config.test_share)[0]


def train(
    manifests: Sequence[Path],
    config: FaceForgeryTrainConfig = FaceForgeryTrainConfig(),
    *,
    command: str = "",
    progress: bool = True,
    say: Callable[[str], None] = lambda _m: None,
    backbone: Path | None = None,
) -> tuple[TrainResult, list[tuple[np.ndarray, int, int]], list[Source]]:
    """Train on the manifests' real faces; returns the result, the held-out pairs (for the
    validation set) and the sources."""
    if config.fakes not in FAKES:
        raise ValueError(f"unknown negatives {config.fakes!r}; known: {', '.join(FAKES)}")
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    torch.use_deterministic_algorithms(True)
    dev = device()
    sources_all, inputs = read_sources(manifests)
    sources = [s for s in sources_all if s.label == 0]  # real faces only: no fake is used
    if not sources:
        raise ValueError("no real image or video was found in the manifests")
    train_idx, test_idx = split(sources, (), config.test_share)
    say(f"{len(sources)} real files: {len(train_idx)} for training, {len(test_idx)} held out")
    with _progress(progress) as bar:
        task = bar.add_task("face crops", total=len(sources), info="") if bar else None
        tick = (lambda _i: bar.update(task, advance=1)) if bar and task is not None else None
        extract = functools.partial(real_faces, frames_per_video=config.frames_per_video, on_source=tick)
        train_faces, train_missing = extract(sources, train_idx)
        test_faces, test_missing = extract(sources, test_idx)
        fakes, fake_idx = shared_fakes(sources_all, config)
        shared, _ = real_faces(fakes, fake_idx, config.frames_per_video) if fake_idx else ([], [])
        if config.fakes != "sbi":
            if not shared:
                raise ValueError("no face was found in the shared fake face images")
            say(f"ablation '{config.fakes}': {len(shared)} shared fake faces in training")
        net = pretrained(backbone).to(dev)
        started = time.perf_counter()
        history, steps = _fit(net, train_faces, config, bar, shared)
        seconds = time.perf_counter() - started
    net.eval().cpu()
    pairs = held_out_pairs(test_faces, config)
    scores = predict_logits(net, [p for p, _, _ in pairs])
    labels = [label for _, label, _ in pairs]
    auc = bootstrap_auc(list(scores), labels) if pairs else None
    card = {
        "format": CARD_FORMAT,
        "architecture": {
            "name": ARCHITECTURE,
            "reference": "Tan and Le, EfficientNet, ICML 2019; Lite variants (no squeeze-excitation, ReLU6)",
            "module": "forensics.nets.efficientnet.FaceForgeryNet (efficientnet-lite-pytorch==0.1.0, Apache-2.0)",
            "input": f"{CROP_SIZE}x{CROP_SIZE} RGB face aligned by the eyes ({CROP_LAYOUT}), [0, 1]",
            "output": "one logit; positive supports 'blended or manipulated face'",
            "parameters": sum(p.numel() for p in net.parameters()),
        },
        "backbone": {"package": BACKBONE_PACKAGE, "file": BACKBONE_FILE, "sha256": BACKBONE_SHA256,
                     "licence": BACKBONE_LICENCE, "trained_on": "ImageNet-1k (Google's release)"},
        "method": {"sbi": "self-blended images (Shiohara and Yamasaki, CVPR 2022), forensics.training.sbi; "
                           "no fake from any generator is used",
                   "shared": "ablation: real faces against the shared fake faces, no self-blends",
                   "both": "ablation: real faces against their self-blends and the shared fake faces"}[config.fakes],
        "data": {
            "inputs": inputs,
            "used": "real faces only (label real); fakes in the manifests are ignored",
            "split": f"by identity group: round({config.test_share} * n) groups of each stratum by "
                     "SHA-256 order held out",
            "train": {"files": len(train_idx), "faces": len(train_faces),
                      "listing_digest": listing_digest(sources, train_idx)},
            "test": {"files": len(test_idx), "faces": len(test_faces),
                     "listing_digest": listing_digest(sources, test_idx)},
            "left_out": {"train": train_missing, "test": test_missing},
            "held_out_files": [{"path": sources[i].rel, "group": sources[i].group} for i in test_idx],
            "licences_of_training_files": source_licences(manifests, {sources[i].rel for i in train_idx}),
        },
        "hyperparameters": asdict(config),
        "training": {"epochs": len(history), "steps": steps, "loss_per_epoch": history,
                     "seconds": round(seconds, 1),
                     "device": str(dev) if dev.type == "cpu" else torch.cuda.get_device_name(dev),
                     "threads": config.threads},
        "held_out_metrics": {
            "data": "held-out real faces vs one self-blend of each, degraded alike",
            "n_real": labels.count(0), "n_fake": labels.count(1),
            "auc": None if auc is None else auc.estimate,
            "ci95": None if auc is None else [auc.low, auc.high],
        },
        "versions": _versions(),
        "reproduce": command,
    }
    state = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    return TrainResult(state, card), pairs, sources


def write_validation_set(pairs: Sequence[tuple[np.ndarray, int, int]], sources: Sequence[Source],
                         folder: Path) -> Path:
    """The held-out faces and their blends as PNG files with a manifest (label, group), for
    ``forensics validate faceforgery --manifest``; returns the manifest's path."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for n, (pixels, label, source) in enumerate(pairs):
        kind = "fake" if label else "real"
        path = folder / kind / f"{n // 2:05d}.png"
        path.parent.mkdir(exist_ok=True)
        Image.fromarray(pixels).save(path, "PNG", optimize=False)
        rows.append({"label": kind, "path": str(path.relative_to(folder)), "group": sources[source].group,
                     "source": sources[source].rel})
    manifest = folder / "manifest.tsv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["label", "path", "group", "source"], delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)
    return manifest
