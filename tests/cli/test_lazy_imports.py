"""Commands that do not analyse load none of torch, SciPy, MediaPipe, PyAV or OpenCV,
not just at import (tests/test_architecture.py) but while they run."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forensics.canonical import sha256_hex
from forensics.cli import app
from forensics.model import Finding, Verdict
from forensics.storage.engine import open_database
from forensics.storage.repository import Repository

HEAVY = ("torch", "scipy", "mediapipe", "av", "cv2")
EXAMINER = "Ann Examiner"

# every command a case officer runs without analysing anything
LIGHT_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("--help",),
    ("analyze", "--help"),
    ("validate", "--help"),
    ("case", "open", "C2", "--title", "second"),
    ("case", "list"),
    ("case", "show", "C1"),
    ("custody", "C1"),
    ("findings", "C1"),
    ("findings", "C1", "--wide"),
    ("findings", "C1", "--json"),
    ("verify", "C1"),
    ("db", "status"),
    ("db", "upgrade"),
    ("keys", "create"),
    ("keys", "list"),
    ("detectors",),
)

_SCRIPT = textwrap.dedent("""
    import json, sys
    from typer.testing import CliRunner
    from forensics.cli import app

    heavy, prefix, commands = json.loads(sys.argv[1])
    loaded = lambda: sorted(m for m in heavy if m in sys.modules)
    report = {"import": loaded(), "commands": []}
    runner = CliRunner()
    for args in commands:
        result = runner.invoke(app, prefix + args)
        report["commands"].append([args, result.exit_code, loaded(), result.output[-300:]])
    import forensics.validation.metrics  # the control: SciPy, seen by the same check
    report["control"] = loaded()
    print(json.dumps(report))
""")


def _case_with_a_finding(home: Path, db_url: str, evidence_dir: Path) -> None:
    runner = CliRunner()
    env = {"FORENSICS_EXAMINER": EXAMINER}
    for args in (["case", "open", "C1", "--title", "t"], ["acquire", "C1", str(evidence_dir / "red.jpg")]):
        result = runner.invoke(app, ["--home", str(home), "--db", db_url, *args], env=env)
        assert result.exit_code == 0, result.output
    engine = open_database(db_url)
    repository = Repository(engine)
    (item,) = repository.list_evidence("C1")
    finding = Finding(evidence_sha256=item.sha256, detector="test-light", detector_version="1.0.0",
                      config_digest=sha256_hex(b"c"), weights_digest=None, score=0.5, log10_lr=None,
                      verbal=None, verdict=Verdict.NOT_VALIDATED, reason="toy finding")
    repository.record_findings("C1", item.sha256, [finding], examiner=EXAMINER)
    engine.dispose()


def test_commands_that_do_not_analyse_load_no_heavy_library(
    tmp_path: Path, evidence_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, db_url = tmp_path / "casefiles", f"sqlite:///{tmp_path / 'case.db'}"
    _case_with_a_finding(home, db_url, evidence_dir)
    monkeypatch.setenv("FORENSICS_EXAMINER", EXAMINER)
    monkeypatch.setenv("FORENSICS_KEY_PASSPHRASE", "correct horse battery")
    argument = json.dumps([HEAVY, ["--home", str(home), "--db", db_url], LIGHT_COMMANDS])
    done = subprocess.run([sys.executable, "-c", _SCRIPT, argument], capture_output=True, text=True,
                          check=True, cwd=tmp_path)
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["import"] == []
    for args, exit_code, loaded, output in report["commands"]:
        assert exit_code == 0, f"forensics {' '.join(args)} exited {exit_code}: {output}"
        assert loaded == [], f"`forensics {' '.join(args)}` loaded {loaded}"
    assert "scipy" in report["control"]  # the check sees a heavy import where there is one


def test_the_key_options_match_forensics_keys() -> None:
    """The CLI declares them without importing forensics.keys (cryptography); they must
    stay what forensics.keys uses."""
    import typing

    from forensics import keys
    from forensics.cli import keys as cli_keys

    assert set(typing.get_args(cli_keys.KeyAlgorithmName)) == {a.value for a in keys.KeyAlgorithm}
    assert keys.KeyAlgorithm.EC_P256.value == cli_keys.DEFAULT_ALGORITHM
    assert cli_keys.DEFAULT_VALID_DAYS == keys.DEFAULT_VALID_DAYS
    assert cli_keys.ENV_PASSPHRASE == keys.ENV_PASSPHRASE
    assert cli_keys.ENV_CA_PASSPHRASE == keys.ENV_CA_PASSPHRASE
