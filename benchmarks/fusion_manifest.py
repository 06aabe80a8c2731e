"""Write the fusion's validation manifest: the CNN's held-out files (listed in its model
card) that the face-forgery training did not use either (its card lists the real files it
held out; it used no fake at all). None of the fused detectors was trained on these.

Run: python benchmarks/fusion_manifest.py OUT.tsv
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
DATA = REPO / "forensics" / "data"


def faceforgery_training_files() -> set[str]:
    """The real files of the face-forgery training manifests that its card does not
    list as held out: those it was trained on."""
    card = json.loads((DATA / "faceforgery_default.card.json").read_text())
    held_out = {f["path"] for f in card["data"]["held_out_files"]}
    used: set[str] = set()
    for source in card["data"]["inputs"]:
        with (CORPUS / source["manifest"]).open(newline="", encoding="utf-8") as handle:
            used |= {row["local_path"] for row in csv.DictReader(handle, delimiter="\t")
                     if row["label"] == "real" and row["local_path"] not in held_out}
    return used


def main(out: Path) -> None:
    cnn = json.loads((DATA / "cnn_default.card.json").read_text())
    trained = faceforgery_training_files()
    rows = ["label\tpath\tgroup"]
    left_out = 0
    for item in cnn["data"]["held_out_files"]:
        if item["path"] in trained:
            left_out += 1
            continue
        rows.append(f"{item['label']}\t{(CORPUS / item['path']).resolve()}\t{item['group']}")
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"{len(rows) - 1} files written to {out} ({left_out} left out: face-forgery training files)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
