"""The file-structure detector over the images and videos of ../shared/corpus: for each
group of files (camera originals, generator outputs, files re-saved by software, other
real files, unknown), how many give each signal and each reference outcome (the JPEG
tables against exiftool's JPEGDigest table and the EXIF camera; the video layout against
known writers and reference devices), which files give a generator signal (none may be a
camera original), and its speed beside Pillow's decoding of the same images.

    python benchmarks/structure_corpus.py [--out counts.json]

Groups, from the manifests' labels and notes: "camera original" = MANIFEST category
metadata, label real (camera or phone files with their own EXIF); "generator output" =
label fake (generated images, face swaps); "re-saved" = MANIFEST category metadata,
label unknown (files re-saved by editors, C2PA edit chains); "real, other" = other real
files (face datasets, web photos, talking-head clips); "unknown" = the rest.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import time
from collections import Counter
from pathlib import Path

from PIL import Image

from forensics.detectors.structure import StructureDetector
from forensics.evidence.sniff import sniff_media_type
from forensics.model import EvidenceInput, Verdict

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
IMAGES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".heic", ".heif")
VIDEOS = (".mp4", ".mov", ".m4v")
GROUPS = ("camera original", "generator output", "re-saved", "real, other", "unknown")


def group(row: dict[str, str]) -> str:
    if row["label"] == "fake":
        return "generator output"
    if row["category"] == "metadata" and row["manifest"] == "MANIFEST.tsv":
        return {"real": "camera original", "unknown": "re-saved"}.get(row["label"], "unknown")
    return "real, other" if row["label"] == "real" else "unknown"


def corpus_rows() -> list[dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for manifest in ("MANIFEST.tsv", "FACES.tsv", "REAL_FACES.tsv"):
        with (CORPUS / manifest).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["local_path"].lower().endswith(IMAGES + VIDEOS):
                    rows.setdefault(row["local_path"], {**row, "manifest": manifest})  # a file listed twice counts once
    return list(rows.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the counts as JSON")
    args = parser.parse_args()
    rows = corpus_rows()
    detector = StructureDetector()
    counts: Counter[tuple[str, str]] = Counter()
    files: Counter[str] = Counter(group(r) for r in rows)
    generator_files: list[str] = []
    started = time.perf_counter()
    for row in rows:
        path = CORPUS / row["local_path"]
        evidence = EvidenceInput(path, hashlib.sha256(path.read_bytes()).hexdigest(), sniff_media_type(path), path.name)
        for finding in detector.run(evidence):
            signal = finding.details.get("signal", "error") if finding.verdict != Verdict.ERROR else "error"
            counts[(signal, group(row))] += 1
            if finding.verdict == Verdict.SUPPORTS_MANIPULATION:
                generator_files.append(f"{group(row)}: {signal}: {row['local_path']}")
            if signal == "jpeg_quantization":  # (the double-JPEG finding repeats the same details)
                outcome = finding.details["camera_reference"]
                ijg = " (IJG tables)" if outcome == "software" and finding.details["ijg_quality"] is not None else ""
                counts[(f"  camera_reference {outcome}{ijg}", group(row))] += 1
                if group(row) == "camera original":
                    named = "; ".join(finding.details["reference_encoders"][:2]) or "not in the table"
                    print(f"{group(row):16s} {outcome}{ijg}: {row['local_path']} "
                          f"(EXIF '{finding.details['exif_camera']}'; {named})")
            if signal.startswith("container"):
                counts[(f"  device_reference {finding.details['device_reference']}", group(row))] += 1
                writers = ", ".join(w["name"] for w in finding.details["writers"]) or finding.details[
                    "reference_device"]
                print(f"{group(row):16s} {signal}: {row['local_path']} ({writers})")
    took = time.perf_counter() - started
    decode_started = time.perf_counter()
    for row in (r for r in rows if r["local_path"].lower().endswith(IMAGES)):
        with Image.open(CORPUS / row["local_path"]) as img:
            img.load()
    decode = time.perf_counter() - decode_started

    print(f"\n{'signal (findings)':40s}" + "".join(f"{g:>18s}" for g in GROUPS))
    print(f"{'files':40s}" + "".join(f"{files[g]:18d}" for g in GROUPS))
    for signal in sorted({s for s, _ in counts}, key=lambda s: (s.startswith("  "), s)):
        print(f"{signal:40s}" + "".join(f"{counts[(signal, g)]:18d}" for g in GROUPS))
    originals = [f for f in generator_files if f.startswith("camera original")]
    print(f"\ngenerator signals: {len(generator_files)}; on camera originals: {len(originals)}")
    print("\n".join(generator_files))
    print(f"{len(rows)} files: detector {took:.1f} s ({1000 * took / len(rows):.0f} ms each); "
          f"Pillow decode of the images alone {decode:.1f} s")
    if args.out:
        table = {"files": dict(files), "counts": [{"signal": s.strip(), "group": g, "findings": n}
                                                  for (s, g), n in sorted(counts.items())],
                 "generator_signals": generator_files, "detector_version": detector.version,
                 "weights_digest": detector.weights_digest}
        args.out.write_text(json.dumps(table, indent=1) + "\n")


if __name__ == "__main__":
    main()
