"""`forensics train frequency` through Typer's CliRunner, on images made here."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from forensics.cli.train import app, read_manifest
from forensics.detectors.frequency import FrequencyConfig, FrequencyDetector
from forensics.model import EvidenceInput, Verdict
from forensics.training import frequency as training

runner = CliRunner()


def _folders(tmp_path: Path) -> tuple[Path, Path]:
    """Six 'real' smooth images and six nearest-neighbour up-sampled 'fakes'."""
    rng = np.random.default_rng(0)
    real, fake = tmp_path / "real", tmp_path / "fake"
    real.mkdir()
    fake.mkdir()
    for i in range(6):
        base = rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)
        Image.fromarray(base).save(real / f"r{i}.png")
        up = base[::2, ::2].repeat(2, axis=0).repeat(2, axis=1)
        Image.fromarray(up).save(fake / f"f{i}.png")
    return real, fake


def test_train_from_folders_then_detect(tmp_path: Path) -> None:
    real, fake = _folders(tmp_path)
    out = tmp_path / "params.json"
    result = runner.invoke(
        app, ["frequency", "--real", str(real), "--fake", str(fake), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    detector = FrequencyDetector(FrequencyConfig(params_sha256=report["sha256"]), params_path=out)
    sample = real / "r0.png"
    evidence = EvidenceInput(sample, hashlib.sha256(sample.read_bytes()).hexdigest(), "image/png")
    (finding,) = detector.run(evidence)
    assert finding.verdict is Verdict.NOT_VALIDATED and finding.weights_digest == report["sha256"]


def test_train_from_manifest(tmp_path: Path) -> None:
    real, _fake = _folders(tmp_path)
    manifest = tmp_path / "labels.tsv"
    lines = ["label\tpath"] + [f"real\treal/r{i}.png" for i in range(6)]
    lines += [f"fake\tfake/f{i}.png" for i in range(6)] + ["unknown\tfake/f0.png"]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reals, fakes = read_manifest(manifest)
    assert len(reals) == 6 and len(fakes) == 6 and reals[0] == real / "r0.png"
    out = tmp_path / "p.json"
    result = runner.invoke(app, ["frequency", "--manifest", str(manifest), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "sha256" in result.stdout and out.exists()


@pytest.mark.parametrize(
    "args",
    [
        [],  # no source
        ["--builtin", "--real", "."],  # two sources
        ["--real", "."],  # --real without --fake
    ],
)
def test_source_options_are_checked(tmp_path: Path, args: list[str]) -> None:
    result = runner.invoke(app, ["frequency", "--out", str(tmp_path / "x.json"), *args])
    assert result.exit_code == 2
    assert not (tmp_path / "x.json").exists()


def test_damaged_training_file_is_a_message(tmp_path: Path) -> None:
    real, fake = _folders(tmp_path)
    (fake / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    result = runner.invoke(
        app,
        ["frequency", "--real", str(real), "--fake", str(fake), "--out", str(tmp_path / "o.json")],
    )
    assert result.exit_code == 1
    assert "broken.png" in result.output and "Traceback" not in result.output


def test_builtin_recipe_is_deterministic(tmp_path: Path) -> None:
    """A tiny version of the --builtin recipe twice gives the same bytes."""
    recipe = training.Recipe(n_per_class=6, n_validation_per_class=4, side=128, decoder_steps=6, decoder_width=8)
    digests = {
        training.write_params(training.train_builtin(recipe), tmp_path / f"{i}.json")
        for i in range(2)
    }
    assert len(digests) == 1
    doc = json.loads((tmp_path / "0.json").read_text())
    assert doc["format"] == training.PARAMS_FORMAT and doc["validation"]["n_real"] == 4
    assert doc["features"]["names"] == training.feature_names(recipe)
