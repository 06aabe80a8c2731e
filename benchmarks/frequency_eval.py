"""ROC AUC of the frequency detector, with 95% bootstrap intervals, beside trivial scores.

Two test sets:
- ../shared/corpus/synthetic_images (labels from MANIFEST.tsv), skipped when absent;
- the detector's own generated set: real/synthetic pairs made from the scikit-image
  photographs held out of training (``VALIDATION_SOURCES``), with a seed not used in
  training.
Each is scored as given, re-encoded as JPEG quality 90 and 75, and resized x0.5 (LANCZOS,
stored as PNG), always through ``FrequencyDetector.run`` on a file. Beside the detector:
its period-2 statistic T alone (a component, as a raw score), and two scores that look at
no pixels, the pixel count and "the file is a PNG". On the corpus, the synthetic files
are also scored per family (the same reals against each).

    python benchmarks/frequency_eval.py [--pairs 150] [--with-profile-variant]

``--with-profile-variant`` also trains (in memory) the variant whose classifier reads the
radial profile too, and scores it on the corpus as given.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from forensics.detectors import frequency_features as ff
from forensics.detectors.frequency import FrequencyDetector
from forensics.media.images import load_image
from forensics.model import EvidenceInput, Verdict
from forensics.training import frequency as training
from forensics.validation.metrics import bootstrap_auc

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

Transform = Callable[[Image.Image], tuple[bytes, str]]


def _jpeg(quality: int) -> Transform:
    def run(img: Image.Image) -> tuple[bytes, str]:
        buf = io.BytesIO()
        img.convert("RGB").save(buf, "JPEG", quality=quality)
        return buf.getvalue(), "image/jpeg"

    return run


def _half(img: Image.Image) -> tuple[bytes, str]:
    small = img.convert("RGB").resize(
        (max(1, img.width // 2), max(1, img.height // 2)), Image.Resampling.LANCZOS
    )
    buf = io.BytesIO()
    small.save(buf, "PNG")
    return buf.getvalue(), "image/png"


CONDITIONS: dict[str, Transform | None] = {
    "as given": None,  # the file's own bytes
    "JPEG q90": _jpeg(90),
    "JPEG q75": _jpeg(75),
    "resize x0.5": _half,
}


def _score(
    detector: FrequencyDetector, data: bytes, media_type: str, tmp: Path
) -> tuple[float, float]:
    """The detector's probability and its period-2 statistic for one file."""
    path = tmp / hashlib.sha256(data).hexdigest()
    path.write_bytes(data)
    (finding,) = detector.run(EvidenceInput(path, path.name, media_type))
    path.unlink()
    if finding.score is None or finding.verdict is Verdict.ERROR:
        raise RuntimeError(f"no score: {finding.reason}")
    return float(finding.score), float(finding.details["period2"]["statistic"])


def _row(name: str, scores: list[float], labels: np.ndarray) -> str:
    ci = bootstrap_auc(scores, labels, n_resamples=2000, seed=0)
    return f"  {name:40s} AUC {ci.estimate:.3f}  95% CI [{ci.low:.3f}, {ci.high:.3f}]"


def _evaluate(
    title: str,
    items: list[tuple[bytes, str, int]],
    detector: FrequencyDetector,
    families: list[str] | None = None,
) -> None:
    labels = np.array([label for _, _, label in items])
    print(f"\n{title}: {int((labels == 0).sum())} real, {int((labels == 1).sum())} synthetic")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for condition, transform in CONDITIONS.items():
            scores, period2 = [], []
            for data, media_type, _ in items:
                if transform is not None:
                    data, media_type = transform(Image.open(io.BytesIO(data)))
                score, statistic = _score(detector, data, media_type, tmp)
                scores.append(score)
                period2.append(statistic)
            print(_row(f"frequency detector, {condition}", scores, labels))
            print(_row(f"  its period-2 T alone, {condition}", period2, labels))
            if condition == "as given" and families:
                _by_family("frequency detector", scores, labels, families)
    pixels, png = [], []
    for data, _, _ in items:
        img = Image.open(io.BytesIO(data))
        pixels.append(float(img.width * img.height))
        png.append(1.0 if img.format == "PNG" else 0.0)
    print(_row("trivial: pixel count", pixels, labels))
    print(_row("trivial: file is a PNG", png, labels))
    if families:
        _by_family("pixel count", pixels, labels, families)
        _by_family("file is a PNG", png, labels, families)


