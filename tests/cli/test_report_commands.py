"""`forensics keys`, `forensics report` and `forensics verify --report` through CliRunner."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from forensics.cli import app
from forensics.detectors import registry
from tests.reports.conftest import flip_byte
from tests.reports.toy import ReportToyDetector
from tests.reports.tsa import TSA_NAME, time_stamping_service

runner = CliRunner()
PASSPHRASE = "correct horse battery"


@pytest.fixture
def cli(tmp_path, db_url, monkeypatch):
    for name in ("FORENSICS_EXAMINER", "FORENSICS_KEY_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "casefiles"

    def invoke(*args: str, passphrase: str | None = PASSPHRASE, input: str | None = None):
        env = {"FORENSICS_EXAMINER": "Ann Examiner"}
        if passphrase is not None:
            env["FORENSICS_KEY_PASSPHRASE"] = passphrase
        return runner.invoke(app, ["--home", str(home), "--db", db_url, *args], env=env, input=input)

    invoke.home = home
    invoke.db_url = db_url
    return invoke


@pytest.fixture
def analysed(cli, evidence_dir):
    registry.register(ReportToyDetector)
    try:
        assert cli("case", "open", "C1", "--title", "Harbour", "--requested-by", "DA").exit_code == 0
        assert cli("acquire", "C1", str(evidence_dir)).exit_code == 0
        result = cli("analyze", "C1", "--detector", ReportToyDetector.name)
        assert result.exit_code == 0, result.output
        yield "C1"
    finally:
        registry.unregister(ReportToyDetector.name)


def _json(result):
    assert result.stdout, result.output
    return json.loads(result.stdout)


def test_keys_report_and_verify_round_trip(cli, analysed, tmp_path):
    created = _json(cli("keys", "create", "--json"))
    assert created["key"].endswith("ann-examiner.key.pem") and created["self_signed"]
    listed = _json(cli("keys", "list", "--json"))
    assert [k["fingerprint_sha256"] for k in listed] == [created["fingerprint_sha256"]]
    assert listed[0]["certificate_file"] == created["certificate"]
    if cli.db_url.startswith("sqlite:///"):  # the private key never reaches the database
        assert b"PRIVATE KEY" not in (tmp_path / "case.db").read_bytes()

    pdf = tmp_path / "out" / "report.pdf"
    made = cli("report", "C1", "--out", str(pdf), "--sign", created["key"],
               "--scope", "Both files", "--question", "Is E2 synthetic?", "--json")
    assert made.exit_code == 0, made.output
    report = _json(made)
    assert report["signed"] and report["event"]["action"] == "report_signed"
    assert report["certificate_fingerprint"] == created["fingerprint_sha256"]
    again = cli("report", "C1", "--out", str(pdf), "--sign", created["key"])
    assert again.exit_code == 1 and "already exists" in again.output

    verified = _json(cli("verify", "--report", str(pdf), "--case", "C1", "--json"))
    assert verified["ok"] and verified["database_checked"] and verified["report_id"] == report["report_id"]
    text = cli("verify", "--report", str(pdf), "C1")
    assert text.exit_code == 0 and "evidence hashes, findings and chain head match" in text.output
    assert created["fingerprint_sha256"] in text.output and "self-signed" in text.output
    alone = cli("verify", "--report", str(pdf))
    assert alone.exit_code == 0 and "checked from the PDF alone" in alone.output
    assert "custody events recomputed from the PDF" in alone.output

    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(flip_byte(pdf.read_bytes()))
    bad = cli("verify", "--report", str(tampered), "--case", "C1")
    assert bad.exit_code == 1 and "digest mismatch" in bad.output
    bad_alone = cli("verify", "--report", str(tampered))  # no database: the same failure
    assert bad_alone.exit_code == 1 and "digest mismatch" in bad_alone.output
    assert _json(cli("verify", "--report", str(tampered), "--json"))["first_failure"]["kind"] == "signature"
    assert cli("verify", "C1").exit_code == 0  # the case itself still holds


def test_draft_report_wrong_passphrase_and_usage_errors(cli, analysed):
    draft = cli("report", "C1", "--json")
    assert draft.exit_code == 0, draft.output
    made = _json(draft)
    assert not made["signed"] and made["path"].startswith(str(cli.home / "C1" / "reports"))
    result = cli("verify", "--report", made["path"], "--case", "C1")
    assert result.exit_code == 1 and "UNSIGNED DRAFT" in result.output

    key = _json(cli("keys", "create", "--json"))["key"]
    wrong = cli("report", "C1", "--sign", key, passphrase="not the passphrase")
    assert wrong.exit_code == 1 and key in wrong.output and "wrong passphrase" in wrong.output
    prompted = cli("report", "C1", "--sign", key, "--json", passphrase=None, input=PASSPHRASE + "\n")
    assert prompted.exit_code == 0, prompted.output
    assert cli("verify").exit_code == 2


def test_new_commands_have_help():
    for args in (["keys", "--help"], ["keys", "create", "--help"], ["keys", "list", "--help"],
                 ["report", "--help"], ["verify", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Usage" in result.output
    assert "--report" in runner.invoke(app, ["verify", "--help"]).output


def test_report_time_stamped_by_a_local_service(cli, analysed, tmp_path):
    key = _json(cli("keys", "create", "--json"))["key"]
    pdf = tmp_path / "stamped.pdf"
    refused = cli("report", "C1", "--out", str(pdf), "--tsa", "http://127.0.0.1:9/tsa")
    assert refused.exit_code == 2 and "needs a signature" in refused.output
    with time_stamping_service() as (url, _):
        made = cli("report", "C1", "--out", str(pdf), "--sign", key, "--tsa", url, "--json")
    assert made.exit_code == 0, made.output
    assert _json(made)["signed"]
    checked = cli("verify", "--report", str(pdf))
    assert checked.exit_code == 0, checked.output
    assert "PAdES B-T" in checked.output and f"time-stamped {datetime.now(UTC).year}" in checked.output
    assert TSA_NAME in checked.output
    down = cli("report", "C1", "--out", str(tmp_path / "down.pdf"), "--sign", key, "--tsa", url)
    assert down.exit_code == 1 and f"{url}: the time-stamping service gave no time-stamp" in down.output


def test_examiner_profile_reviewer_and_interpretation(cli, analysed, tmp_path):
    saved = cli("examiner", "set", "--role", "Forensic video examiner", "--qualification", "MSc",
                "--qualification", "8 years of casework", "--organisation", "County Lab",
                "--address", "1 Harbour St", "--json")
    assert saved.exit_code == 0, saved.output
    shown = _json(cli("examiner", "show", "--json"))
    assert shown["qualifications"] == ["MSc", "8 years of casework"] and shown["organisation"] == "County Lab"
    assert "Role: Forensic video examiner" in cli("examiner", "show").output
    opinion = tmp_path / "opinion.txt"
    opinion.write_text("E2: consistent with up-sampling.\n")
    made = cli("report", "C1", "--out", str(tmp_path / "r.pdf"), "--reviewer", "Rita Reviewer",
               "--interpretation", str(opinion), "--json")
    assert made.exit_code == 0, made.output
    opinion.write_text("E7: no such item\n")
    bad = cli("report", "C1", "--out", str(tmp_path / "bad.pdf"), "--interpretation", str(opinion))
    assert bad.exit_code == 1 and str(opinion) in bad.output and "E7" in bad.output
    assert not (tmp_path / "bad.pdf").exists()
    for args in (["examiner", "--help"], ["examiner", "set", "--help"], ["examiner", "show", "--help"]):
        assert runner.invoke(app, args).exit_code == 0


def test_export_case_as_case_uco(cli, analysed, tmp_path):
    out = tmp_path / "case.jsonld"
    made = cli("export", "C1", "--format", "case", "--out", str(out))
    assert made.exit_code == 0, made.output
    document = json.loads(out.read_text())
    assert document["@context"]["investigation"] == "https://ontology.caseontology.org/case/investigation/"
    assert any(n["@type"] == "investigation:Investigation" and n["core:name"] == "C1"
               for n in document["@graph"])
    printed = cli("export", "C1", "--format", "case")
    assert printed.exit_code == 0 and json.loads(printed.stdout) == document
    again = cli("export", "C1", "--format", "case", "--out", str(out))
    assert again.exit_code == 1 and "already exists" in again.output
    assert cli("export", "C1", "--format", "stix").exit_code == 2
    assert cli("export", "NO-SUCH", "--format", "case").exit_code == 1
