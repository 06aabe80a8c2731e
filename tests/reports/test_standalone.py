"""`verify --report` from the PDF alone: the embedded custody chain recomputed, the
report's records bound to it, the data's digest; each tamper named precisely."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from forensics.reports.embedded import case_data
from forensics.reports.generate import finish_pdf, produce_pdf
from forensics.reports.model import build_report_content
from forensics.reports.render import render_pdf
from forensics.reports.verify import verify_report
from tests.conftest import EXAMINER
from tests.reports.conftest import flip_byte


@pytest.fixture
def report_parts(report_repository, home, analysed_case, signer):
    content = build_report_content(report_repository, home, analysed_case, examiner=EXAMINER,
                                   signer=signer.certificate)
    return content, case_data(content)


def _signed(parts, signer, tmp_path: Path, edit=None) -> Path:
    """A report signed by the examiner's own key whose embedded data ``edit`` changed."""
    content, data = parts
    data = copy.deepcopy(data)
    if edit is not None:
        edit(data)
    pdf, _ = produce_pdf(content, data, signer)
    path = tmp_path / "re-signed.pdf"
    path.write_bytes(pdf)
    return path


def test_a_signed_report_verifies_from_the_pdf_alone(signed_report):
    result = verify_report(signed_report.path)
    assert result.ok, result.problems
    assert not result.database_checked
    assert result.events_checked == signed_report.chain_head[0] >= 5  # opened, 2 acquired, findings
    flipped = signed_report.path.with_name("flipped.pdf")
    flipped.write_bytes(flip_byte(signed_report.path.read_bytes()))
    first = verify_report(flipped).first_failure
    assert first.kind == "signature" and "digest mismatch" in first.message


def test_a_changed_custody_event_inside_the_pdf_is_named(report_parts, signer, tmp_path):
    def mallory(data: dict[str, Any]) -> None:
        data["custody"][2]["examiner"] = "Mallory"

    result = verify_report(_signed(report_parts, signer, tmp_path, mallory))
    assert result.signatures[0].intact  # re-signed: only the chain shows it
    first = result.first_failure
    assert first.kind == "chain" and first.subject == "seq 3"
    assert "recomputed hash differs" in first.message and "embedded in the report" in first.message


def test_a_changed_payload_and_a_dropped_event_are_named(report_parts, signer, tmp_path):
    def payload(data: dict[str, Any]) -> None:
        data["custody"][1]["payload"] = data["custody"][1]["payload"].replace('"E1"', '"E9"')

    first = verify_report(_signed(report_parts, signer, tmp_path, payload)).first_failure
    assert first.kind == "chain" and "seq 2: payload does not match its payload_digest" in first.message

    def dropped(data: dict[str, Any]) -> None:
        data["custody"].pop()

    first = verify_report(_signed(report_parts, signer, tmp_path, dropped)).first_failure
    head = report_parts[1]["chain_head"]["seq"]
    assert first.kind == "chain" and f"end at seq {head - 1}" in first.message
    assert f"not at the report's chain head seq {head}" in first.message


def test_records_that_differ_from_their_events_are_named(report_parts, signer, tmp_path):
    def evidence(data: dict[str, Any]) -> None:
        data["evidence"][0]["md5"] = "0" * 32

    first = verify_report(_signed(report_parts, signer, tmp_path, evidence)).first_failure
    assert first.kind == "record" and first.subject.startswith("evidence_items E1") and first.subject.endswith("md5")
    assert "but the acquired event (seq 2) recorded" in first.message

    def label(data: dict[str, Any]) -> None:  # the label is outside the finding's digest
        finding = next(f for f in data["findings"] if f["evidence"] == "E2")
        finding["evidence"] = "E1"

    first = verify_report(_signed(report_parts, signer, tmp_path, label)).first_failure
    assert first.kind == "record" and "does not have the finding's evidence SHA-256" in first.message

    def case(data: dict[str, Any]) -> None:
        data["case"]["title"] = "Another title"

    first = verify_report(_signed(report_parts, signer, tmp_path, case)).first_failure
    assert first.kind == "record" and first.subject.endswith("title") and "case_opened" in first.message


def test_replaced_data_differs_from_the_digest_the_report_states(report_parts, signer, tmp_path):
    content, data = report_parts
    rendered = render_pdf(content, "0" * 64)
    path = tmp_path / "replaced.pdf"
    path.write_bytes(finish_pdf(rendered, data, signer, report_id=content.report_id))
    first = verify_report(path).first_failure
    assert first.kind == "embedded" and f"the report states {'0' * 64}" in first.message


def test_unreadable_custody_events_are_named(report_parts, signer, tmp_path):
    def broken(data: dict[str, Any]) -> None:
        del data["custody"][0]["hash"]

    first = verify_report(_signed(report_parts, signer, tmp_path, broken)).first_failure
    assert first.kind == "embedded" and "custody[0].hash is missing" in first.message
