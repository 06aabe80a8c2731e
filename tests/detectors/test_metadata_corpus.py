"""Metadata detector on the labelled corpus (../shared/corpus, category "metadata").

Every file labelled fake must be flagged as generator-made, no file labelled real may
be, and the C2PA test files must read in the validation state their names describe
(c2pa-org public test files: "E-..." deliberately broken, "X..." tampered, others valid;
no trust list is configured offline, so every signer reads "untrusted").
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

from forensics.detectors.metadata import MetadataDetector
from forensics.model import EvidenceInput, Finding, Verdict

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
MEDIA_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".tif": "image/tiff",
    ".psd": "image/vnd.adobe.photoshop", ".heif": "image/heif", ".heic": "image/heic",
    ".mov": "video/quicktime", ".mp4": "video/mp4",
}
# c2pa-org/public-testfiles naming: adobe-<date>-<edit chain>; "E-<what>-" = broken on purpose,
# a leading "X" = tampered after signing.
BROKEN_C2PA_NAME = re.compile(r"^adobe-\d{8}-(?:E-|X)")

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not (CORPUS / "MANIFEST.tsv").is_file(),
                       reason=f"corpus not present at <repo>/../shared/corpus ({CORPUS})"),
    pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed"),
]


@pytest.fixture(scope="module")
def results() -> list[tuple[dict[str, str], list[Finding]]]:
    with (CORPUS / "MANIFEST.tsv").open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t") if r["category"] == "metadata"]
    items = [
        EvidenceInput(path=CORPUS / r["local_path"], sha256=r["sha256"],
                      media_type=MEDIA_TYPES[Path(r["local_path"]).suffix.lower()])
        for r in rows
    ]
    with MetadataDetector() as detector:
        analysed = {item.path: findings for item, findings in detector.run_batch(items)}
    return [(row, analysed[item.path]) for row, item in zip(rows, items, strict=False)]


def generator_made(findings: list[Finding]) -> bool:
    return any(f.verdict is Verdict.SUPPORTS_MANIPULATION for f in findings)


def test_every_fake_is_flagged_as_generator_made(results: list[tuple[dict[str, str], list[Finding]]]) -> None:
    fakes = [(row, findings) for row, findings in results if row["label"] == "fake"]
    assert fakes
    missed = [row["local_path"] for row, findings in fakes if not generator_made(findings)]
    assert not missed


def test_no_real_file_is_flagged_as_generator_made(results: list[tuple[dict[str, str], list[Finding]]]) -> None:
    reals = [(row, findings) for row, findings in results if row["label"] == "real"]
    assert reals
    flagged = [row["local_path"] for row, findings in reals if generator_made(findings)]
    assert not flagged


def test_no_finding_supports_authenticity_or_is_an_error(results: list[tuple[dict[str, str], list[Finding]]]) -> None:
    for row, findings in results:
        assert findings, row["local_path"]
        for finding in findings:
            assert finding.verdict not in (Verdict.SUPPORTS_AUTHENTICITY, Verdict.ERROR), (
                row["local_path"], finding.reason)
        if [f.details["signal"] for f in findings] == ["none"]:
            assert "proves nothing" in findings[0].reason


def test_c2pa_states_match_the_test_file_names(results: list[tuple[dict[str, str], list[Finding]]]) -> None:
    checked = 0
    for row, findings in results:
        if "c2pa-org__public-testfiles" not in row["local_path"]:
            continue
        name = Path(row["local_path"]).stem
        c2pa = [f for f in findings if f.details["signal"] == "c2pa"]
        if name.endswith("-I"):  # a plain ingredient picture: no manifest of its own
            assert not c2pa, name
            continue
        [finding] = c2pa
        state, trust = finding.details["state"], finding.details["trust"]
        assert trust == "untrusted", name
        if BROKEN_C2PA_NAME.match(name):
            assert state == "tampered", name
        elif name.startswith("adobe-"):
            assert state == "valid", name
        else:  # Truepic captures: content hashes match; the signed layout is non-conforming
            assert state in ("valid", "invalid"), name
        assert finding.verdict is Verdict.INCONCLUSIVE
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize(("fraction", "state"), [(0.9, "tampered"), (0.5, "unreadable")])
def test_a_cut_c2pa_file(tmp_path: Path, fraction: float, state: str) -> None:
    """Cut inside the image data the hashes no longer match; cut inside the manifest store
    the store cannot be parsed. Either way the finding says so, without crashing."""
    source = CORPUS / "metadata/c2pa-org__public-testfiles/image/jpeg/adobe-20220124-CACA.jpg"
    data = source.read_bytes()
    cut = tmp_path / "cut"
    cut.write_bytes(data[: int(len(data) * fraction)])
    findings = MetadataDetector().run(EvidenceInput(path=cut, sha256="0" * 64, media_type="image/jpeg"))
    [c2pa] = [f for f in findings if f.details["signal"] == "c2pa"]
    assert c2pa.details["state"] == state and c2pa.verdict is Verdict.INCONCLUSIVE


def test_findings_are_reproducible(results: list[tuple[dict[str, str], list[Finding]]]) -> None:
    sample = [(row, findings) for row, findings in results if row["label"] == "fake"][:3]
    items = [EvidenceInput(path=CORPUS / row["local_path"], sha256=row["sha256"],
                           media_type=MEDIA_TYPES[Path(row["local_path"]).suffix.lower()]) for row, _ in sample]
    with MetadataDetector() as detector:
        again = [findings for _, findings in detector.run_batch(items)]
    assert [[f.digest for f in fs] for _, fs in sample] == [[f.digest for f in fs] for fs in again]
