"""Write the fusion's validation manifest: the CNN's held-out files (listed in its model
card) that neither the face-forgery training (its card lists the real files it held out;
it used no fake at all) nor the generated-image head (its card lists the images it held
out; it trained on the other images of its manifests, never on videos) used. None of the
fused detectors was trained on these.

Run: python benchmarks/fusion_manifest.py OUT.tsv
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from forensics.training.synthetic_data import IMAGE_SUFFIXES

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


def synthetic_training_files() -> set[str]:
    """The images of the generated-image head's manifests that its card does not list as
    held out (whether it trained on each or left it out as too small)."""
    card = json.loads((DATA / "synthetic_default.json").read_text())["card"]
    held_out = set(card["data"]["held_out_files"])
    used: set[str] = set()
    for source in card["data"]["inputs"]:
        with (CORPUS / source["manifest"]).open(newline="", encoding="utf-8") as handle:
            used |= {row["local_path"] for row in csv.DictReader(handle, delimiter="\t")
                     if row["label"] in ("real", "fake") and Path(row["local_path"]).suffix.lower() in IMAGE_SUFFIXES
                     and row["local_path"] not in held_out}
    return used


def main(out: Path) -> None:
    cnn = json.loads((DATA / "cnn_default.card.json").read_text())
    trained = faceforgery_training_files() | synthetic_training_files()
    rows = ["label\tpath\tgroup"]
    left_out = 0
    for item in cnn["data"]["held_out_files"]:
        if item["path"] in trained:
            left_out += 1
            continue
        rows.append(f"{item['label']}\t{(CORPUS / item['path']).resolve()}\t{item['group']}")
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"{len(rows) - 1} files written to {out} "
          f"({left_out} left out: face-forgery or generated-image training files)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
