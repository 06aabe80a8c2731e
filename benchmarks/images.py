"""Two-megapixel JPEGs per second through the frequency detector (target >= 20/s on 2 cores).

Makes 24 JPEGs of 1920x1080 (2.07 MP, quality 90) from scikit-image's photographs,
then times ``FrequencyDetector.run`` on each, in rounds, and prints medians:
- one process: median seconds per image and the images/s it implies;
- a pool of 2 processes (the pipeline's local default on this machine): images/s over
  the whole set, median over rounds.

    python benchmarks/images.py [--rounds 5] [--images 24] [--workers 2]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from forensics.detectors.frequency import FrequencyDetector
from forensics.model import EvidenceInput
from forensics.training.frequency import TRAIN_SOURCES, skimage_photo

SIZE = (1920, 1080)

_detector: FrequencyDetector | None = None


def make_images(folder: Path, count: int) -> list[EvidenceInput]:
    items = []
    for i in range(count):
        rgb, _ = skimage_photo(TRAIN_SOURCES[i % len(TRAIN_SOURCES)])
        img = Image.fromarray(rgb).resize(SIZE, Image.Resampling.BICUBIC)
        if i % 2:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        path = folder / f"img{i:03d}.jpg"
        img.save(path, "JPEG", quality=90)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        items.append(EvidenceInput(path, digest, "image/jpeg", path.name))
    return items


def _analyse(item: EvidenceInput) -> float:
    global _detector
    if _detector is None:  # one detector (and one parameter check) per worker
        _detector = FrequencyDetector()
        _detector.model()
    (finding,) = _detector.run(item)
    return float(finding.score or 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        items = make_images(Path(tmp), args.images)
        _analyse(items[0])  # warm-up: imports, FFT plans, parameter load
        per_image = []
        for _ in range(args.rounds):
            for item in items:
                start = time.perf_counter()
                _analyse(item)
                per_image.append(time.perf_counter() - start)
        median = statistics.median(per_image)
        print(f"{len(items)} JPEGs of {SIZE[0]}x{SIZE[1]} ({SIZE[0] * SIZE[1] / 1e6:.2f} MP), "
              f"{args.rounds} rounds")  # fmt: skip
        print(f"one process: median {median * 1000:.1f} ms per image -> {1 / median:.1f} images/s "
              f"(p10 {np.percentile(per_image, 10) * 1000:.1f} ms, "
              f"p90 {np.percentile(per_image, 90) * 1000:.1f} ms)")  # fmt: skip
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            list(pool.map(_analyse, items[: args.workers * 2]))  # warm the workers
            rates = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                list(pool.map(_analyse, items, chunksize=2))
                rates.append(len(items) / (time.perf_counter() - start))
        print(f"{args.workers} processes: median {statistics.median(rates):.1f} images/s "
              f"(rounds: {', '.join(f'{r:.1f}' for r in rates)})")  # fmt: skip
        print("target: >= 20 images/s on 2 cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
