"""Held-out evaluation of the shipped CNN against trivial scores that look at no face.

Runs the CNN detector (shipped weights, as in a case) over the files its model card
lists as held out of training, and on the same files scores that read only how the
file was stored: pixel count, file format (PNG 1, else 0), bytes per pixel, video
resolution and bitrate. With few sources, such scores can separate the classes; the
CNN must do better to have learned anything about faces.

For each trivial score the AUC is given as measured (higher = "fake") and in its best
direction, max(AUC, 1 - AUC): the most any rule on that number could reach. 95%
intervals: stratified percentile bootstrap (2000 resamples). Files without a face are
listed and left out of every row (the CNN gives no score there).

A second image table re-stores every held-out image alike (centre square, 512 x 512,
JPEG quality 90) and scores it again: there the trivial scores lose their grip and
what is left is what the picture itself shows.

    python benchmarks/cnn_eval.py [--corpus ../shared/corpus] [--heatmaps DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from forensics.detectors.cnn import CnnDetector, default_card_path
from forensics.evidence.sniff import sniff_media_type
from forensics.media.video import probe_video
from forensics.model import EvidenceInput, Verdict
from forensics.validation.metrics import bootstrap_auc

REPO = Path(__file__).resolve().parents[1]


def _pixels(path: Path, kind: str) -> tuple[int, int]:
    if kind == "video":
        info = probe_video(path)
        return info.width, info.height
    from PIL import Image

    with Image.open(path) as img:
        return img.size


def trivial_scores(path: Path, kind: str) -> dict[str, float]:
    """Scores that look at no face: only at how the file is stored."""
    width, height = _pixels(path, kind)
    size = path.stat().st_size
    out = {"pixel_count": float(width * height), "bytes_per_pixel": size / (width * height)}
    if kind == "video":
        info = probe_video(path)
        out["bitrate_bps"] = 8.0 * size / (info.duration_s or 1.0)
    else:
        out["format_png"] = float(sniff_media_type(path) == "image/png")
    return out


def auc_text(scores: list[float], labels: list[int], best: bool = False) -> str:
    """AUC [95% CI] with "higher = fake"; with ``best`` also the better of both directions."""
    if len(set(labels)) < 2:
        return "n/a (one class)"
    ci = bootstrap_auc(scores, labels)
    text = f"{ci.estimate:.3f} [{ci.low:.3f}, {ci.high:.3f}]"
    if best:
        text += f"   best direction {max(ci.estimate, 1 - ci.estimate):.3f}"
    return text


def restored(path: Path, out_dir: Path, side: int = 512, quality: int = 90) -> Path:
    """The image's centre square at ``side`` pixels, saved as JPEG ``quality``: every
    file stored alike, so size, format and compression tell nothing about the class."""
    from PIL import Image

    with Image.open(path) as img:
        rgb = img.convert("RGB")
    w, h = rgb.size
    m = min(w, h)
    square = rgb.crop(((w - m) // 2, (h - m) // 2, (w - m) // 2 + m, (h - m) // 2 + m))
    target = out_dir / (hashlib.sha256(str(path).encode()).hexdigest()[:16] + ".jpg")
    square.resize((side, side), Image.Resampling.LANCZOS).save(target, "JPEG", quality=quality)
    return target


def evaluate(corpus: Path, heatmaps: Path | None, restore_dir: Path | None = None) -> dict[str, Any]:
    """Score the held-out files (images re-stored alike into ``restore_dir`` if given)."""
    card = json.loads(default_card_path().read_text())
    held = card["data"]["held_out_files"]
    if restore_dir is not None:
        held = [e for e in held if not e["path"].endswith(".mp4")]
    rows: list[dict[str, Any]] = []
    no_face: list[str] = []
    started = time.perf_counter()
    with CnnDetector() as detector:
        for entry in held:
            path = corpus / entry["path"]
            if restore_dir is not None:
                path = restored(path, restore_dir)
            media = sniff_media_type(path)
            evidence = EvidenceInput(path, hashlib.sha256(path.read_bytes()).hexdigest(), media, path.name)
            [finding] = detector.run(evidence)
            if finding.verdict in (Verdict.INCONCLUSIVE, Verdict.ERROR) or finding.score is None:
                no_face.append(entry["path"])
                continue
            kind = evidence.kind
            row = {"path": entry["path"], "label": int(entry["label"] == "fake"), "kind": kind,
                   "group": entry["group"], "trivial": trivial_scores(path, kind)}  # fmt: skip
            if kind == "video":
                timeline = next(a for a in finding.artifacts if a.name == "cnn_frame_scores")
                row["frames"] = [f["logit"] for f in json.loads(timeline.data)["frames"] if f["face"]]
                row["clip"] = finding.details["clip_logit"]
                if heatmaps is not None:
                    heatmaps.mkdir(parents=True, exist_ok=True)
                    for art, ref in zip(finding.artifacts[1:], finding.details["gradcam"], strict=True):
                        (heatmaps / f"{path.stem}_frame{ref['frame_index']}.png").write_bytes(art.data)
            else:
                row["image"] = finding.details["logit"]
            rows.append(row)
    return {"card": card, "rows": rows, "no_face": no_face, "seconds": time.perf_counter() - started}


def image_table(title: str, images: list[dict[str, Any]]) -> None:
    y = [r["label"] for r in images]
    print(f"{title}  ({y.count(0)} real, {y.count(1)} fake)")
    print(f"  {'CNN (Meso-4 logit)':34s} AUC {auc_text([r['image'] for r in images], y)}")
    for k in ("pixel_count", "format_png", "bytes_per_pixel"):
        print(f"  {'trivial: ' + k:34s} AUC {auc_text([r['trivial'][k] for r in images], y, True)}")
    print()


def report(result: dict[str, Any]) -> None:
    card, rows = result["card"], result["rows"]
    images = [r for r in rows if r["kind"] == "image"]
    videos = [r for r in rows if r["kind"] == "video"]
    print(f"model: {card['architecture']['name']}, {card['architecture']['parameters']} parameters, "
          f"weights {card['weights_sha256'][:16]}..., trained {card['training']['seconds']:.0f} s "
          f"on {card['training']['device']} ({card['training']['threads']} thread(s))")  # fmt: skip
    print("held-out split (files, by repository folder and label):")
    held_out = Counter((Path(e["path"]).parts[1], e["label"]) for e in card["data"]["held_out_files"])
    for key, n in sorted(held_out.items()):
        print(f"  {n:4d}  {key[1]:4s}  {key[0]}")
    names = ", ".join(Path(r["path"]).name + ("(fake)" if r["label"] else "(real)") for r in videos)
    print(f"held-out videos: {names}")
    print(f"no face found (left out): {len(result['no_face'])}: {', '.join(Path(p).name for p in result['no_face'])}")
    print(f"evaluation took {result['seconds']:.0f} s\n")

    def table(title: str, n: tuple[int, int], lines: list[tuple[str, list[float], list[int], bool]]) -> None:
        print(f"{title}  ({n[0]} real, {n[1]} fake)")
        for name, scores, labels, best in lines:
            print(f"  {name:34s} AUC {auc_text(scores, labels, best)}")
        print()

    image_table("images as stored (one face crop each)", images)
    frames = [(s, r) for r in videos for s in r["frames"]]
    y_fr = [r["label"] for _, r in frames]
    table("video frames (sampled face crops)", (y_fr.count(0), y_fr.count(1)), [
        ("CNN (Meso-4 logit per frame)", [s for s, _ in frames], y_fr, False),
        *[(f"trivial: video {k}", [r["trivial"][k] for _, r in frames], y_fr, True)
          for k in ("pixel_count", "bitrate_bps")],
    ])  # fmt: skip
    # a real clip and its own manipulation (same group): only the face differs
    mixed = {r["group"] for r in videos if r["label"]} & {r["group"] for r in videos if not r["label"]}
    pairs = [(s, r) for s, r in frames if r["group"] in mixed]
    y_pair = [r["label"] for _, r in pairs]
    table(f"video frames of real/fake pairs only ({', '.join(sorted(mixed))})", (y_pair.count(0), y_pair.count(1)), [
        ("CNN (Meso-4 logit per frame)", [s for s, _ in pairs], y_pair, False),
        *[(f"trivial: video {k}", [r["trivial"][k] for _, r in pairs], y_pair, True)
          for k in ("pixel_count", "bitrate_bps")],
    ])  # fmt: skip
    y_clip = [r["label"] for r in videos]
    table("clips (mean of per-frame logits)", (y_clip.count(0), y_clip.count(1)), [
        ("CNN (clip logit)", [r["clip"] for r in videos], y_clip, False),
        *[(f"trivial: video {k}", [r["trivial"][k] for r in videos], y_clip, True)
          for k in ("pixel_count", "bitrate_bps")],
    ])  # fmt: skip
    everything = [(r["image"], r) for r in images] + frames
    y_all = [r["label"] for _, r in everything]
    table("all face crops (images + video frames)", (y_all.count(0), y_all.count(1)), [
        ("CNN", [s for s, _ in everything], y_all, False),
        ("trivial: pixel_count", [r["trivial"]["pixel_count"] for _, r in everything], y_all, True),
    ])  # fmt: skip
    for r in videos:
        print(f"clip {Path(r['path']).name:22s} {'fake' if r['label'] else 'real'}  mean logit "
              f"{r['clip']:+.3f}  frames {min(r['frames']):+.2f}..{max(r['frames']):+.2f}  "
              f"{r['trivial']['pixel_count']:.0f} px  {r['trivial']['bitrate_bps'] / 1e3:.0f} kbit/s")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--heatmaps", type=Path, help="write the clips' Grad-CAM PNGs here")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"the shared corpus is absent ({args.corpus})", file=sys.stderr)
        return 1
    import torch

    torch.set_num_threads(2)
    report(evaluate(args.corpus, args.heatmaps))
    with tempfile.TemporaryDirectory() as tmp:
        again = evaluate(args.corpus, None, Path(tmp))
    image_table("the same images re-stored alike (centre square, 512x512, JPEG q90)",
                [r for r in again["rows"] if r["kind"] == "image"])  # fmt: skip
    print(f"no face after re-storing: {len(again['no_face'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
