"""exiftool's JPEGDigest table: the digest computed here is exiftool's own (compared with
``exiftool -JPEGDigest`` on files made here), the shipped table is what the build script
makes of exiftool's module, and each outcome beside the camera the EXIF names."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from forensics.detectors.jpeg_reference import DigestTable, jpeg_digest, shipped_table

ROOT = Path(__file__).resolve().parents[2]
IJG_75 = "Independent JPEG Group library (used by many applications), Quality 75"


def _picture() -> Image.Image:
    return Image.fromarray((np.random.default_rng(7).random((48, 64, 3)) * 255).astype(np.uint8))


def _saved(path: Path, **options: object) -> Path:
    _picture().save(path, "JPEG", **options)
    return path


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
def test_the_digest_is_the_one_exiftool_computes(tmp_path):
    custom = [[2 + (i % 7) for i in range(64)], [3 + (i % 5) for i in range(64)], [4 + (i % 3) for i in range(64)]]
    files = [
        _saved(tmp_path / "q75.jpg", quality=75),
        _saved(tmp_path / "q90_444.jpg", quality=90, subsampling=0),
        _saved(tmp_path / "q95_prog.jpg", quality=95, progressive=True),
        _saved(tmp_path / "custom.jpg", qtables=custom[:2]),  # not in the table: digest with ':subsampling'
        _saved(tmp_path / "three.jpg", qtables=custom, subsampling=2),
    ]
    grey = tmp_path / "grey.jpg"
    _picture().convert("L").save(grey, "JPEG")  # exiftool gives no digest to a one-component JPEG
    files.append(grey)
    out = subprocess.run(["exiftool", "-j", "-JPEGDigest#", *map(str, files)], capture_output=True, check=True)
    expected = {Path(r["SourceFile"]).name: r.get("JPEGDigest") for r in json.loads(out.stdout)}
    table = shipped_table()
    found = {p.name: table.lookup(jpeg_digest(p.read_bytes()))[0] for p in files}
    assert found == expected
    assert found["grey.jpg"] is None and ":" in (found["custom.jpg"] or "") and ":" not in (found["q75.jpg"] or ":")


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("jpeg_digest_table", ROOT / "scripts" / "jpeg_digest_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_build_script_reads_entries_sections_and_repeated_digests():
    module = (
        "my %PrintConv = ( #JD\n"
        "    'f83c5bc303fa1f74265863c2c6844edf' => 'Independent JPEG Group library, Quality 0 or 1',\n"
        "  # 'commented' => 'not an entry',\n"
        "    # Devices\n"
        "    '118a60a90c56bcb363fdd93b911a3371:211111' => 'Nikon D50 / D80, Fine',\n"
        "    '118a60a90c56bcb363fdd93b911a3371:211111' => 'Panasonic DMC-FZ50/TZ3, High (A)',\n"
        ");\n'ffffffffffffffffffffffffffffffff' => 'after the hash',\n"
    )
    assert _script().parse(module) == {
        "f83c5bc303fa1f74265863c2c6844edf": [["software", "Independent JPEG Group library, Quality 0 or 1"]],
        "118a60a90c56bcb363fdd93b911a3371:211111": [["device", "Nikon D50 / D80, Fine"],
                                                    ["device", "Panasonic DMC-FZ50/TZ3, High (A)"]],
    }


def test_the_shipped_table_is_what_the_script_makes_of_the_installed_module():
    table = shipped_table()
    module = Path("/usr/share/perl5/Image/ExifTool/JPEGDigest.pm")
    if not module.is_file() or hashlib.sha256(module.read_bytes()).hexdigest() != table.source["module_sha256"]:
        pytest.skip("the exiftool module the table was built from is not installed here")
    entries = _script().parse(module.read_text(encoding="latin-1"))
    assert json.loads(table.path.read_text())["entries"] == entries
    assert table.lookup(jpeg_digest(_saved_bytes(quality=75)))[1][0].name == IJG_75


def _saved_bytes(**options: object) -> bytes:
    buffer = io.BytesIO()
    _picture().save(buffer, "JPEG", **options)
    return buffer.getvalue()


def _table(tmp_path: Path, entries: dict[str, list[list[str]]]) -> DigestTable:
    path = tmp_path / "table.json"
    path.write_text(json.dumps({"source": {"module": "test"}, "entries": entries}))
    return DigestTable(path)


def test_each_outcome_beside_the_claimed_camera(tmp_path):
    custom = [[2 + (i % 7) for i in range(64)], [3 + (i % 5) for i in range(64)]]
    data = _saved_bytes(qtables=custom)
    key = jpeg_digest(data)
    assert key is not None
    table = _table(tmp_path, {key: [["device", "Canon EOS 1DmkIII/5DmkII/40D/1000D, Fine"]],
                              key.split(":")[0]: [["software", "Canon ZoomBrowser EX, High"]]})
    # the bare digest is listed, so it is the one used (as exiftool does): software named "Canon"
    assert table.compare(data, "Canon", "Canon EOS 40D").outcome == "software"
    table = _table(tmp_path, {key: [["device", "Canon EOS 1DmkIII/5DmkII/40D/1000D, Fine"]]})
    assert table.compare(data, "Canon", "Canon EOS 40D").outcome == "camera_match"
    assert table.compare(data, "NIKON CORPORATION", "NIKON D70").outcome == "other_device"
    assert table.compare(data, "", "").outcome == "no_camera"
    assert _table(tmp_path, {}).compare(data, "Canon", "EOS").outcome == "no_reference"
    shipped = shipped_table()
    q60 = _saved_bytes(quality=60)  # listed as "IJG ..., Quality 60; Pentax Better"
    assert shipped.compare(q60, "PENTAX Corporation", "PENTAX K10D").outcome == "camera_match"
    assert shipped.compare(q60, "Canon", "Canon EOS 40D").outcome == "software"


def test_damaged_jpeg_bytes_never_break_the_digest():
    rng = np.random.default_rng(20261202)
    data = _saved_bytes(quality=80)
    for _ in range(400):
        damaged = bytearray(data)
        for position in rng.integers(0, 700, int(rng.integers(1, 9))):
            damaged[position] = int(rng.integers(256))
        cut = bytes(damaged[: int(rng.integers(2, len(damaged)))] if rng.random() < 0.3 else damaged)
        key = jpeg_digest(cut)  # a key or None, never an exception
        assert key is None or len(key.split(":")[0]) == 32
