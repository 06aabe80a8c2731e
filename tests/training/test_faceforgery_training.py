"""`forensics train faceforgery`: a smoke run of a few steps through Typer's CliRunner,
twice, on real faces made from scikit-image's astronaut (and a fake that must be ignored);
the same weights both times, a card that names the backbone, and a validation set."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import torch
import typer
from PIL import Image
from typer.testing import CliRunner

from forensics.cli.train_faceforgery import faceforgery
from forensics.nets.efficientnet import BACKBONE_SHA256, FaceForgeryNet
from tests.media.blink_clips import astronaut, shifted

app = typer.Typer()


@app.callback()
def _group() -> None:
    """Stands in for `forensics train` (the app mounts `faceforgery` there)."""


app.command("faceforgery")(faceforgery)
runner = CliRunner()


def _manifest(root: Path) -> Path:
    """Six shifted astronauts (real, each its own identity) and one 'fake' row."""
    rows = []
    for i in range(6):
        path = root / f"real{i}.png"
        Image.fromarray(shifted(astronaut(), 5 * i, 3 * i)).save(path)
        rows.append({"category": "face_images", "label": "real", "local_path": path.name})
    fake = root / "fake.png"
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(fake)
    rows.append({"category": "face_images", "label": "fake", "local_path": fake.name})
    manifest = root / "faces.tsv"
    with manifest.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["category", "label", "local_path"], delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)
    return manifest


def test_smoke_training_twice_gives_the_same_weights(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    digests = []
    for run in ("a", "b"):
        out = tmp_path / run
        args = ["faceforgery", "--manifest", str(manifest), "--out", str(out), "--max-steps", "2",
                "--epochs", "3", "--threads", "1", "--validation-set", str(out / "validation"), "--json"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        assert summary["weights_sha256"] == hashlib.sha256((out / "faceforgery.pt").read_bytes()).hexdigest()
        digests.append(summary["weights_sha256"])
    assert digests[0] == digests[1]
    FaceForgeryNet().load_state_dict(torch.load(tmp_path / "a" / "faceforgery.pt", weights_only=True))
    card = json.loads((tmp_path / "a" / "faceforgery.card.json").read_text())
    assert card["backbone"]["sha256"] == BACKBONE_SHA256 and "Apache-2.0" in card["backbone"]["licence"]
    assert card["training"]["steps"] == 2
    # the fake row is never used: real faces only, split by identity
    assert card["data"]["train"]["files"] + card["data"]["test"]["files"] == 6
    assert card["reproduce"].startswith("forensics train faceforgery --manifest ")
    with (tmp_path / "a" / "validation" / "manifest.tsv").open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    held_out = card["held_out_metrics"]
    assert [r["label"] for r in rows].count("fake") == held_out["n_fake"] == held_out["n_real"] > 0
    assert all((tmp_path / "a" / "validation" / r["path"]).is_file() for r in rows)


def test_the_shared_fakes_ablation_trains_on_the_manifests_fake_faces(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    (tmp_path / "face_images").mkdir()
    Image.fromarray(shifted(astronaut(), 9, 4)).save(tmp_path / "face_images" / "gan.png")
    with manifest.open("a", newline="") as handle:
        handle.write("face_images\tfake\tface_images/gan.png\n")
    args = ["faceforgery", "--manifest", str(manifest), "--out", str(tmp_path / "out"), "--max-steps", "1",
            "--threads", "1", "--fakes", "shared", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "out" / "faceforgery.card.json").read_text())
    assert card["method"].startswith("ablation: real faces against the shared fake faces")
    assert card["hyperparameters"]["fakes"] == "shared" and "--fakes shared" in card["reproduce"]
    refused = runner.invoke(app, [*args[:-3], "--fakes", "gan-only", "--json"])
    assert refused.exit_code == 1 and "unknown negatives 'gan-only'" in refused.output
