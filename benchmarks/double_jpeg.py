"""The double-JPEG statistic on simulated single and double compressions, and on the
camera originals of ../shared/corpus: where its decision threshold comes from.

Single: scikit-image's colour photographs, random crops (0.5-1 of each side) and
rescales (0.5-1), saved once at a quality drawn from 60-98. Double: the same, saved at
q1 then at q2 (aligned grid), for q1 < q2 (detectable: the second step is finer) and
q1 > q2 (not expected to be: the coarser second step erases the first). Prints the
quantiles of each and the detection rate at ``structure.DOUBLE_JPEG_THRESHOLD``.

    python benchmarks/double_jpeg.py [--pairs 600] [--seed 20261202]
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

from forensics.detectors.jpeg_structure import double_jpeg_score, quantization_report
from forensics.detectors.structure import DOUBLE_JPEG_THRESHOLD

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "immunohistochemistry", "retina")
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _save(img: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer)


def score(jpeg: Image.Image) -> float:
    report = quantization_report(jpeg.quantization)  # type: ignore[attr-defined]
    jpeg.draft("L", jpeg.size)
    return double_jpeg_score(np.asarray(jpeg.convert("L")), report.luma).score


def _scene(rng: np.random.Generator) -> Image.Image:
    photo = Image.fromarray(getattr(data, PHOTOS[int(rng.integers(len(PHOTOS)))])())
    w, h = photo.size
    cw, ch = round(w * rng.uniform(0.5, 1)), round(h * rng.uniform(0.5, 1))
    left, top = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    crop = photo.crop((left, top, left + cw, top + ch))
    scale = rng.uniform(0.5, 1.0)
    return crop.resize((max(64, round(cw * scale)), max(64, round(ch * scale))), Image.Resampling.LANCZOS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=600)
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    single, finer, coarser = [], [], []
    for _ in range(args.pairs):
        scene = _scene(rng)
        q2 = int(rng.integers(60, 99))
        single.append(score(_save(scene, q2)))
        q1 = int(rng.integers(50, 99))
        if q1 == q2:
            continue
        (finer if q1 < q2 else coarser).append(score(_save(_save(scene, q1).convert("RGB"), q2)))
    for name, values in (("single", single), ("double, q1 < q2", finer), ("double, q1 > q2", coarser)):
        v = np.asarray(values)
        print(f"{name:16s} n {len(v):4d}  median {np.median(v):8.2f}  99th pct {np.percentile(v, 99):8.2f}  "
              f"max {v.max():8.2f}  flagged (>= {DOUBLE_JPEG_THRESHOLD}) {int((v >= DOUBLE_JPEG_THRESHOLD).sum())}")
    if (CORPUS / "MANIFEST.tsv").is_file():
        with (CORPUS / "MANIFEST.tsv").open(newline="", encoding="utf-8") as handle:
            rows = [r for r in csv.DictReader(handle, delimiter="\t")
                    if r["category"] == "metadata" and r["local_path"].lower().endswith((".jpg", ".jpeg"))]
        for label in ("real", "unknown", "fake"):
            scores = []
            for row in (r for r in rows if r["label"] == label):
                try:
                    scores.append((score(Image.open(CORPUS / row["local_path"])), row["local_path"]))
                except (OSError, ValueError, KeyError, IndexError):
                    continue
            flagged = [p for s, p in scores if s >= DOUBLE_JPEG_THRESHOLD]
            print(f"corpus metadata JPEGs labelled {label}: {len(scores)} read, {len(flagged)} flagged {flagged}")


if __name__ == "__main__":
    main()
