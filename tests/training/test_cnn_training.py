"""`forensics train cnn`: a smoke run of a few steps through Typer's CliRunner, twice,
on faces made from scikit-image's astronaut; plus the split and augmentation rules."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import typer
from PIL import Image
from typer.testing import CliRunner

from forensics.cli.train_cnn import cnn
from forensics.nets.meso import Meso4
from forensics.training.cnn_data import (
    Augmentation,
    Source,
    augment,
    identity_group,
    split,
)
from tests.media.blink_clips import astronaut, shifted

app = typer.Typer()


@app.callback()
def _group() -> None:
    """Stands in for `forensics train` (the lead mounts `cnn` there)."""


app.command("cnn")(cnn)
runner = CliRunner()


def _folders(root: Path) -> tuple[Path, Path]:
    """Four shifted astronauts as 'real', four blocky up-sampled ones as 'fake'."""
    real, fake = root / "real", root / "fake"
    real.mkdir()
    fake.mkdir()
    face = astronaut()
    for i in range(4):
        moved = shifted(face, 6 * i, 4 * i)
        Image.fromarray(moved).save(real / f"r{i}.png")
        blocky = np.asarray(Image.fromarray(moved).resize((128, 128)).resize((512, 512), Image.Resampling.NEAREST))
        Image.fromarray(blocky).save(fake / f"f{i}.png")
    return real, fake


def test_smoke_training_twice_gives_the_same_weights(tmp_path: Path) -> None:
    real, fake = _folders(tmp_path)
    digests = []
    for run in ("a", "b"):
        out = tmp_path / run
        args = ["cnn", "--real", str(real), "--fake", str(fake), "--out", str(out),
                "--max-steps", "2", "--epochs", "3", "--threads", "1", "--json"]  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        assert summary["weights_sha256"] == hashlib.sha256((out / "cnn.pt").read_bytes()).hexdigest()
        digests.append(summary["weights_sha256"])
    assert digests[0] == digests[1]
    state = torch.load(tmp_path / "a" / "cnn.pt", weights_only=True)
    Meso4().load_state_dict(state, strict=True)
    card = json.loads((tmp_path / "a" / "cnn.card.json").read_text())
    assert card["weights_sha256"] == digests[0]
    assert card["architecture"]["parameters"] == 27_929
    assert card["training"]["steps"] == 2
    assert card["data"]["train"]["files"] == {"real": 3, "fake": 3}
    assert len(card["data"]["held_out_files"]) == 2  # one group of each class
    assert card["reproduce"].startswith("forensics train cnn --real ")
    assert "--max-steps 2" in card["reproduce"]
    assert set(card["versions"]) >= {"torch", "numpy", "mediapipe", "python"}


def test_the_cli_needs_one_data_source(tmp_path: Path) -> None:
    result = runner.invoke(app, ["cnn", "--out", str(tmp_path)])
    assert result.exit_code == 2


def test_identity_groups_keep_videos_and_their_fakes_together(tmp_path: Path) -> None:
    ffpp = "face_videos/x/ffpp/{}/c23/videos/{}.mp4"
    assert identity_group(Path("519.mp4"), ffpp.format("original_sequences", "519")) == "ffpp-519"
    assert identity_group(Path("519_515.mp4"), ffpp.format("manipulated_sequences", "519_515")) == "ffpp-519"
    assert identity_group(Path("mqzvfufzoq_fr0.jpg"), "a/o__r/mqzvfufzoq_fr0.jpg") == "dfdc-lynaeydofd"
    folder = tmp_path / "dfdc"
    folder.mkdir()
    (folder / "metadata.json").write_text(json.dumps({"abc.mp4": {"label": "FAKE", "original": "xyz.mp4"}}))
    assert identity_group(folder / "abc.mp4", "dfdc/abc.mp4") == "dfdc-xyz"
    assert identity_group(Path("alex.jpg"), "s/o__r/aligned/alex.jpg") == "o__r/alex"


def test_split_is_by_group_stratified_and_honours_hold_out() -> None:
    def src(name: str, label: int, group: str) -> Source:
        return Source(Path(name), name, label, "image", group, f"image/{label}/repo")

    items = [src(f"r{i}.jpg", 0, f"g{i // 2}") for i in range(8)]  # 4 groups of 2 real
    items += [src(f"f{i}.jpg", 1, f"h{i}") for i in range(4)]
    train, test = split(items, hold_out=("h3",), share=0.25)
    test_groups = {items[i].group for i in test}
    assert not test_groups & {items[i].group for i in train}
    assert "h3" in test_groups and len(test_groups) == 3  # h3, one real group, one fake group
    assert split(items, hold_out=("h3",), share=0.25) == (train, test)
    with pytest.raises(ValueError, match="no group"):
        split(items, hold_out=("nope",))


def test_augmentation_is_seeded_and_keeps_the_crop_size() -> None:
    crop = np.asarray(Image.fromarray(astronaut()).resize((256, 256)))
    always = Augmentation(flip=1.0, resize=1.0, blur=1.0, jpeg=1.0)
    a = augment(np.random.default_rng(1), crop, always)
    b = augment(np.random.default_rng(1), crop, always)
    assert a.shape == crop.shape and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, crop)
