"""The face-forgery detector beside Meso-4, the frequency detector and trivial scores, on
the development data of ../shared/corpus that its training never saw.

Sets (labels from MANIFEST.tsv / FACES.tsv):
- face-swap videos: FaceForensics++ 519 (real) and its Deepfakes swap 519_515, DFDC
  lynaeydofd (real) and brtujopkby (fake): clip level, and frame level (each sampled
  frame's logit with its clip's label);
- face-swap images: the face-swap frames and crops among synthetic_images (DFDC frames,
  MesoNet crops, pSp re-synthesis) against the real photos of the same folders;
- generated faces: FACES.tsv GAN faces against its real faces that the face-forgery
  training held out (see its model card): not this method's target, shown for scope.
Trivial scores: pixel count, is-PNG, and for videos the bit rate. AUCs with 95%
stratified bootstrap intervals; with a handful of items the intervals are wide.

    python benchmarks/faceforgery_eval.py [--detectors faceforgery cnn frequency]
    python benchmarks/faceforgery_eval.py --detectors faceforgery --weights W.pt  # another training
        (W.card.json beside it; e.g. the ablation runs of `forensics train faceforgery --fakes`)
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from forensics.detectors.faceforgery import FaceForgeryConfig, FaceForgeryDetector
from forensics.detectors.registry import get_detector
from forensics.media.video import probe_video
from forensics.pipeline import analyse_items
from forensics.validation.manifest import LabelledFile
from forensics.validation.metrics import bootstrap_auc
from forensics.validation.runner import evidence_inputs

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CARD = Path(__file__).resolve().parents[1] / "forensics" / "data" / "faceforgery_default.card.json"
SWAP_IMAGES = ("polimi-ispl__icpr2020dfdc", "DariusAf__MesoNet", "alexkyllo__fake-faces/notebooks")


def _rows(manifest: str) -> list[dict[str, str]]:
    with (CORPUS / manifest).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _item(row: dict[str, str]) -> LabelledFile:
    return LabelledFile(CORPUS / row["local_path"], 1 if row["label"] == "fake" else 0, row["local_path"])


def development_sets() -> dict[str, list[LabelledFile]]:
    manifest = _rows("MANIFEST.tsv")
    videos = [_item(r) for r in manifest if r["category"] == "face_videos"]
    swaps = [_item(r) for r in manifest if r["category"] == "synthetic_images"
             and any(part in r["local_path"] for part in SWAP_IMAGES)]
    held_out: set[str] = set()
    if CARD.is_file():
        held_out = {f["path"] for f in json.loads(CARD.read_text())["data"]["held_out_files"]}
    faces = [_item(r) for r in _rows("FACES.tsv") if r["category"] == "face_images"
             and (r["label"] == "fake" or r["local_path"] in held_out)]
    return {"face-swap videos": videos, "face-swap images": swaps, "generated faces (FACES)": faces}


def trivial(item: LabelledFile) -> dict[str, float]:
    if item.path.suffix.lower() in (".mp4", ".mov", ".avi", ".webm"):
        info = probe_video(item.path)
        seconds = info.duration_s or 1.0
        return {"pixel count": float(info.width * info.height),
                "bit rate": item.path.stat().st_size * 8 / seconds}
    from PIL import Image

    with Image.open(item.path) as img:
        return {"pixel count": float(img.width * img.height), "is PNG": float(img.format == "PNG")}


def _auc(scores: Sequence[float | None], labels: Sequence[int]) -> str:
    pairs = [(s, y) for s, y in zip(scores, labels, strict=True) if s is not None]
    ys = [y for _, y in pairs]
    if len(set(ys)) < 2:
        return f"n/a ({len(pairs)} scored)"
    ci = bootstrap_auc([s for s, _ in pairs], ys)
    return f"{ci}  (n {ys.count(0)} real / {ys.count(1)} fake)"


def _frame_logits(findings: Sequence[Any]) -> list[float]:
    for finding in findings:
        for artifact in finding.artifacts:
            if artifact.name.endswith("_frames") or artifact.name.endswith("_frame_scores"):
                frames = json.loads(artifact.data)["frames"]
                return [f["logit"] for f in frames if f.get("logit") is not None]
    return []


def other_weights(weights: Path) -> FaceForgeryDetector:
    """The face-forgery detector with other weights (raw scores: no validation applies)."""
    card = weights.with_suffix(".card.json")
    digests = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (weights, card)}
    config = FaceForgeryConfig(weights_sha256=digests[weights], card_sha256=digests[card])
    return FaceForgeryDetector(config, weights_path=weights, card_path=card)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detectors", nargs="+", default=["faceforgery", "cnn", "frequency"])
    parser.add_argument("--weights", type=Path, help="face-forgery weights to use instead of the shipped ones")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"needs {CORPUS}")
    detectors = [get_detector(name)() for name in args.detectors if not (args.weights and name == "faceforgery")]
    if args.weights:
        detectors.insert(0, other_weights(args.weights))
    for title, items in development_sets().items():
        inputs = evidence_inputs(items)
        labels = [i.label for i in items]
        by_path = {e.path: i for e, i in zip(inputs, items, strict=True)}
        scores: dict[str, dict[Path, float | None]] = {d.name: {} for d in detectors}
        frames: dict[str, tuple[list[float], list[int]]] = {d.name: ([], []) for d in detectors}
        for evidence, detector, findings in analyse_items(detectors, inputs):
            scores[detector.name][evidence.path] = detector.validation_score(findings)
            logits = _frame_logits(findings)
            frames[detector.name][0].extend(logits)
            frames[detector.name][1].extend([by_path[evidence.path].label] * len(logits))
        print(f"\n{title}: {labels.count(0)} real, {labels.count(1)} fake")
        for d in detectors:
            print(f"  {d.name:12s} {_auc([scores[d.name].get(i.path) for i in items], labels)}")
            if frames[d.name][0] and "video" in title:
                print(f"  {'  frames':12s} {_auc(*frames[d.name])}")
        trivial_scores = [trivial(i) for i in items]
        for key in sorted({k for t in trivial_scores for k in t}):
            print(f"  {key:12s} {_auc([t.get(key) for t in trivial_scores], labels)}")
        if "video" in title:
            for d in detectors:
                shown = ", ".join(f"{i.path.name} ({'fake' if i.label else 'real'}) "
                                  f"{scores[d.name].get(i.path) or float('nan'):.3f}" for i in items)
                print(f"  {d.name} clip scores: {shown}")


if __name__ == "__main__":
    main()
