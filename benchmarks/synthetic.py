"""Speed of the generated-image detector on 2 cores: images per second.

- CLIP features alone: batches of 224 x 224 inputs through the INT8 ONNX image tower
  (onnxruntime, 1 and 2 threads);
- the whole detector on 2-megapixel JPEGs (decode, resize to the fixed input, features,
  head), one file at a time as ``forensics analyze`` runs it, against decoding the same
  files alone (Pillow) in the same run;
- a 60 s 1280x720 30 fps clip (8 sampled frames from one decoding pass) against PyAV
  decoding alone.

    python benchmarks/synthetic.py [--rounds 3] [--images 24] [--seconds 60]
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
from pathlib import Path

import numpy as np
from analyze import make_clip  # benchmarks/analyze.py (a script's folder is sys.path[0])
from faceforgery import median_seconds
from PIL import Image
from skimage import data
from video import decode_only

from forensics.detectors.synthetic import SyntheticDetector
from forensics.media.item import ItemMedia
from forensics.model import EvidenceInput
from forensics.nets.clip import ClipFeatures, model_input


def two_megapixel_jpegs(folder: Path, count: int) -> list[EvidenceInput]:
    base = np.asarray(Image.fromarray(data.astronaut()).resize((1728, 1152), Image.Resampling.BICUBIC))
    items = []
    for i in range(count):
        path = folder / f"photo{i}.jpg"
        Image.fromarray(np.roll(base, 7 * i, axis=1)).save(path, "JPEG", quality=90)
        items.append(EvidenceInput(path, hashlib.sha256(path.read_bytes()).hexdigest(), "image/jpeg", path.name))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    inputs = [model_input(data.astronaut())] * 32
    for threads in (1, 2):
        features = ClipFeatures(threads=threads)
        took = median_seconds(lambda f=features: f(inputs, batch=4), args.rounds)  # type: ignore[misc]
        print(f"CLIP features, {threads} thread(s): {len(inputs) / took:5.1f} images/s")
    detector = SyntheticDetector()
    detector.models()
    with tempfile.TemporaryDirectory() as tmp:
        items = two_megapixel_jpegs(Path(tmp), args.images)
        decode_s = median_seconds(lambda: [np.asarray(Image.open(i.path).convert("RGB")) for i in items], args.rounds)
        detect_s = median_seconds(lambda: [detector.run(i) for i in items], args.rounds)
        print(f"{len(items)} 2-megapixel JPEGs: detector {len(items) / detect_s:.1f} images/s "
              f"({1000 * detect_s / len(items):.0f} ms each); Pillow decode alone {len(items) / decode_s:.1f}/s")
        clip, frames, _ = make_clip(Path(tmp) / "clip.mp4", args.seconds)
        evidence = EvidenceInput(clip, hashlib.sha256(clip.read_bytes()).hexdigest(), "video/mp4", clip.name)
        video_decode_s = median_seconds(lambda: decode_only(clip), args.rounds)
        video_s = median_seconds(lambda: detector.run(evidence, ItemMedia(evidence, [detector.video_needs()])),
                                 args.rounds)
        print(f"{args.seconds:.0f} s 720p clip ({frames} frames): detector {video_s:.2f} s; "
              f"PyAV decode alone {video_decode_s:.2f} s (ratio {video_s / video_decode_s:.2f}x)")


if __name__ == "__main__":
    main()
