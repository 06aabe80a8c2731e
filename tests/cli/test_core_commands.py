"""Every evidence-core command through Typer's CliRunner, with --json and exit codes."""

import json
import os

import pytest
from typer.testing import CliRunner

from forensics.cli import app

runner = CliRunner()


@pytest.fixture
def cli(tmp_path, db_url, monkeypatch):
    monkeypatch.delenv("FORENSICS_EXAMINER", raising=False)
    home = tmp_path / "casefiles"

    def invoke(*args: str, examiner: str | None = "Ann Examiner"):
        env = {"FORENSICS_EXAMINER": examiner} if examiner else {}
        return runner.invoke(app, ["--home", str(home), "--db", db_url, *args], env=env)

    invoke.home = home
    return invoke


def _json(result):
    assert result.stdout, result.output
    return json.loads(result.stdout)


def test_case_open_list_show(cli):
    result = cli("case", "open", "2026-7", "--title", "Harbour video", "--requested-by", "DA Office", "--json")
    assert result.exit_code == 0, result.output
    assert _json(result)["requested_by"] == "DA Office"
    listed = _json(cli("case", "list", "--json"))
    assert [c["number"] for c in listed] == ["2026-7"]
    shown = _json(cli("case", "show", "2026-7", "--json"))
    assert shown["counts"] == {"evidence": 0, "findings": 0, "events": 1}
    assert len(shown["chain_head"]["hash"]) == 64


def test_opening_a_case_twice_or_without_examiner_fails_cleanly(cli):
    assert cli("case", "open", "C1", "--title", "t").exit_code == 0
    again = cli("case", "open", "C1", "--title", "t", "--json")
    assert again.exit_code == 1 and "already exists" in _json(again)["error"]
    nobody = cli("case", "open", "C2", "--title", "t", examiner=None)
    assert nobody.exit_code == 1 and "no examiner" in nobody.output
    bad = cli("case", "open", "../etc", "--title", "t")
    assert bad.exit_code == 1 and "not valid" in bad.output


def test_acquire_custody_verify_round_trip(cli, evidence_dir):
    cli("case", "open", "C1", "--title", "t")
    result = cli("acquire", "C1", str(evidence_dir), "--note", "from USB stick", "--json")
    assert result.exit_code == 0, result.output
    body = _json(result)
    assert body["ok"] and len(body["results"]) == 2
    custody = _json(cli("custody", "C1", "--json"))
    assert [e["action"] for e in custody] == ["case_opened", "acquired", "acquired"]
    verified = cli("verify", "C1", "--json")
    assert verified.exit_code == 0 and _json(verified)["ok"] is True
    text = cli("verify", "C1")
    assert "OK - 2 evidence files" in text.output


def test_bad_input_exits_non_zero_and_changes_nothing(cli, evidence_dir, tmp_path):
    cli("case", "open", "C1", "--title", "t")
    empty = tmp_path / "empty.bin"
    empty.touch()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    before = _json(cli("case", "show", "C1", "--json"))
    for path in [tmp_path / "missing", empty, fifo, cli.home / "forensics.db"]:
        result = cli("acquire", "C1", str(path))
        assert result.exit_code == 1, path
        assert str(path) in result.output
    assert _json(cli("case", "show", "C1", "--json")) == before


def test_acquire_into_unknown_case_is_refused(cli, evidence_dir):
    result = cli("acquire", "NOPE", str(evidence_dir), "--json")
    assert result.exit_code == 1 and "no case 'NOPE'" in _json(result)["error"]


def test_verify_exit_code_and_message_name_the_tampered_file(cli, evidence_dir):
    cli("case", "open", "C1", "--title", "t")
    cli("acquire", "C1", str(evidence_dir / "red.jpg"))
    item = _json(cli("case", "show", "C1", "--json"))["evidence"][0]
    stored = cli.home / "C1" / "evidence" / item["sha256"]
    stored.chmod(0o644)
    data = bytearray(stored.read_bytes())
    data[0] ^= 0xFF
    stored.write_bytes(bytes(data))
    result = cli("verify", "C1")
    assert result.exit_code == 1
    assert f"E1 {item['sha256']}" in result.output and "red.jpg" in result.output


def test_db_status_and_upgrade(cli):
    status = _json(cli("db", "status", "--json"))
    assert status["current"] is None  # nothing created by merely asking
    upgraded = _json(cli("db", "upgrade", "--json"))
    assert upgraded["to"] == status["head"]
    assert _json(cli("db", "status", "--json"))["up_to_date"] is True


def test_an_outdated_database_is_refused_with_the_upgrade_command(cli, db_url):
    from forensics.storage import engine as engine_module

    engine = engine_module.make_engine(db_url)
    engine_module.upgrade(engine, "0001")
    engine.dispose()
    result = cli("case", "list")
    assert result.exit_code == 1 and "forensics db upgrade" in result.output


def test_every_command_has_help():
    for args in (["--help"], ["case", "--help"], ["case", "open", "--help"], ["acquire", "--help"],
                 ["custody", "--help"], ["verify", "--help"], ["db", "upgrade", "--help"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0 and "Usage" in result.output
