"""Generated-image detection on unseen families: which features, judged on matched pairs.

    python benchmarks/synthetic_features.py      # once: features of every view (cached)
    python benchmarks/synthetic_eval.py [--features benchmarks/out/synthetic_features.npz]

Leave-one-family-out over the shared corpus (forensics.training.synthetic_data): for
each test family, a head is trained on every other family's fakes and on the reals of
every source except the test reals (FFHQ for the face GANs, whose training set it is;
the camera and web photographs of MANIFEST.tsv for the diffusion family), then scored on
matched pairs: test fakes and test reals brought to 256 x 256 and JPEG 90 alike. So
neither the generator, nor the real source, nor size or format was seen in training.

Printed: per feature set (CLIP embedding, CLIP last-block CLS, CLIP all-block CLS,
EfficientNet-Lite0 ImageNet features) and per family, the AUC with its 95% bootstrap
interval; the same with and without the decoder-rebuilt reals as extra fakes; the
robustness of each set (as given, JPEG 75 of the matched image, x0.5, centre crop);
the shipped frequency detector on the same matched pairs (it never trained on the
corpus); and, on every image as given, the trivial scores (pixel count, is-PNG).

Then the shipped generated-image detector on the images its training held out (its
card lists them), as given, as matched (256 px, JPEG 90), then JPEG 75, x0.5 and centre
crop of the matched image: AUC, and how many real images reach a calibrated LR of 10
("moderate support") or more.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forensics.detectors.synthetic import head_input  # noqa: E402
from forensics.training.frequency import fit_logistic  # noqa: E402
from forensics.validation.metrics import bootstrap_auc  # noqa: E402

DIFFUSION = ("comfyanonymous__ComfyUI_examples", "contentauth__c2pa-rs", "mever-team__rine")
FOLDS = ("StyleGAN2 (thispersondoesnotexist.com)", "StyleGAN3-R (FFHQ)",
         "unknown face generator (boredhumans.com faces2)", "diffusion")
SHORT = {FOLDS[0]: "StyleGAN2", FOLDS[1]: "StyleGAN3", FOLDS[2]: "faces2", FOLDS[3]: "diffusion"}
FEATURE_SETS = ("clip-embed", "clip-last", "clip-blocks", "effnet")
L2 = {"clip-embed": 10.0, "clip-last": 10.0, "clip-blocks": 100.0, "effnet": 10.0}


class Data:
    def __init__(self, path: Path) -> None:
        self.npz = np.load(path)
        self.label = self.npz["label"]
        self.family = self.npz["family"]
        self.rel = self.npz["rel"]
        stems = np.array([Path(r).stem for r in self.rel])
        luca = self.family == "LucaCorvitto__RealFaces_w_StableDiffusion"
        self.gan_copy = luca & np.char.startswith(stems, "gan")  # StyleGAN 1/2/3 samples
        self.diffusion = (self.label == 1) & (np.isin(self.family, DIFFUSION) | (luca & ~self.gan_copy))
        self.manifest_real = (self.label == 0) & np.char.find(self.rel, "metadata/").__ge__(0) | (
            (self.label == 0) & np.char.startswith(self.rel, "synthetic_images/"))

    def x(self, view: str, feature_set: str) -> np.ndarray:
        if feature_set == "effnet":
            return self.npz[f"{view}/effnet"].astype(np.float64)
        return head_input({"embed": self.npz[f"{view}/embed"], "cls": self.npz[f"{view}/cls"]}, feature_set)

    def fold(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Boolean masks (train, test) of the fold."""
        if name == "diffusion":
            test = self.diffusion | self.manifest_real
        else:
            test = (self.family == name) | ((self.label == 0) & (self.family == "FFHQ"))
        excluded = test | self.gan_copy
        return ~excluded, test


def fit(data: Data, train: np.ndarray, feature_set: str, rebuilt: bool,
        views: tuple[str, ...] = ("given", "aug0", "aug1")) -> Callable[[np.ndarray], np.ndarray]:
    xs, ys = [], []
    for view in views:
        xs.append(data.x(view, feature_set)[train])
        ys.append(data.label[train])
    if rebuilt:
        reals = train & (data.label == 0)
        xs.append(data.x("rebuilt", feature_set)[reals])
        ys.append(np.ones(int(reals.sum()), dtype=int))
    model = fit_logistic(np.concatenate(xs), np.concatenate(ys), L2[feature_set])
    return model.decision


def auc_text(scores: np.ndarray, labels: np.ndarray) -> str:
    interval = bootstrap_auc(list(scores), list(labels))
    return f"{interval.estimate:.3f} [{interval.low:.2f},{interval.high:.2f}]"


