"""Speed of the face-forgery detector on 2 cores: face crops per second through the
network, and seconds per minute of 720p video through the whole detector.

- network: batches of 224 x 224 aligned face crops, eval mode, 1 and 2 torch threads;
  Grad-CAM (one backward pass) per crop beside it;
- video: the 60 s 1280x720 30 fps face clip of ``benchmarks/analyze.py``, through the
  detector alone (one decoding pass, 32 sampled frames, face search, network, Grad-CAM of
  the top 2), against PyAV decoding alone in the same run.

    python benchmarks/faceforgery.py [--rounds 3] [--seconds 60]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from analyze import make_clip  # benchmarks/analyze.py (a script's folder is sys.path[0])
from skimage import data
from video import decode_only

from forensics.detectors.faceforgery import CROP_LAYOUT, CROP_SIZE, FaceForgeryDetector
from forensics.media.faces import face_alignment
from forensics.media.item import ItemMedia, StillFaces
from forensics.model import EvidenceInput
from forensics.nets.gradcam import gradcam
from forensics.nets.tensors import predict_logits, to_tensor


def median_seconds(work: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    detector = FaceForgeryDetector()
    net = detector.network()
    face = np.ascontiguousarray(data.astronaut())
    with StillFaces() as faces:
        landmarks = faces.find(face)
    assert landmarks is not None
    crop = face_alignment(landmarks, CROP_SIZE, **CROP_LAYOUT).crop(face)
    crops = [crop] * 64
    for threads in (1, 2):
        torch.set_num_threads(threads)
        net_s = median_seconds(lambda: predict_logits(net, crops), args.rounds)
        cam_s = median_seconds(lambda: [gradcam(net, to_tensor([crop])) for _ in range(4)], args.rounds)
        print(f"{threads} thread(s): network {len(crops) / net_s:6.1f} crops/s, "
              f"Grad-CAM {4 / cam_s:5.1f} crops/s")
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as folder:
        clip, frames, _ = make_clip(Path(folder) / "clip.mp4", args.seconds)
        evidence = EvidenceInput(clip, hashlib.sha256(clip.read_bytes()).hexdigest(), "video/mp4", clip.name)
        decode_s = median_seconds(lambda: decode_only(clip), args.rounds)

        def detect() -> None:
            detector.run(evidence, ItemMedia(evidence, [detector.video_needs()]))

        detect_s = median_seconds(detect, args.rounds)
        minutes = args.seconds / 60.0
        print(f"{args.seconds:.0f} s 720p clip ({frames} frames): detector {detect_s:.2f} s "
              f"= {detect_s / minutes:.2f} s per minute of video; PyAV decode alone {decode_s:.2f} s "
              f"(ratio {detect_s / decode_s:.1f}x)")


if __name__ == "__main__":
    main()
