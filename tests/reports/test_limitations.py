"""Method-specific limitations the report states from the findings themselves."""

from __future__ import annotations

from typing import Any

from forensics.reports.model import FindingEntry, _period2_items


def _finding(label: str, detector: str, details: dict[str, Any]) -> FindingEntry:
    return FindingEntry(
        digest="0" * 64, evidence_label=label, evidence_sha256="1" * 64, detector=detector,
        detector_version="3.0.1", config_digest="2" * 64, weights_digest=None, score=0.9,
        log10_lr=None, verbal=None, verdict="not_validated", reason="", details=details,
        artifacts=(), record={},
    )


def test_items_with_a_period2_structure_are_named_for_the_demosaicing_caveat() -> None:
    findings = [
        _finding("E1", "frequency", {"period2": {"p_value_no_period2": 1e-12}}),
        _finding("E2", "frequency", {"period2": {"p_value_no_period2": 0.4}}),
        _finding("E3", "cnn", {"period2": {"p_value_no_period2": 1e-12}}),  # not this method
        # a video: per-frame statistics only, no single test for the file
        _finding("E4", "frequency", {"period2_statistic_mean": 9.0,
                                     "frames": [{"period2_statistic": 9.0}]}),
    ]
    assert _period2_items(findings) == ["E1"]
