"""Limitations come from the methods: what each cannot see, and the notes its findings
in the case call for; the report names no method itself."""

from __future__ import annotations

from typing import Any

from forensics.detectors.frequency import FrequencyDetector
from forensics.model import Finding, Verdict
from forensics.reports.model import FindingEntry, MethodEntry, method_notes


def _finding(sha: str, detector: str, details: dict[str, Any]) -> Finding:
    return Finding(
        evidence_sha256=sha, detector=detector, detector_version="3.0.1", config_digest="2" * 64,
        weights_digest=None, score=0.9, log10_lr=None, verbal=None,
        verdict=Verdict.NOT_VALIDATED, reason="", details=details,
    )


def _method(name: str, limitations: str) -> MethodEntry:
    return MethodEntry(name=name, version="1.0.0", config_digest="c", weights_digest=None,
                       description="", limitations=limitations, assumptions="", validation=(),
                       validation_digest=None, validation_plots={}, findings=1)


def test_items_with_a_period2_structure_are_named_for_the_demosaicing_caveat() -> None:
    findings = [
        _finding("a" * 64, "frequency", {"period2": {"p_value_no_period2": 1e-12}}),
        _finding("b" * 64, "frequency", {"period2": {"p_value_no_period2": 0.4}}),
        _finding("c" * 64, "cnn", {"period2": {"p_value_no_period2": 1e-12}}),  # not this method
        # a video: per-frame statistics only, no single test for the file
        _finding("d" * 64, "frequency", {"period2_statistic_mean": 9.0,
                                         "frames": [{"period2_statistic": 9.0}]}),
    ]
    labels = {"a" * 64: "E1", "b" * 64: "E2", "c" * 64: "E3", "d" * 64: "E4"}
    (note,) = FrequencyDetector.case_notes(findings, labels)
    assert note.startswith("Frequency method: E1 show(s) a period-2 structure")
    assert FrequencyDetector.case_notes(findings[1:], labels) == []


def test_the_report_takes_each_methods_limitations_and_case_notes() -> None:
    period2 = _finding("a" * 64, "frequency", {"period2": {"p_value_no_period2": 1e-12}})
    entries = [FindingEntry(period2, period2.digest, "E1", (), {})]
    methods = [_method("frequency", FrequencyDetector.limitations), _method("unknown", "")]
    notes = method_notes(methods, entries)
    assert notes[0] == FrequencyDetector.limitations
    assert any(n.startswith("Frequency method: E1 show(s)") for n in notes)
    assert len(notes) == 2  # an unregistered method adds nothing