def frequency_on_matched(data: Data, corpus: Path, mask: np.ndarray) -> np.ndarray:
    """The shipped frequency detector's scores of the matched versions of the chosen files."""
    import hashlib
    import io
    import tempfile

    from PIL import Image

    from forensics.detectors.frequency import FrequencyDetector
    from forensics.model import EvidenceInput
    from forensics.training import synthetic_data

    detector = FrequencyDetector()
    scores = np.full(len(data.rel), np.nan)
    with tempfile.TemporaryDirectory() as tmp:
        for i in np.flatnonzero(mask):
            matched = synthetic_data.square(synthetic_data.load_rgb(corpus / str(data.rel[i])), 256)
            buffer = io.BytesIO()
            Image.fromarray(matched).save(buffer, "JPEG", quality=90)
            path = Path(tmp) / f"{i}.jpg"
            path.write_bytes(buffer.getvalue())
            evidence = EvidenceInput(path, hashlib.sha256(buffer.getvalue()).hexdigest(), "image/jpeg", path.name)
            found = [f.score for f in detector.run(evidence) if f.score is not None]
            scores[i] = found[0] if found else np.nan
    return scores


def shipped_on_held_out(data: Data) -> None:
    import json

    from forensics.detectors.synthetic import LinearHead, SyntheticDetector

    detector = SyntheticDetector()
    params = json.loads(detector.params_path.read_bytes())
    head = LinearHead.from_params(params, detector.params_path)
    held = np.isin(data.rel, params["card"]["data"]["held_out_files"])
    record = detector.validation
    y = data.label[held]
    print(f"\nshipped detector on its {int(held.sum())} held-out images ({int((y == 0).sum())} real, "
          f"{int((y == 1).sum())} generated)")
    for view, name in (("given", "as given"), ("matched", "256 px JPEG 90"), ("jpeg75", "then JPEG 75"),
                       ("half", "then x0.5"), ("crop", "then centre crop")):
        logits = head.logits({"embed": data.npz[f"{view}/embed"][held], "cls": data.npz[f"{view}/cls"][held]})
        line = f"  {name:<18} AUC {auc_text(logits, y)}"
        if record is not None:
            lrs = np.array([max(0.0, record.calibration.log10_lr(float(1 / (1 + np.exp(-v))))) for v in logits])
            line += (f"; reals at LR >= 10: {int(((lrs >= 1) & (y == 0)).sum())}, fakes at LR >= 10: "
                     f"{int(((lrs >= 1) & (y == 1)).sum())}/{int((y == 1).sum())}")
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=Path, default=ROOT / "benchmarks" / "out" / "synthetic_features.npz")
    parser.add_argument("--sets", nargs="*", default=list(FEATURE_SETS))
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = parser.parse_args()
    data = Data(args.features)
    print(f"{len(data.label)} images: {int((data.label == 0).sum())} real, {int((data.label == 1).sum())} generated")
    for name in FOLDS:
        train, test = data.fold(name)
        print(f"fold {SHORT[name]}: train {int(train.sum())} images, test {int((test & (data.label == 1)).sum())} "
              f"generated vs {int((test & (data.label == 0)).sum())} real")
    header = " | ".join(f"{SHORT[f]:>20}" for f in FOLDS)
    print(f"\nmatched pairs (256 px, JPEG 90), AUC [95% CI]\n{'features':<26} | {header} | mean")
    for feature_set in args.sets:
        for rebuilt in (False, True):
            cells, means = [], []
            robust: dict[str, list[float]] = {v: [] for v in ("given", "jpeg75", "half", "crop")}
            for name in FOLDS:
                train, test = data.fold(name)
                decide = fit(data, train, feature_set, rebuilt)
                y = data.label[test]
                scores = decide(data.x("matched", feature_set)[test])
                cells.append(auc_text(scores, y))
                means.append(bootstrap_auc(list(scores), list(y)).estimate)
                for view in robust:
                    robust[view].append(bootstrap_auc(list(decide(data.x(view, feature_set)[test])), list(y)).estimate)
            label = f"{feature_set}{' +rebuilt' if rebuilt else ''}"
            print(f"{label:<26} | " + " | ".join(f"{c:>20}" for c in cells) + f" | {np.mean(means):.3f}")
            print(f"{'':<26}   robustness (mean AUC over folds): " + ", ".join(
                f"{view} {np.mean(v):.3f}" for view, v in robust.items()), flush=True)
    tested = np.zeros(len(data.label), dtype=bool)
    for name in FOLDS:
        tested |= data.fold(name)[1]
    frequency = frequency_on_matched(data, args.corpus, tested)
    cells = []
    for name in FOLDS:
        test = data.fold(name)[1] & ~np.isnan(frequency)
        cells.append(auc_text(frequency[test], data.label[test]))
    print(f"{'frequency detector':<26} | " + " | ".join(f"{c:>20}" for c in cells))
    shipped_on_held_out(data)
    print("\ntrivial scores on every image as given (all families):")
    y = data.label
    print(f"  pixel count: AUC {auc_text(data.npz['pixels'].astype(float), y)}")
    print(f"  is PNG:      AUC {auc_text(data.npz['png'].astype(float), y)}")


if __name__ == "__main__":
    main()