def _by_family(name: str, scores: list[float], labels: np.ndarray, families: list[str]) -> None:
    """A score's AUC for each family of synthetic files against all the reals."""
    for family in sorted({f for f, y in zip(families, labels, strict=True) if y == 1}):
        keep = [y == 0 or f == family for f, y in zip(families, labels, strict=True)]
        picked = [s for s, k in zip(scores, keep, strict=True) if k]
        n = sum(1 for f in families if f == family)
        print(_row(f"  {name}, {family} ({n})", picked, labels[np.array(keep)]))


def family(row: dict[str, str]) -> str:
    """ComfyUI's example outputs (current diffusion models, native size) or the rest
    (GAN faces, face swaps and Stable Diffusion faces from other repositories)."""
    return "ComfyUI" if row["source_repo"].startswith("comfyanonymous/") else "other"


def corpus_items() -> tuple[list[tuple[bytes, str, int]], list[str]] | None:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return None
    with manifest.open(encoding="utf-8") as fh:
        rows = [
            r for r in csv.DictReader(fh, delimiter="\t") if r["category"] == "synthetic_images"
        ]
    items, families = [], []
    for row in rows:
        if row["label"] not in ("real", "fake"):
            continue
        path = CORPUS / row["local_path"]
        media_type = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
        items.append((path.read_bytes(), media_type, int(row["label"] == "fake")))
        families.append(family(row) if row["label"] == "fake" else "real")
    return items, families


def generated_items(pairs: int) -> list[tuple[bytes, str, int]]:
    """Pairs from the held-out photographs, stored as training stores them (lottery)."""
    recipe = training.Recipe()
    sources = [training.skimage_photo(n)[0] for n in recipe.validation_sources]
    photos = [training.skimage_photo(n)[0] for n in recipe.train_sources]
    simulate = training.builtin_simulator(recipe, photos)  # the training decoders (minutes)
    rng = np.random.default_rng(recipe.seed + 2)  # neither the training nor the stored seed
    items = []
    for i in range(pairs):
        pair = training.make_pair(rng, sources[i % len(sources)], recipe, simulate)
        for label, rgb in enumerate(pair):
            img = Image.fromarray(np.clip(np.rint(rgb), 0, 255).astype(np.uint8))
            buf = io.BytesIO()
            if rng.random() < recipe.jpeg_fraction:
                lo, hi = recipe.jpeg_quality
                img.save(buf, "JPEG", quality=int(rng.integers(lo, hi + 1)))
                items.append((buf.getvalue(), "image/jpeg", label))
            else:
                img.save(buf, "PNG")
                items.append((buf.getvalue(), "image/png", label))
    return items


def profile_variant(items: list[tuple[bytes, str, int]]) -> None:
    """Train the with-profile variant in memory and score the corpus as given."""
    recipe = training.Recipe(with_profile=True)
    params = training.train_builtin(recipe)
    model = training.LogisticModel(**{k: tuple(v) if isinstance(v, list) else v
                                      for k, v in params["model"].items()})  # fmt: skip
    names = params["features"]["names"]
    scores = []
    for data, _, _ in items:
        gray = load_image(io.BytesIO(data), mode="L").pixels
        spectrum = ff.analyse(gray, side=recipe.side, n_bins=recipe.n_bins)
        scores.append(float(model.decision(ff.feature_vector(spectrum, names))[0]))
    labels = np.array([label for _, _, label in items])
    print(f"\nvariant with the radial profile as classifier input "
          f"(generated-set validation AUC {params['validation']['auc']:.3f}):")  # fmt: skip
    print(_row("profile+peaks, corpus as given", scores, labels))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=150, help="generated pairs (default 150)")
    parser.add_argument("--with-profile-variant", action="store_true")
    args = parser.parse_args(argv)
    detector = FrequencyDetector()
    print(f"frequency detector {detector.version}, parameters sha256 {detector.weights_digest}")
    corpus = corpus_items()
    if corpus is None:
        print(f"\ncorpus not found at {CORPUS}: corpus rows skipped")
    else:
        _evaluate("corpus synthetic_images", corpus[0], detector, corpus[1])
    _evaluate("generated set (held-out photographs)", generated_items(args.pairs), detector)
    if args.with_profile_variant and corpus is not None:
        profile_variant(corpus[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
