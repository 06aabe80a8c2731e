"""The JPEGDigest computed here against exiftool's own, on every JPEG of ../shared/corpus,
and what the shipped table names for them.

    python benchmarks/jpeg_digest_check.py

exiftool is run once over all files (``-JPEGDigest#``: the key, not its name); prints the
files compared, the mismatches (must be 0), and the files whose digest the table names.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from forensics.detectors.jpeg_reference import jpeg_digest, shipped_table

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def main() -> None:
    files = sorted(str(p) for p in CORPUS.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg"))
    out = subprocess.run(["exiftool", "-j", "-JPEGDigest#", "-@", "-"], input="\n".join(files),
                         capture_output=True, text=True, check=True).stdout
    table = shipped_table()
    mismatches, named = [], 0
    for record in json.loads(out):
        ours, encoders = table.lookup(jpeg_digest(Path(record["SourceFile"]).read_bytes()))
        named += bool(encoders)
        if ours != record.get("JPEGDigest"):
            mismatches.append(f"{record['SourceFile']}: here {ours}, exiftool {record.get('JPEGDigest')}")
    print(f"{len(files)} JPEGs: {len(mismatches)} digests differ from exiftool's; {named} named by the table "
          f"({table.source['module']} {table.source['module_version']}, ExifTool {table.source['exiftool_version']})")
    print("\n".join(mismatches))


if __name__ == "__main__":
    main()
