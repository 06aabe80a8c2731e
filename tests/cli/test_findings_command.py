"""`forensics findings`: the terminal table, --wide and --json, through CliRunner.

The findings are recorded straight through the repository (no detector runs), so the
table's content is known to the character."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console, RenderableType
from typer.testing import CliRunner, Result

from forensics.canonical import sha256_hex
from forensics.cli import app
from forensics.cli.analyze import _finding_record, _findings_table, format_lr
from forensics.cli.output import stdout
from forensics.model import Finding, Verdict, verbal_scale
from forensics.storage.engine import open_database
from forensics.storage.records import StoredFinding
from forensics.storage.repository import Repository

runner = CliRunner()
Invoke = Callable[..., Result]  #: the ``cli`` fixture: forensics ARGS... [width=N]
EXAMINER = "Ann Examiner"
# long enough that no terminal row holds it; its last word shows only with --wide
LONG_REASON = ("periodic spectral peaks at period 2 and period 4 in the high band, as upsampling "
               "layers of a generator leave them; camera originals of the validation set show "
               "none of this strength ENDMARKER")


@pytest.fixture
def cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.delenv("FORENSICS_EXAMINER", raising=False)
    home = tmp_path / "casefiles"

    def invoke(*args: str, width: int = 100) -> Result:
        # Rich sizes tables to the terminal; pin it so the tests read the same everywhere
        monkeypatch.setattr(stdout, "_width", width)
        return runner.invoke(app, ["--home", str(home), "--db", db_url, *args],
                             env={"FORENSICS_EXAMINER": EXAMINER})

    return invoke


@pytest.fixture
def recorded(cli: Invoke, evidence_dir: Path, db_url: str) -> Iterator[list[Finding]]:
    """Case C1 with a calibrated finding on E1 and a not-validated one on E2."""
    assert cli("case", "open", "C1", "--title", "t").exit_code == 0
    assert cli("acquire", "C1", str(evidence_dir / "red.jpg"), str(evidence_dir / "blue.png")).exit_code == 0
    engine = open_database(db_url)
    repository = Repository(engine)
    e1, e2 = repository.list_evidence("C1")
    common: dict[str, Any] = {"detector": "test-cli-toy", "detector_version": "1.2.0",
              "config_digest": sha256_hex(b"config"), "weights_digest": sha256_hex(b"weights")}
    calibrated = Finding(evidence_sha256=e1.sha256, score=0.91, log10_lr=1.4, verbal=verbal_scale(1.4),
                         verdict=Verdict.SUPPORTS_MANIPULATION, reason=LONG_REASON,
                         details={"p2": 3.5}, **common)
    unvalidated = Finding(evidence_sha256=e2.sha256, score=0.3, log10_lr=None, verbal=None,
                          verdict=Verdict.NOT_VALIDATED,
                          reason="no validation record for this build\nof the detector", **common)
    repository.record_findings("C1", e1.sha256, [calibrated], examiner=EXAMINER)
    repository.record_findings("C1", e2.sha256, [unvalidated], examiner=EXAMINER)
    engine.dispose()
    yield [calibrated, unvalidated]


def _row(output: str, label: str) -> str:
    """The first line of the finding on item ``label`` (the only one in these cases)."""
    (line,) = [line for line in output.splitlines() if line.startswith(f"{label} ")]
    return line


def _column(output: str, header: str, following: str) -> str:
    """The words of one column, all lines read top to bottom (a wrapped cell joins up)."""
    head, *lines = output.splitlines()
    start, end = head.index(header), head.index(following)
    return " ".join(" ".join(line[start:end] for line in lines[1:]).split())


def test_table_shows_verbal_conclusion_with_lr_and_a_one_line_reason(cli: Invoke, recorded: list[Finding]) -> None:
    result = cli("findings", "C1", width=140)
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.splitlines()[0].split() == ["Item", "Detector", "Verdict", "Conclusion", "Reason"]
    e1, e2 = _row(out, "E1"), _row(out, "E2")
    assert "test-cli-toy 1.2.0" in e1 and "supports manipulation" in e1
    assert "moderate support for manipulation (LR 25)" in e1
    assert "not validated" in e2 and "not validated: no LR" in e2
    # the reason starts on its finding's line and is cut to fit it, never wrapped below
    assert "periodic spectral peaks at period 2" in e1 and e1.rstrip().endswith("…")
    assert "ENDMARKER" not in out
    # a reason's own line breaks do not break the row either
    assert "no validation record for this build of" in e2
    assert len(out.splitlines()) == 4  # header, rule, one line per finding
    # digests are left to --wide
    assert recorded[0].digest not in out and sha256_hex(b"config") not in out


def test_table_fits_a_narrow_terminal(cli: Invoke, recorded: list[Finding]) -> None:
    out = cli("findings", "C1", width=80).output
    assert max(len(line) for line in out.splitlines()) <= 80
    assert _row(out, "E1").split()[:4] == ["E1", "test-cli-toy", "1.2.0", "supports"]
    # the conclusion wraps in its column; the reason stays on the finding's first line
    assert _column(out, "Conclusion", "Reason") == (
        "moderate support for manipulation (LR 25) not validated: no LR")
    assert "periodic" in _row(out, "E1") and "ENDMARKER" not in out


def test_wide_adds_digests_score_and_the_full_reason(cli: Invoke, recorded: list[Finding]) -> None:
    result = cli("findings", "C1", "--wide", width=120)
    assert result.exit_code == 0, result.output
    out = result.output
    for finding in recorded:
        assert finding.digest in out
        assert finding.evidence_sha256 in out
    assert sha256_hex(b"config") in out and sha256_hex(b"weights") in out
    assert "ENDMARKER" in out  # the whole reason
    assert " ".join(LONG_REASON.split()) in " ".join(out.split())
    assert "moderate support for manipulation (LR 25)" in out
    assert "1.400" in out and "0.91" in out  # log10 LR and score
    # each finding's block names its item, detector and verdict
    assert "E1 test-cli-toy 1.2.0  supports manipulation" in out
    assert "E2 test-cli-toy 1.2.0  not validated" in out


def test_json_is_the_stored_findings_with_their_item(cli: Invoke, recorded: list[Finding]) -> None:
    result = cli("findings", "C1", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert listed == [dict(f.as_json(), evidence=label) for f, label in zip(recorded, ["E1", "E2"], strict=True)]


def test_a_case_without_findings_says_so(cli: Invoke) -> None:
    assert cli("case", "open", "C2", "--title", "t").exit_code == 0
    result = cli("findings", "C2")
    assert result.exit_code == 0 and "no findings yet" in result.output
    assert json.loads(cli("findings", "C2", "--json").stdout) == []


def test_unknown_case_fails_cleanly(cli: Invoke) -> None:
    result = cli("findings", "NOPE")
    assert result.exit_code == 1 and "no case 'NOPE'" in result.output


def test_a_finding_whose_body_does_not_parse_is_listed_as_unreadable() -> None:
    """The listing goes on (verify names the altered finding); the table says so."""
    altered = StoredFinding(digest="ab" * 32, body="{not json", evidence_sha256="cd" * 32,
                            evidence_label="E7", detector="frequency", detector_version="3.0.1",
                            verdict="supports_manipulation", recorded_at=datetime(2026, 1, 2, 3, 4, 5))
    table, wide = (_render(_findings_table([altered], 120)), _render(_finding_record(altered)))
    assert _row(table, "E7").split()[:4] == ["E7", "frequency", "3.0.1", "unreadable"]
    assert "forensics verify" in table
    assert _row(wide, "E7").split() == ["E7", "frequency", "3.0.1", "unreadable"]
    assert "forensics verify" in wide and "ab" * 32 in wide


def _render(renderable: RenderableType) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


@pytest.mark.parametrize(("log10_lr", "text"), [
    (0.0, "LR 1"), (0.5, "LR 3.2"), (1.4, "LR 25"), (-1.4, "LR 1/25"), (3.9999, "LR 9998"),
    (4.0, "LR 1.0e4"), (6.5, "LR 3.2e6"), (-7.2, "LR 1/1.6e7"), (5.9999, "LR 1.0e6"), (400.0, "LR 1.0e400"),
])
def test_format_lr(log10_lr: float, text: str) -> None:
    assert format_lr(log10_lr) == text
