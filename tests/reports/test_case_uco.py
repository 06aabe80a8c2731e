"""CASE/UCO export: validated by case-utils' case_validate (and refused when broken), the
same export embedded in the signed PDF and checked by verify, `forensics export`."""

from __future__ import annotations

import copy
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from forensics.canonical import sha256_hex
from forensics.reports.case_uco import EXPORT_NAME, case_export, exported_findings, pretty
from forensics.reports.embedded import (
    case_data,
    case_uco_attachment,
    data_digest,
    read_attachment,
)
from forensics.reports.generate import finish_pdf
from forensics.reports.model import build_report_content
from forensics.reports.render import render_pdf
from forensics.reports.verify import verify_report
from tests.conftest import EXAMINER


def _case_validate(path: Path) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("case_validate", path=str(Path(sys.executable).parent))
    if tool is None:
        pytest.skip("case-utils is not installed (pip install -e '.[test]')")
    return subprocess.run([tool, str(path)], capture_output=True, text=True, check=False)


def _export(repository, case: str) -> dict:
    rows = ((f.evidence_label, f.digest, f.finding) for f in repository.list_findings(case))
    return case_export(repository.get_case(case), repository.list_evidence(case),
                       exported_findings(rows), list(repository.iter_events(case)),
                       "deepfake-forensics", "0.1.0")


def test_the_export_in_the_signed_report_is_valid_case_and_a_broken_one_is_not(signed_report,
                                                                                tmp_path):
    reader = PdfFileReader(io.BytesIO(signed_report.path.read_bytes()), strict=False)
    raw = read_attachment(reader, EXPORT_NAME, "report")
    exported = tmp_path / "report-case.jsonld"
    exported.write_bytes(raw)
    valid = _case_validate(exported)
    assert valid.returncode == 0 and "Conforms: True" in valid.stdout, valid.stdout + valid.stderr

    document = json.loads(raw)
    broken = copy.deepcopy(document)
    hash_node = next(n for n in broken["@graph"] if n["@type"] == "types:Hash")
    hash_node["types:hashMethod"] = "SHA-256"  # not in UCO's hash-name vocabulary
    bad = tmp_path / "broken.jsonld"
    bad.write_text(pretty(broken))
    refused = _case_validate(bad)
    assert refused.returncode != 0 and "Conforms: False" in refused.stdout
    assert "hashMethod" in refused.stdout


def test_the_export_carries_items_custody_findings_and_tools(report_repository, analysed_case):
    document = _export(report_repository, analysed_case)
    assert document == _export(report_repository, analysed_case)  # reproducible ids and bytes
    nodes = document["@graph"]
    text = json.dumps(document)
    for item in report_repository.list_evidence(analysed_case):
        for value in (item.sha256, item.sha1, item.md5):
            assert {"@type": "xsd:hexBinary", "@value": value} in [
                n.get("types:hashValue") for n in nodes]
        assert any(n.get("investigation:exhibitNumber") == item.label for n in nodes)
    events = list(report_repository.iter_events(analysed_case))
    actions = [n for n in nodes if "investigation:InvestigativeAction" in n["@type"]]
    assert len(actions) == len(events)
    for event, action in zip(events, actions, strict=True):
        assert action["core:name"] == event.action and event.hash in action["core:description"]
        assert action["action:startTime"]["@value"] == event.time
    for finding in report_repository.list_findings(analysed_case):
        assert f"finding SHA-256 {finding.digest}" in text
    tools = {(n["core:name"], n["tool:version"]) for n in nodes if n["@type"] == "tool:Tool"}
    assert tools == {("deepfake-forensics", "0.1.0"), ("test-report-toy", "2.1.0")}
    (investigation,) = [n for n in nodes if n["@type"] == "investigation:Investigation"]
    assert investigation["core:name"] == analysed_case


def test_a_replaced_export_inside_the_report_is_named(report_repository, home, analysed_case,
                                                      signer, tmp_path):
    content = build_report_content(report_repository, home, analysed_case, examiner=EXAMINER,
                                   signer=signer.certificate)
    data = case_data(content)
    name, raw, media, description = case_uco_attachment(content)
    forged = raw.replace(b"test-report-toy", b"another-method")
    path = tmp_path / "forged.pdf"
    rendered = render_pdf(content, data_digest(data))
    path.write_bytes(finish_pdf(rendered, data, signer, report_id=content.report_id,
                                extra=((name, forged, media, description),)))
    first = verify_report(path).first_failure
    assert first.kind == "embedded" and first.subject == EXPORT_NAME
    assert f"has SHA-256 {sha256_hex(forged)}, but the case data records {sha256_hex(raw)}" in first.message
