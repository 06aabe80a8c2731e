"""Build forensics/data/jpeg_digests.json from the installed exiftool's JPEGDigest table.

ExifTool's Image::ExifTool::JPEGDigest module names the encoder of a JPEG from an MD5
digest of its quantization tables (collected by Jens Duttke and Franz Buchinger): the
IJG library at each quality, Photoshop, Lightroom, QuickTime and other software, and, in
its "Devices" section, cameras. This script reads that Perl module as text (nothing is
copied by hand), keeps every digest with every name it is given there (a digest listed
twice keeps both names; exiftool itself prints the last), marks each as "software" or
"device" by the module's own section, and writes the table with where it came from.

    python scripts/jpeg_digest_table.py [--module PATH] [--out forensics/data/jpeg_digests.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
from pathlib import Path

DEFAULT_MODULE = Path("/usr/share/perl5/Image/ExifTool/JPEGDigest.pm")  # Debian's libimage-exiftool-perl
OUT = Path(__file__).resolve().parents[1] / "forensics" / "data" / "jpeg_digests.json"
_ENTRY = re.compile(r"^\s*'([0-9a-f]{32}(?::[0-9]+)?)'\s*=>\s*'([^'\\]*)',\s*$")
_VERSION = re.compile(r"^\$VERSION\s*=\s*'([^']+)'")


def parse(text: str) -> dict[str, list[list[str]]]:
    """digest key -> [[kind, name], ...] from the module's ``%PrintConv`` hash."""
    start = text.index("my %PrintConv")
    body = text[start:text.index("\n);", start)]
    entries: dict[str, list[list[str]]] = {}
    kind = "software"
    for line in body.splitlines():
        if line.strip() == "# Devices":  # the module's own split between programs and cameras
            kind = "device"
        match = _ENTRY.match(line)
        if match:
            named = entries.setdefault(match.group(1), [])
            if match.group(2) not in (name for _, name in named):
                named.append([kind, match.group(2)])
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", type=Path, default=DEFAULT_MODULE)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    raw = args.module.read_bytes()
    text = raw.decode("latin-1")
    version = next((m.group(1) for m in map(_VERSION.match, text.splitlines()) if m), None)
    exiftool = subprocess.run(["exiftool", "-ver"], capture_output=True, text=True, check=True).stdout.strip()
    entries = parse(text)
    table = {
        "source": {
            "module": "Image::ExifTool::JPEGDigest",
            "module_version": version,
            "exiftool_version": exiftool,
            "module_sha256": hashlib.sha256(raw).hexdigest(),
            "authors": "Phil Harvey; digests collected by Jens Duttke and Franz Buchinger",
            "licence": "same terms as Perl itself (Artistic License or GPL), as the module states",
            "built_by": "python scripts/jpeg_digest_table.py",
        },
        "digest": ("MD5 of the JPEG's DQT segment bodies, one per table index (the last segment that "
                   "defines it), joined by a zero byte in index order; a key with ':' adds the sampling "
                   "factors of the 3 components (hex) when the bare digest is not in the table"),
    }
    head = json.dumps(table, indent=1, sort_keys=True, ensure_ascii=False)[:-2]
    lines = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in sorted(entries.items()))
    # one digest a line: a rebuilt table reads as a diff
    args.out.write_text(f'{head},\n "entries": {{\n{lines}\n }}\n}}\n', encoding="utf-8")
    devices = sum(any(kind == "device" for kind, _ in v) for v in entries.values())
    print(f"{len(entries)} digests ({devices} of devices) from {args.module} "
          f"(JPEGDigest {version}, ExifTool {exiftool}) -> {args.out}")


if __name__ == "__main__":
    main()
