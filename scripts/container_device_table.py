"""Build forensics/data/container_devices.json: the container layouts of the camera
originals in ../shared/corpus, the reference the structure detector compares videos with.

Which files: every video labelled "real" in the corpus's manifests (MANIFEST.tsv,
FACES.tsv, REAL_FACES.tsv). A file whose layout carries a re-encoder's traces
(``writer_signature``: FFmpeg, HandBrake, L-SMASH) is not a camera original and is left
out, with the reason, in the table's ``excluded`` list. The device's name is the Make
and Model exiftool reads from the file (its maker notes included). exiftool's own test
set is not installed with Debian's libimage-exiftool-perl (no t/ folder); the corpus's
copy of its t/images is what is used here.

    python scripts/container_device_table.py [--corpus ../shared/corpus] [--out forensics/data/container_devices.json]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import subprocess
from pathlib import Path

from forensics.detectors.container_structure import read_layout, writer_signature

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = (".mp4", ".mov", ".m4v", ".3gp")
MANIFESTS = ("MANIFEST.tsv", "FACES.tsv", "REAL_FACES.tsv")


def _rows(corpus: Path) -> list[dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for manifest in MANIFESTS:
        with (corpus / manifest).open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["label"] == "real" and row["local_path"].lower().endswith(VIDEOS):
                    rows.setdefault(row["local_path"], {**row, "manifest": manifest})
    return [rows[k] for k in sorted(rows)]


def _device(path: Path) -> str:
    out = subprocess.run(["exiftool", "-j", "-Make", "-Model", str(path)], capture_output=True, check=True).stdout
    record = json.loads(out)[0]
    return " ".join(str(record[k]).strip() for k in ("Make", "Model") if record.get(k)).strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--out", type=Path, default=ROOT / "forensics" / "data" / "container_devices.json")
    args = parser.parse_args()
    devices: list[dict[str, object]] = []
    excluded: list[dict[str, str]] = []
    for row in _rows(args.corpus):
        path = args.corpus / row["local_path"]
        where = {"manifest": row["manifest"], "repository": row["source_repo"], "path": row["path_in_repo"],
                 "commit": row["commit"], "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
        layout = read_layout(path)
        rewriters = [w.name for w in writer_signature(layout) if w.kind == "re-encoder"]
        device = _device(path)
        if rewriters or not device:
            reason = f"rewritten by {', '.join(rewriters)}" if rewriters else "names no device"
            excluded.append({**where, "reason": reason})
            continue
        devices.append({"device": device, "source": f"{row['source_repo']}/{row['path_in_repo']}",
                        "from": where, "signature": layout.signature(), "user_data": layout.user_data})
    version = subprocess.run(["exiftool", "-ver"], capture_output=True, text=True, check=True).stdout.strip()
    table = {"built_by": "python scripts/container_device_table.py", "exiftool_version": version,
             "rule": __doc__.split("\n\n")[1].replace("\n", " "), "devices": devices, "excluded": excluded}
    args.out.write_text(json.dumps(table, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(devices)} device layouts, {len(excluded)} real videos left out -> {args.out}")
    for entry in devices:
        print(f"  {entry['device']}: {entry['source']}")
    for item in excluded:
        print(f"  left out {item['repository']}/{item['path']}: {item['reason']}")


if __name__ == "__main__":
    main()
