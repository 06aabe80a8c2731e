"""Conclusions for a judge: propositions per item with their background, ENFSI wording of
what the findings support, the examiner's interpretation marked as opinion, the examiner
and reviewer block with the dates, method assumptions, and disagreement between methods."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import datetime

import pytest

from forensics.errors import ForensicsError
from forensics.model import EvidenceItem, Finding, Verdict, verbal_scale
from forensics.reports.embedded import case_data
from forensics.reports.examiner import ExaminerProfile, load_profile, profile_for, save_profile
from forensics.reports.generate import generate_report, produce_pdf
from forensics.reports.interpretation import read_interpretation
from forensics.reports.model import (
    FindingEntry,
    _history,
    _methods,
    build_report_content,
    disagreements,
    shipped_validation,
)
from forensics.reports.propositions import (
    Evaluation,
    items_asked,
    propositions,
    support_sentence,
)
from tests.conftest import EXAMINER
from tests.reports.conftest import needs_tool


def _item(kind: str = "video/mp4") -> EvidenceItem:
    return EvidenceItem(case_number="C", item_no=3, sha256="a" * 64, sha1="b" * 40, md5="c" * 32,
                        size=123456, media_type=kind, original_name="clip.mp4",
                        original_path="/media/clip.mp4", acquired_at=datetime(2026, 11, 3, 9, 0),
                        acquired_by="A", note="")


def test_support_in_enfsi_words_both_ways_and_near_one():
    assert support_sentence(1.41, "E1") == ("The findings are about 26 times more probable if H1 is "
                                            "true than if H2 is true (moderate support for "
                                            "manipulation, ENFSI scale).")
    assert support_sentence(-2.2, "E1").startswith("The findings are about 160 times more probable "
                                                   "if H2 is true than if H1 is true")
    assert "support neither proposition" in support_sentence(0.1, "E1")


def test_propositions_are_stated_per_item_and_allow_for_its_history():
    plain = propositions(_item(), [Evaluation("cnn 1.0.0", 1.0, "supports_manipulation", "r", False)])
    assert plain.h1.startswith("H1: the video recording E3 was") and "E3 is a camera video recording" in plain.h2
    assert "allows for the processing" not in plain.h2
    assert plain.statements == ("By cnn 1.0.0 alone, the findings are about 10 times more probable if "
                                "H1 is true than if H2 is true (moderate support for manipulation, "
                                "ENFSI scale).",)
    reencoded = propositions(_item(), [
        Evaluation("cnn 1.0.0", 1.0, "supports_manipulation", "r", False),
        Evaluation("frequency 1.2.0", -0.5, "inconclusive", "r", False)],
        history=["metadata 2.0.0: Encoder tags name FFmpeg (libavformat)"])
    assert "allows for the processing the background information records" in reencoded.h2
    assert any("metadata 2.0.0: Encoder tags name FFmpeg" in b for b in reencoded.background)
    assert "not multiplied" in reencoded.statements[-1] and len(reencoded.statements) == 3
    fused = propositions(_item("image/jpeg"), [
        Evaluation("cnn 1.0.0", 1.0, "supports_manipulation", "r", False),
        Evaluation("fusion 1.0.0", 2.1, "supports_manipulation", "r", True)])
    assert fused.h1.startswith("H1: the image E3") and len(fused.statements) == 1
    assert "about 130 times" in fused.statements[0] and "combined statement of fusion 1.0.0" in fused.statements[0]
    nothing = propositions(_item(), [Evaluation("x 1", None, "inconclusive", "too small", False)])
    assert nothing.statements[0].startswith("No evaluative statement can be made about E3")


def _entry(detector: str, verdict: str, log10_lr: float | None) -> FindingEntry:
    made = Finding(evidence_sha256="s", detector=detector, detector_version="1.0.0", config_digest="c",
                   weights_digest=None, score=None, log10_lr=log10_lr,
                   verbal=None if log10_lr is None else verbal_scale(log10_lr),
                   verdict=Verdict(verdict), reason="why")
    return FindingEntry(made, digest=made.digest, evidence_label="E1", artifacts=(), record={})


def test_the_metadata_method_names_the_files_history_and_nothing_else():
    context = _entry("metadata", "inconclusive", None)
    context = FindingEntry(replace(context.finding, reason="Encoder tags name FFmpeg",
                                   details={"signal": "encoder_software"}), "d", "E1", (), {})
    nothing = FindingEntry(replace(context.finding, reason="No metadata signal found",
                                   details={"signal": "none"}), "d", "E1", (), {})
    assert _history([context, nothing, _entry("cnn", "supports_manipulation", 1.0)]) == [
        "metadata 1.0.0: Encoder tags name FFmpeg"]


def test_a_question_is_answered_for_the_items_it_names_else_for_all():
    labels = ["E1", "E2", "E3"]
    assert items_asked("Was the face in E3 swapped, and is E1 a camera file?", labels) == ["E1", "E3"]
    assert items_asked("Were any of the files generated?", labels) == labels
    assert items_asked("Is E12 genuine?", labels) == labels  # names no item of this case


def test_methods_that_disagree_are_named_and_the_fusion_states_its_assumption():
    notes = disagreements([_entry("cnn", "supports_manipulation", 1.2),
                           _entry("frequency", "supports_authenticity", -1.1),
                           _entry("metadata", "inconclusive", None)])
    assert len(notes) == 1 and notes[0].startswith("The methods disagree on E1: cnn (moderate support "
                                                   "for manipulation) point to manipulation, frequency")
    assert not disagreements([_entry("cnn", "supports_manipulation", 1.2)])
    (fusion,) = _methods([_entry("fusion", "supports_manipulation", 1.5)], shipped_validation)
    assert "conditionally independent" in fusion.assumptions and "does not assume" in fusion.assumptions
    assert "not installed" not in fusion.description


def test_examiner_profiles_are_saved_read_and_refused_when_damaged(home, signer):
    profile = ExaminerProfile(name=EXAMINER, role="Forensic video examiner",
                              qualifications=("MSc Forensic Computing", "SWGDE-trained, 8 years"),
                              organisation="County Forensic Lab", address="1 Harbour St, Porton")
    path = save_profile(home, profile)
    assert load_profile(home, EXAMINER) == profile and profile_for(home, EXAMINER).source.endswith(path.name)
    assert profile_for(home, "Nobody Here").source == "name only (no examiner profile saved)"
    assert profile_for(home, "Cert Holder", signer.certificate).source.startswith("signing certificate")
    path.write_text('{"name": "Test Examiner", "qualifications": [1]}')
    with pytest.raises(ForensicsError, match=f"{path}: the examiner profile cannot be read"):
        load_profile(home, EXAMINER)


def test_interpretation_file_by_item_and_refusals(tmp_path):
    text = tmp_path / "opinion.txt"
    text.write_text("The clips were sent as one set.\n\nE2: The spectral peaks fit up-sampling.\n"
                    "Nothing else was seen.\n\n  E1 : Too small to say.\n")
    made = read_interpretation(text, ["E1", "E2"])
    assert made.general == ("The clips were sent as one set.",)
    assert made.for_item("E2") == ("The spectral peaks fit up-sampling. Nothing else was seen.",)
    assert made.for_item("E1") == ("Too small to say.",) and len(made.sha256) == 64
    text.write_text("E9: about an item the case does not have")
    with pytest.raises(ForensicsError, match=f"{text}: a paragraph is about E9, which is not an evidence item"):
        read_interpretation(text, ["E1", "E2"])
    text.write_bytes(b"\xff\xfe bad")
    with pytest.raises(ForensicsError, match=f"{text}: the interpretation is not UTF-8"):
        read_interpretation(text, ["E1"])
    with pytest.raises(ForensicsError, match="cannot read the interpretation"):
        read_interpretation(tmp_path / "missing.txt", ["E1"])


def test_the_report_states_propositions_opinion_examiner_reviewer_and_dates(
        report_repository, home, analysed_case, signer, tmp_path):
    save_profile(home, ExaminerProfile(EXAMINER, "Forensic image examiner", ("BSc Physics",),
                                       "County Forensic Lab", "1 Harbour St"))
    save_profile(home, ExaminerProfile("Rita Reviewer", "Senior examiner", ("PhD Signal Processing",)))
    opinion = tmp_path / "opinion.txt"
    opinion.write_text("The two stills were examined together.\n\nE2: I read the peaks as up-sampling.\n")
    made = generate_report(report_repository, home, analysed_case, examiner=EXAMINER,
                           out=tmp_path / "r.pdf", signer=signer, reviewer="Rita Reviewer",
                           interpretation=opinion, questions=["Is E2 generated?"])
    text = subprocess.run([needs_tool("pdftotext"), str(made.path), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.split())
    # the question names E2 only: one answer row, for E2, before the items' own sections
    answers = flat[flat.index("The questions, answered per item"):flat.index("Examiner's interpretation")]
    assert "1 E2 By test-report-toy 2.1.0 alone, the findings are about 26 times more probable" in answers
    assert " E1 " not in answers
    for needed in ("Examiner and laboratory", "Forensic image examiner", "BSc Physics",
                   "County Forensic Lab", "1 Harbour St", "Technical reviewer", "Rita Reviewer",
                   "PhD Signal Processing", "Request (case opened)", "Evidence received (acquired)",
                   "Examination (findings recorded)",
                   "the findings are about 26 times more probable if H1 is true than if H2 is true",
                   "No evaluative statement can be made about E1", "H1: the image E2 was",
                   "Background information", "Examiner's interpretation (the opinion of Test Examiner",
                   "The two stills were examined together.", "I read the peaks as up-sampling."):
        assert needed in flat, needed
    assert flat.index("I read the peaks as up-sampling.") > flat.index("H1: the image E2")
    content = build_report_content(report_repository, home, analysed_case, examiner=EXAMINER,
                                   reviewer="Rita Reviewer", interpretation_file=opinion)
    data = case_data(content)
    assert data["reviewer"]["qualifications"] == ["PhD Signal Processing"]
    assert data["interpretation"]["items"] == {"E2": ["I read the peaks as up-sampling."]}
    assert data["propositions"]["E2"]["h1"].startswith("H1: the image E2")
    assert data["dates"][0]["what"] == "Request (case opened)"
    assert produce_pdf(content, data, None)[1] >= 10
