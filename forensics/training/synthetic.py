"""Training the generated-image detector's head on frozen CLIP features.

Data (``synthetic_data``): the labelled images of the manifests, split by identity group
within each family (``test_share`` of each family's groups held out, by SHA-256 order of
the group name, so the split depends on neither file order nor the machine). The
held-out files never reach training: they are the validation set that calibrates the
detector (``write_validation_set``) and give the held-out AUC of the model card.

Training rows: each training image as given and ``augmented_views`` random degradations
of it (both classes alike), and, when ``rebuilt_fakes``, each training real rebuilt by
the frequency detector's up-convolution decoders as an extra fake. Head: L2-penalised
logistic regression on standardised features (``frequency.fit_logistic``: L-BFGS,
deterministic). The same files, options and library versions give the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from forensics.canonical import canonical_bytes
from forensics.detectors.synthetic import FEATURE_SETS, PARAMS_FORMAT, head_input
from forensics.errors import EvidenceError
from forensics.nets import clip
from forensics.training import synthetic_data as data
from forensics.training.frequency import fit_logistic
from forensics.validation.metrics import bootstrap_auc

CARD_FORMAT = "forensics.synthetic-model-card/1"


@dataclass(frozen=True)
class SyntheticTrainConfig:
    """Every setting that decides the head (stored in the parameter file)."""

    seed: int = 20261202
    feature_set: str = "clip-blocks"  #: one of detectors.synthetic.FEATURE_SETS
    l2: float = 100.0  #: ridge penalty on the standardised weights
    augmented_views: int = 2  #: random degradations of each training image
    rebuilt_fakes: bool = True  #: add decoder-rebuilt reals as fakes
    test_share: float = 0.3  #: share of each family's identity groups held out
    threads: int = 2  #: CLIP inference threads
    augmentation: data.ViewAugmentation = field(default_factory=data.ViewAugmentation)


def split(sources: Sequence[data.ImageSource], share: float) -> tuple[list[int], list[int]]:
    """Indices (train, held out): per family, the first round(share * n) groups by the
    SHA-256 of their name are held out; a group never straddles the split."""
    by_family: dict[str, set[str]] = {}
    for s in sources:
        by_family.setdefault(s.family, set()).add(s.group)
    held: set[str] = set()
    for groups in by_family.values():
        order = sorted(groups, key=lambda g: hashlib.sha256(g.encode("utf-8")).hexdigest())
        held.update(order[: round(share * len(order))])
    test = [i for i, s in enumerate(sources) if s.group in held]
    train = [i for i, s in enumerate(sources) if s.group not in held]
    return train, test


def _listing(sources: Sequence[data.ImageSource], indices: Sequence[int]) -> str:
    rows = sorted(f"{sources[i].rel}\t{sources[i].label}\t{sources[i].group}" for i in indices)
    return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()


def _families(sources: Sequence[data.ImageSource], indices: Sequence[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for i in indices:
        key = f"{'fake' if sources[i].label else 'real'}: {sources[i].family}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def train(
    manifests: Sequence[Path],
    config: SyntheticTrainConfig = SyntheticTrainConfig(),
    *,
    command: str = "",
    say: Callable[[str], None] = lambda _m: None,
    model: Path | None = None,
) -> tuple[dict[str, Any], list[data.ImageSource], list[int]]:
    """Fit the head; returns the parameter document, the sources and the held-out indices."""
    if config.feature_set not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {config.feature_set!r}; known: {', '.join(FEATURE_SETS)}")
    sources, inputs = data.read_image_sources(manifests)
    if not any(s.label == 0 for s in sources) or not any(s.label == 1 for s in sources):
        raise ValueError("the manifests give no real or no generated image")
    train_idx, test_idx = split(sources, config.test_share)
    say(f"{len(sources)} images: {len(train_idx)} for training, {len(test_idx)} held out")
    features = clip.ClipFeatures(model, threads=config.threads)
    rebuild = data.decoders(config.seed) if config.rebuilt_fakes else None
    started = time.perf_counter()
    rows: list[np.ndarray] = []
    labels: list[int] = []
    left_out: list[str] = []
    for n, i in enumerate(train_idx):
        source = sources[i]
        try:
            rgb = data.load_rgb(source.path)
        except EvidenceError as exc:
            left_out.append(f"{source.rel}: {exc.reason}")
            continue
        rng = np.random.default_rng([config.seed, i])
        views = [clip.model_input(rgb)] + [data.augment_view(rng, rgb, config.augmentation)
                                            for _ in range(config.augmented_views)]
        view_labels = [source.label] * len(views)
        if rebuild is not None and source.label == 0:
            views.append(clip.model_input(rebuild(rng, rgb)))
            view_labels.append(1)
        rows.append(head_input(features(views, batch=4), config.feature_set))
        labels += view_labels
        if n % 100 == 0:
            say(f"features: {n}/{len(train_idx)} training images")
    fitted = fit_logistic(np.concatenate(rows), np.asarray(labels), config.l2)
    # the time is said, not stored: the file's bytes must not depend on the machine's load
    say(f"features and fit of {len(labels)} rows: {time.perf_counter() - started:.0f} s")
    held_scores = []
    for i in test_idx:
        rgb = data.load_rgb(sources[i].path)
        x = head_input(features([clip.model_input(rgb)]), config.feature_set)
        held_scores.append(float(fitted.decision(x)[0]))
    y = [sources[i].label for i in test_idx]
    auc = bootstrap_auc(held_scores, y)
    params = {
        "format": PARAMS_FORMAT,
        "head": {"feature_set": config.feature_set, "mean": list(fitted.mean), "scale": list(fitted.scale),
                 "weights": list(fitted.weights), "bias": fitted.bias},
        "card": {
            "format": CARD_FORMAT,
            "method": "L2-penalised logistic regression on frozen CLIP ViT-B/16 features "
                      f"({FEATURE_SETS[config.feature_set]}); UnivFD (Ojha et al. 2023), RINE "
                      "(Koutlis and Papadopoulos 2024)",
            "features_model": {"origin": clip.MODEL_ORIGIN, "sha256": clip.MODEL_SHA256,
                               "licence": clip.MODEL_LICENCE, "wheel_sha256": clip.WHEEL_SHA256},
            "input": "shortest side resized to 224 (bicubic), centre crop 224 x 224, CLIP normalisation",
            "data": {
                "inputs": inputs,
                "split": f"by identity group within each family, round({config.test_share} * n) groups "
                         "held out by SHA-256 order of the group name",
                "train": {"images": len(train_idx), "families": _families(sources, train_idx),
                          "listing_digest": _listing(sources, train_idx)},
                "held_out": {"images": len(test_idx), "families": _families(sources, test_idx),
                             "listing_digest": _listing(sources, test_idx)},
                "held_out_files": [sources[i].rel for i in test_idx],
                "left_out": left_out,
                "rebuilt_fakes": ("each training real rebuilt by the frequency detector's up-convolution "
                                  f"decoders (weights {rebuild.digest})") if rebuild else None,
            },
            "hyperparameters": asdict(config),
            "training": {"rows": len(labels), "threads": config.threads},
            "held_out_metrics": {"data": "held-out images as given", "n_real": y.count(0), "n_fake": y.count(1),
                                 "auc": auc.estimate, "ci95": [auc.low, auc.high]},
            "reproduce": command,
        },
    }
    return params, sources, test_idx


def write_params(params: dict[str, Any], path: Path) -> str:
    """Write the parameter file (canonical JSON); returns its SHA-256 (what the detector pins)."""
    body = canonical_bytes(params)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return hashlib.sha256(body).hexdigest()


def write_validation_set(sources: Sequence[data.ImageSource], held: Sequence[int], folder: Path) -> Path:
    """A manifest (label, path relative to it, group, family) of the held-out files, for
    ``forensics validate synthetic --manifest``; the files stay where they are."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.tsv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["label", "path", "group", "family"])
        for i in held:
            s = sources[i]
            rel = os.path.relpath(s.path.resolve(), folder.resolve())
            writer.writerow(["fake" if s.label else "real", rel, s.group, s.family])
    return manifest
