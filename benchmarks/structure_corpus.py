"""The file-structure detector over the images and videos of ../shared/corpus: per
manifest label and category, how many files give each signal (and which files give the
strong ones), and its speed on the images beside Pillow's decoding of the same files.

    python benchmarks/structure_corpus.py
"""

from __future__ import annotations

import csv
import hashlib
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


def main() -> None:
    rows = []
    for manifest in ("MANIFEST.tsv", "FACES.tsv", "REAL_FACES.tsv"):
        with (CORPUS / manifest).open(newline="", encoding="utf-8") as handle:
            rows += [r for r in csv.DictReader(handle, delimiter="\t")
                     if r["local_path"].lower().endswith(IMAGES + VIDEOS)]
    rows = list({r["local_path"]: r for r in rows}.values())  # a file listed twice counts once
    detector = StructureDetector()
    counts: Counter[tuple[str, str, str]] = Counter()
    strong: list[str] = []
    started = time.perf_counter()
    for row in rows:
        path = CORPUS / row["local_path"]
        evidence = EvidenceInput(path, hashlib.sha256(path.read_bytes()).hexdigest(), sniff_media_type(path), path.name)
        for finding in detector.run(evidence):
            signal = finding.details.get("signal", "error") if finding.verdict != Verdict.ERROR else "error"
            counts[(row["label"], row["category"], signal)] += 1
            if finding.verdict == Verdict.SUPPORTS_MANIPULATION or signal.startswith("container"):
                writers = ", ".join(w["name"] for w in finding.details.get("writers", []))
                strong.append(f"{row['label']:7s} {signal}: {row['local_path']} {writers}")
            if signal == "jpeg_quantization":
                ijg = "IJG" if finding.details["ijg_quality"] is not None else "non-IJG"
                counts[(row["label"], row["category"], f"  tables {ijg}")] += 1
    took = time.perf_counter() - started
    decode_started = time.perf_counter()
    for row in (r for r in rows if r["local_path"].lower().endswith(IMAGES)):
        with Image.open(CORPUS / row["local_path"]) as img:
            img.load()
    decode = time.perf_counter() - decode_started
    for key in sorted(counts):
        print(f"{key[0]:8s} {key[1]:18s} {key[2]:34s} {counts[key]:5d}")
    print("\n".join(strong))
    print(f"{len(rows)} files: detector {took:.1f} s ({1000 * took / len(rows):.0f} ms each); "
          f"Pillow decode alone {decode:.1f} s")


if __name__ == "__main__":
    main()
