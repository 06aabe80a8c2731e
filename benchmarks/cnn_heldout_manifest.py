"""Write the CNN's held-out files (listed in its model card) as a validation manifest.

Run: python benchmarks/cnn_heldout_manifest.py OUT.tsv
The CNN may only be validated on files it was not trained on; this is that list.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


def main(out: Path) -> None:
    card = json.loads((REPO / "forensics" / "data" / "cnn_default.card.json").read_text())
    rows = ["label\tpath\tgroup"]
    for item in card["data"]["held_out_files"]:
        rows.append(f"{item['label']}\t{(CORPUS / item['path']).resolve()}\t{item['group']}")
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"{len(rows) - 1} held-out files written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
