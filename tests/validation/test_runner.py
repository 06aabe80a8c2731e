"""`validate` end to end on a toy detector whose score distributions are known."""

from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from forensics.detectors import base
from forensics.media.item import ItemMedia
from forensics.model import EvidenceInput, Finding
from forensics.validation.manifest import read_folders, read_manifest, split_by_group
from forensics.validation.runner import validate


class Brightness(base.Detector):
    """Score = mean brightness of the image in [0, 1]."""

    name, version, inputs = "test-brightness", "1.0.0", frozenset({"image"})

    def analyze(self, evidence: EvidenceInput, media: ItemMedia) -> Iterator[Finding]:
        with Image.open(evidence.path) as image:
            score = float(np.asarray(image.convert("L")).mean() / 255)
        yield self.scored(evidence, score=score, reason="mean brightness")


@pytest.fixture
def labelled_folders(tmp_path):
    rng = np.random.default_rng(7)
    for label, mean in (("real", 100), ("fake", 150)):
        folder = tmp_path / label
        folder.mkdir()
        for i, level in enumerate(rng.normal(mean, 25, 60).clip(0, 255)):
            Image.new("L", (8, 8), int(level)).save(folder / f"{i:03d}.png")
    return tmp_path / "real", tmp_path / "fake"


def test_validation_of_a_separating_score(labelled_folders):
    real, fake = labelled_folders
    labelled = read_folders(real, fake)
    record, _scored = validate(Brightness(), labelled)
    data, metrics = record.data, record.metrics
    assert data["items"] == {"real": 60, "fake": 60}
    assert data["calibration_split"] == {"real": 30, "fake": 30}
    assert data["metric_split"] == {"real": 30, "fake": 30}
    # d' = 2 (means 100 vs 150, sd 25): the true AUC is Phi(2/sqrt 2) = 0.92
    assert 0.8 < metrics["auc"]["estimate"] <= 1.0
    assert metrics["auc"]["low"] < metrics["auc"]["estimate"] < metrics["auc"]["high"]
    assert metrics["cllr"]["estimate"] < 1.0  # better than no information
    assert metrics["min_cllr"] <= metrics["cllr"]["estimate"] + 1e-9
    assert record.calibration.slope > 0
    assert len(record.plots["tippett"]["real"]) == 30


def test_split_keeps_groups_together_and_is_order_independent(tmp_path):
    rows = ["category\tlabel\tlocal_path\tsource"]
    for video in range(10):
        for frame in range(3):
            rows.append(f"faces\t{'fake' if video % 2 else 'real'}\tv{video}_{frame}.png\tvideo{video}")
    rows.append("faces\tunknown\tskip.png\tvideo99")
    manifest = tmp_path / "MANIFEST.tsv"
    manifest.write_text("\n".join(rows) + "\n")
    labelled = read_manifest(manifest, group_column="source")
    assert len(labelled.items) == 30  # the unknown label is left out
    calibration, metric = split_by_group(labelled.items)
    cal_groups = {i.group for i in calibration}
    assert cal_groups.isdisjoint({i.group for i in metric})
    reversed_calibration, _ = split_by_group(list(reversed(labelled.items)))
    assert {i.path for i in reversed_calibration} == {i.path for i in calibration}
