"""Write the frequency detector's validation set as one manifest: FACES.tsv's face images
plus the camera originals of ../shared/corpus/metadata (MANIFEST.tsv, label real).

Run: python benchmarks/frequency_validation_manifest.py OUT.tsv

Why the camera originals: a full-resolution camera image keeps its demosaicing grid, a
period-2 structure like the one up-sampling layers leave, and camera originals are the
commonest real evidence in casework. Calibrating on faces alone (none at sensor
resolution) would state support for manipulation on phone photographs that no
validation file ever tested. Files too small to analyse (thumbnails of a few pixels)
are listed anyway: the validation run counts them as unscored.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".heic", ".heif")


def _rows(manifest: Path, keep) -> list[dict[str, str]]:
    with manifest.open(encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh, delimiter="\t") if keep(r)]


def main(out: Path) -> None:
    faces = _rows(CORPUS / "FACES.tsv", lambda r: r["category"] == "face_images")
    cameras = _rows(
        CORPUS / "MANIFEST.tsv",
        lambda r: r["category"] == "metadata"
        and r["label"] == "real"
        and r["local_path"].lower().endswith(IMAGE_SUFFIXES),
    )
    lines = ["label\tpath\tgroup\tsource"]
    for source, rows in (("FACES.tsv", faces), ("MANIFEST.tsv metadata", cameras)):
        for r in rows:
            path = (CORPUS / r["local_path"]).resolve()
            # one scene saved twice (e.g. JPEG and HEIF of one shot) stays in one split
            group = str(Path(r["local_path"]).with_suffix(""))
            lines.append(f"{r['label']}\t{path}\t{group}\t{source}")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(faces)} face images and {len(cameras)} camera originals written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
