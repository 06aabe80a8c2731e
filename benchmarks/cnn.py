"""Throughput of the CNN detector: face crops per second (medians of repeated runs).

Stages, measured separately on the same machine and run:
- network: Meso-4 forward pass on ready 256 x 256 face crops (batch 32), with 1 and 2
  torch threads (CPU), and on CUDA when present (labelled as such);
- Grad-CAM: one forward and backward pass per crop (the detector does this for the
  highest-scoring frames only);
- face pipeline (the baseline the network is added to): MediaPipe landmarks and the
  aligned crop on a 512 x 512 photograph (scikit-image's astronaut);
- end to end: landmarks + crop + network, one image at a time, as the detector runs.

    python benchmarks/cnn.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from skimage import data

from forensics.media.faces import aligned_face_crop
from forensics.media.item import StillFaces
from forensics.nets.gradcam import gradcam
from forensics.nets.meso import Meso4, predict_logits, to_tensor


def rate(work: Callable[[], int], repeats: int) -> float:
    """Median items per second over ``repeats`` timed runs (after one warm-up run)."""
    work()
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        n = work()
        rates.append(n / (time.perf_counter() - started))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
          f"torch {torch.__version__}")  # fmt: skip
    torch.manual_seed(0)
    model = Meso4().eval()
    crops = list(np.random.default_rng(0).integers(0, 256, (64, 256, 256, 3), dtype=np.uint8))
    photo = np.ascontiguousarray(data.astronaut())
    for threads in (1, 2):
        torch.set_num_threads(threads)
        net = rate(lambda: len(predict_logits(model, crops)), args.repeats)
        cam = rate(lambda: sum(1 for c in crops[:8] if gradcam(model, to_tensor([c]))), args.repeats)
        print(f"CPU, {threads} thread(s): network {net:7.1f} crops/s   Grad-CAM {cam:6.1f} crops/s")
    if torch.cuda.is_available():
        gpu = Meso4().eval().cuda()
        net = rate(lambda: len(predict_logits(gpu, crops)), args.repeats)
        print(f"GPU ({torch.cuda.get_device_name()}): network {net:7.1f} crops/s")
    else:
        print("GPU: none on this machine (not measured)")
    torch.set_num_threads(2)
    with StillFaces() as faces:

        def crop() -> np.ndarray | None:
            landmarks = faces.find(photo)
            return None if landmarks is None else aligned_face_crop(photo, landmarks, 256)

        face = rate(lambda: sum(crop() is not None for _ in range(10)), args.repeats)

        def end_to_end() -> int:
            for _ in range(10):
                predict_logits(model, [crop()])
            return 10

        both = rate(end_to_end, args.repeats)
    print(f"CPU, 2 threads: face landmarks + aligned crop (baseline) {face:6.1f} images/s")
    print(f"CPU, 2 threads: end to end (landmarks + crop + Meso-4)  {both:6.1f} images/s")


if __name__ == "__main__":
    main()
