"""Blink detector evaluation against the hand annotations in ../shared/corpus.

Event-level scoring: a detected blink matches an annotated one when their frame intervals
[start, end] overlap; matching is one to one (each annotated blink in time order takes the
first unmatched detection that overlaps it). Detections that overlap an annotated
unscorable range are left out of the scoring. Reports precision and recall pooled over
all clips and per clip, and whether each clip's count is within 1 of the annotation.
Then a table of blink count, rate and unscorable share for every video of the corpus
(face_videos, blink_videos and FACES.tsv's videos).

    python benchmarks/blink_eval.py [--corpus DIR] [--json OUT]

The parameters are the detector's defaults; nothing is fitted per clip.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from forensics.detectors.blink import BlinkDetector
from forensics.model import EvidenceInput, Finding

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
TARGET = 0.9


def run_detector(path: Path) -> Finding:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    (finding,) = BlinkDetector().run(EvidenceInput(path, sha, "video/mp4", path.name))
    return finding


def match(truth: list[tuple[int, int]], detected: list[tuple[int, int]]) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) under one-to-one overlap."""
    used: set[int] = set()
    tp = 0
    for start, end in sorted(truth):
        for j, (s, e) in enumerate(detected):
            if j not in used and s <= end and start <= e:
                used.add(j)
                tp += 1
                break
    return tp, len(detected) - tp, len(truth) - tp


def evaluate(corpus: Path) -> dict[str, Any]:
    annotations = json.loads((corpus / "BLINK_ANNOTATIONS.json").read_text())
    rows = []
    for clip in annotations:
        finding = run_detector(corpus / clip["video"])
        unscorable = [tuple(r) for r in clip["unscorable"]]
        detected = [
            (e["start_frame"], e["end_frame"])
            for e in finding.details["events"]
            if not any(s <= e["end_frame"] and e["start_frame"] <= t for s, t in unscorable)
        ]
        truth = [(b["start"], b["end"]) for b in clip["blinks"]]
        tp, fp, fn = match(truth, detected)
        rows.append({
            "video": clip["video"], "annotated": len(truth), "detected": len(detected),
            "tp": tp, "fp": fp, "fn": fn, "count_within_1": abs(len(detected) - len(truth)) <= 1,
            "detected_events": [list(d) for d in detected], "annotated_events": [list(t) for t in truth],
        })
    tp = sum(r["tp"] for r in rows)
    fp = sum(r["fp"] for r in rows)
    fn = sum(r["fn"] for r in rows)
    return {
        "clips": rows,
        "pooled": {
            "tp": tp, "fp": fp, "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None,
        },
    }


def corpus_videos(corpus: Path) -> list[str]:
    found = {str(p.relative_to(corpus))
             for sub in ("face_videos", "blink_videos") for p in (corpus / sub).rglob("*.mp4")}
    faces_tsv = corpus / "FACES.tsv"
    if faces_tsv.exists():
        with faces_tsv.open(newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row.get("local_path", "").endswith((".mp4", ".mov", ".webm", ".avi")):
                    found.add(row["local_path"])
    return sorted(found)


def survey(corpus: Path) -> list[dict[str, Any]]:
    rows = []
    for video in corpus_videos(corpus):
        started = time.perf_counter()
        finding = run_detector(corpus / video)
        d = finding.details
        rows.append({
            "video": video, "verdict": finding.verdict.value, "blinks": d.get("blink_count"),
            "per_minute": d.get("blinks_per_minute"), "scorable_s": d.get("scorable_seconds"),
            "total_s": d.get("total_seconds"), "unscorable_share": d.get("unscorable_share"),
            "peaks": [e["peak_frame"] for e in d.get("events", [])],
            "seconds": round(time.perf_counter() - started, 2), "reason": finding.reason,
        })
        print(f"  ... {video}: {d.get('blink_count')} blinks", file=sys.stderr, flush=True)
    return rows


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", type=Path, help="write all results here")
    parser.add_argument("--skip-survey", action="store_true", help="annotated clips only")
    args = parser.parse_args()
    if not (args.corpus / "BLINK_ANNOTATIONS.json").exists():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    result = evaluate(args.corpus)
    print("Event-level scoring against BLINK_ANNOTATIONS.json (overlap, one to one)")
    print(f"{'clip':<16} {'annotated':>9} {'detected':>8} {'TP':>3} {'FP':>3} {'FN':>3}  count within 1")
    for r in result["clips"]:
        print(f"{Path(r['video']).name:<16} {r['annotated']:>9} {r['detected']:>8} {r['tp']:>3} "
              f"{r['fp']:>3} {r['fn']:>3}  {'yes' if r['count_within_1'] else 'NO'}")
    pooled = result["pooled"]
    print(f"pooled: precision {_fmt(pooled['precision'], 3)}, recall {_fmt(pooled['recall'], 3)} "
          f"(TP {pooled['tp']}, FP {pooled['fp']}, FN {pooled['fn']}; target >= {TARGET})")
    ok = (pooled["precision"] or 0) >= TARGET and (pooled["recall"] or 0) >= TARGET
    ok = ok and all(r["count_within_1"] for r in result["clips"])
    if not args.skip_survey:
        result["survey"] = survey(args.corpus)
        print("\nEvery corpus video (default settings)")
        print(f"{'video':<28} {'blinks':>6} {'/min':>6} {'scorable s':>10} {'unscorable':>10}  verdict")
        for r in result["survey"]:
            share = "-" if r["unscorable_share"] is None else f"{100 * r['unscorable_share']:.0f} %"
            print(f"{Path(r['video']).name:<28} {r['blinks']!s:>6} {_fmt(r['per_minute']):>6} "
                  f"{_fmt(r['scorable_s']):>10} {share:>10}  {r['verdict']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
