"""analyze: findings are hashed, stored once, chained; re-runs reproduce the digest."""

import json
from collections.abc import Iterator

import pytest

from forensics.detectors import base, registry
from forensics.intake import Intake
from forensics.media.item import ItemMedia
from forensics.model import Artifact, EvidenceInput, Finding, Verdict
from forensics.pipeline import analyze_case
from forensics.verify import verify_case
from tests.conftest import EXAMINER


class ByteCountDetector(base.Detector):
    """A deterministic toy detector: reports the stored file's size; fails on PNGs."""

    name = "test-bytecount"
    version = "1.0.0"
    inputs = frozenset({"image"})

    def analyze(self, evidence: EvidenceInput, media: ItemMedia) -> Iterator[Finding]:
        data = evidence.path.read_bytes()
        if data.startswith(b"\x89PNG"):
            yield self.error(evidence, "cannot read PNG files (test)")
            return
        yield self.finding(
            evidence.sha256, verdict=Verdict.NOT_VALIDATED, reason="size measured", score=len(data) / 1e6,
            details={"bytes": len(data)},
            artifacts=(Artifact("histogram", "application/json", json.dumps([1, 2]).encode()),),
        )


@pytest.fixture
def toy_detector():
    registry.register(ByteCountDetector)
    yield ByteCountDetector.name
    registry.unregister(ByteCountDetector.name)


def test_findings_are_stored_chained_and_reproducible(repository, case_number, home, evidence_dir, toy_detector):
    Intake(repository, home, case_number).acquire([evidence_dir], examiner=EXAMINER)
    run = analyze_case(repository, home, case_number, examiner=EXAMINER, detector_names=[toy_detector])
    verdicts = sorted(r.finding.verdict.value for r in run.recorded)
    assert verdicts == ["error", "not_validated"]
    assert [r.evidence_label for r in run.errors] == ["E1"]  # blue.png, acquired first
    stored = repository.list_findings(case_number)
    assert len(stored) == 2
    ok = next(s for s in stored if s.verdict == "not_validated")
    assert json.loads(ok.body)["details"]["bytes"] == (evidence_dir / "red.jpg").stat().st_size
    artifact_sha = json.loads(ok.body)["artifacts"][0]["sha256"]
    assert (home / case_number / "artifacts" / artifact_sha).read_bytes() == b"[1, 2]"

    again = analyze_case(repository, home, case_number, examiner=EXAMINER, detector_names=[toy_detector])
    assert [r.new for r in again.recorded] == [False, False]
    assert {r.finding.digest for r in again.recorded} == {s.digest for s in stored}
    assert len(repository.list_findings(case_number)) == 2
    actions = [e.action for e in repository.iter_events(case_number)]
    assert actions.count("finding_recorded") == 2 and actions.count("finding_rerun") == 2
    assert verify_case(repository, home, case_number).ok


def test_verify_names_an_altered_finding(repository, case_number, home, evidence_dir, toy_detector):
    from sqlalchemy import text

    Intake(repository, home, case_number).acquire([evidence_dir / "red.jpg"], examiner=EXAMINER)
    analyze_case(repository, home, case_number, examiner=EXAMINER, detector_names=[toy_detector])
    digest = repository.list_findings(case_number)[0].digest
    with repository.engine.begin() as connection:
        if repository.engine.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER findings_append_only ON findings"))
        else:
            connection.execute(text("DROP TRIGGER findings_no_update"))
        connection.execute(text("UPDATE findings SET body = replace(body, 'not_validated', 'supports_manipulation')"))
    result = verify_case(repository, home, case_number)
    assert result.first_failure.kind == "finding" and result.first_failure.subject == digest


def test_evidence_selection_by_prefix(repository, case_number, home, evidence_dir, toy_detector):
    from forensics.errors import CaseError

    Intake(repository, home, case_number).acquire([evidence_dir], examiner=EXAMINER)
    jpeg = next(i for i in repository.list_evidence(case_number) if i.media_type == "image/jpeg")
    run = analyze_case(repository, home, case_number, examiner=EXAMINER,
                       detector_names=[toy_detector], evidence_prefixes=[jpeg.sha256[:10]])
    assert [r.evidence_label for r in run.recorded] == [jpeg.label]
    with pytest.raises(CaseError, match="no evidence item"):
        analyze_case(repository, home, case_number, examiner=EXAMINER,
                     detector_names=[toy_detector], evidence_prefixes=["ffffffffffff"])


def test_a_combined_finding_is_recorded_per_item(repository, case_number, home, evidence_dir):
    """With the shipped fusion model, analyze adds one 'fusion' finding per analysed item,
    naming the findings it combined; a file with no generator tag gets no LR from it."""
    from PIL import Image, PngImagePlugin

    from forensics.detectors.fusion import shipped_fusion

    if shipped_fusion() is None:
        pytest.skip("no fusion model ships with this build")
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a portrait\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1")
    generated = evidence_dir / "generated.png"
    Image.new("RGB", (64, 64), (90, 90, 90)).save(generated, pnginfo=info)
    Intake(repository, home, case_number).acquire([evidence_dir], examiner=EXAMINER)
    run = analyze_case(repository, home, case_number, examiner=EXAMINER, detector_names=["metadata"])
    fused = {r.evidence_label: r.finding for r in run.recorded if r.finding.detector == "fusion"}
    labels = {i.original_name: i.label for i in repository.list_evidence(case_number)}
    assert set(fused) == set(labels.values())
    tagged = fused[labels["generated.png"]]
    assert tagged.verdict == Verdict.SUPPORTS_MANIPULATION and tagged.log10_lr > 0
    metadata_finding = next(r.finding for r in run.recorded
                            if r.evidence_label == labels["generated.png"] and r.finding.log10_lr)
    assert tagged.details["inputs"]["metadata"]["finding"] == metadata_finding.digest
    plain = fused[labels["red.jpg"]]
    assert plain.log10_lr is None and plain.verdict == Verdict.INCONCLUSIVE
    assert verify_case(repository, home, case_number).ok
    # the report shows the combined statement and the fusion's own validation record
    from forensics.reports.generate import generate_report
    from forensics.reports.model import build_report_content

    made = generate_report(repository, home, case_number, examiner=EXAMINER, out=home / "r.pdf")
    assert (home / "r.pdf").is_file() and made is not None
    content = build_report_content(repository, home, case_number, examiner=EXAMINER)
    fusion_method = next(m for m in content.methods if m.name == "fusion")
    assert fusion_method.validation, "the shipped fusion record applies to the fusion findings"
    # the fusion is a registered method: it describes itself and states its assumptions
    assert fusion_method.description.startswith("Logistic-regression fusion")
    assert "does not assume the detectors are independent" in fusion_method.limitations
    assert fusion_method.limitations in content.limitations
