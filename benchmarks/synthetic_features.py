"""Features of every view of the shared corpus's images, for benchmarks/synthetic_eval.py.

    python benchmarks/synthetic_features.py [--corpus ../shared/corpus] [--out benchmarks/out/synthetic_features.npz]

For each labelled image (forensics.training.synthetic_data): the views "given",
"aug0", "aug1" (training augmentation), "rebuilt" (reals: up-convolution decoders),
"matched" (256 x 256, JPEG 90), and the robustness views of the matched image "jpeg75",
"half" (x0.5) and "crop" (centre half). For each view: the CLIP ViT-B/16 embedding and
per-block CLS tokens, and EfficientNet-Lite0's pooled ImageNet features. Slow (about
10 minutes on 2 cores); the result is cached.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forensics.nets.clip import ClipFeatures, model_input  # noqa: E402
from forensics.training import synthetic_data as data  # noqa: E402

VIEWS = ("given", "aug0", "aug1", "rebuilt", "matched", "jpeg75", "half", "crop")
SEED = 20261202


def effnet_features(images: list[np.ndarray]) -> np.ndarray:
    import torch

    from forensics.nets.efficientnet import pretrained
    from forensics.nets.tensors import to_tensor

    net = pretrained().eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(images), 16):
            x = to_tensor(images[start:start + 16])
            x = (x - 127.0 / 255.0) / (128.0 / 255.0)
            feats = net.backbone.extract_features(x)
            out.append(feats.mean(dim=(2, 3)).numpy())
    return np.concatenate(out) if out else np.zeros((0, 1280), np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "synthetic_features.npz")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)
    manifests = [args.corpus / n for n in ("FACES.tsv", "REAL_FACES.tsv", "MANIFEST.tsv")]
    sources, _ = data.read_image_sources(manifests)
    images, missing = data.readable(sources)
    print(f"{len(images)} images ({len(missing)} unreadable: {missing})", flush=True)
    rebuild = data.decoders(SEED)
    aug = data.ViewAugmentation()
    views: dict[str, list[np.ndarray]] = {v: [] for v in VIEWS}
    for i, (source, rgb) in enumerate(images):
        rng = np.random.default_rng([SEED, i])
        matched = data.matched(rgb)
        views["given"].append(model_input(rgb))
        views["aug0"].append(data.augment_view(rng, rgb, aug))
        views["aug1"].append(data.augment_view(rng, rgb, aug))
        views["rebuilt"].append(model_input(rebuild(rng, rgb)) if source.label == 0 else model_input(rgb))
        views["matched"].append(model_input(matched))
        views["jpeg75"].append(model_input(data.jpeg(matched, 75)))
        views["half"].append(model_input(data.half(matched)))
        views["crop"].append(model_input(data.centre_crop(matched)))
    clip = ClipFeatures()
    arrays: dict[str, np.ndarray] = {}
    for view in VIEWS:
        started = time.perf_counter()
        feats = clip(views[view], batch=4)
        arrays[f"{view}/embed"] = feats["embed"].astype(np.float32)
        arrays[f"{view}/cls"] = feats["cls"].astype(np.float16)
        arrays[f"{view}/effnet"] = effnet_features(views[view]).astype(np.float32)
        print(f"{view}: {time.perf_counter() - started:.0f} s", flush=True)
    kept = [s for s, _ in images]
    arrays["label"] = np.array([s.label for s in kept])
    arrays["family"] = np.array([s.family for s in kept])
    arrays["group"] = np.array([s.group for s in kept])
    arrays["rel"] = np.array([s.rel for s in kept])
    arrays["pixels"] = np.array([rgb.shape[0] * rgb.shape[1] for _, rgb in images])
    arrays["png"] = np.array([s.path.suffix.lower() == ".png" for s in kept])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, **arrays)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
