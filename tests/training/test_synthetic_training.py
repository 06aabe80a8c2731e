"""`forensics train synthetic`: a small run through Typer's CliRunner, twice, on real
photographs (the astronaut) and 'generated' pictures (smooth random fields), split by
family and identity: the same parameter file both times, a head the detector loads, a
card naming the CLIP model, and a validation manifest of the held-out files."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from forensics.cli.train_synthetic import synthetic
from forensics.detectors.synthetic import LinearHead
from forensics.nets import clip
from tests.media.blink_clips import astronaut, shifted
from tests.media.conftest import smooth_rgb

pytestmark = pytest.mark.skipif(not clip.model_path().is_file(),
                                reason=f"CLIP model not at {clip.model_path()}: {clip.FIX}")

app = typer.Typer()


@app.callback()
def _group() -> None:
    """Stands in for `forensics train` (the app mounts `synthetic` there)."""


app.command("synthetic")(synthetic)
runner = CliRunner()


def _manifest(root: Path) -> Path:
    """Six shifted astronauts (real) and six smooth fields (generated), each its own identity,
    and one tiny picture that must be left out."""
    rows = []
    for i in range(6):
        real, fake = root / f"real{i}.png", root / f"fake{i}.jpg"
        Image.fromarray(shifted(astronaut(), 5 * i, 3 * i)).save(real)
        Image.fromarray(smooth_rgb(300, 300, seed=i)).save(fake, quality=90)
        rows += [{"category": "face_images", "label": "real", "generator_or_source": "astronaut",
                  "local_path": real.name},
                 {"category": "face_images", "label": "fake", "generator_or_source": "smooth fields",
                  "local_path": fake.name}]
    Image.new("RGB", (8, 8)).save(root / "thumb.png")
    rows.append({"category": "face_images", "label": "fake", "generator_or_source": "thumbs",
                 "local_path": "thumb.png"})
    manifest = root / "manifest.tsv"
    with manifest.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, ["category", "label", "generator_or_source", "local_path"], delimiter="\t")
        writer.writeheader()
        writer.writerows(rows)
    return manifest


def test_training_is_deterministic_and_writes_a_loadable_head(tmp_path):
    manifest = _manifest(tmp_path)
    digests = []
    out = tmp_path / "out" / "head.json"
    for _run in range(2):
        result = runner.invoke(app, ["synthetic", "--manifest", str(manifest), "--features", "clip-embed",
                                     "--views", "1", "--no-rebuilt",
                                     "--out", str(out), "--validation-set", str(tmp_path / "val"), "--json"])
        assert result.exit_code == 0, result.output
        body = json.loads(result.output)
        assert body["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
        digests.append(body["sha256"])
    assert digests[0] == digests[1]
    params = json.loads(out.read_bytes())
    head = LinearHead.from_params(params, out)
    assert head.feature_set == "clip-embed" and head.weights.shape == (512,)
    card = params["card"]
    assert card["features_model"]["sha256"] == clip.MODEL_SHA256
    assert "thumb.png" not in json.dumps(card["data"])  # too small: left out
    assert card["data"]["train"]["images"] + card["data"]["held_out"]["images"] == 12
    with (tmp_path / "val" / "manifest.tsv").open() as handle:
        held = list(csv.DictReader(handle, delimiter="\t"))
    assert len(held) == card["data"]["held_out"]["images"] == 4  # round(0.3 * 6) of each family
    assert {row["label"] for row in held} == {"real", "fake"}
    assert all((tmp_path / "val" / row["path"]).resolve().is_file() for row in held)
    assert "--features clip-embed --seed" not in card["reproduce"] and "--no-rebuilt" in card["reproduce"]
    assert card["hyperparameters"]["augmented_views"] == 1 and not card["hyperparameters"]["rebuilt_fakes"]
