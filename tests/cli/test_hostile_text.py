"""Hostile text (Rich and reportlab markup, '&', control characters, right-to-left
overrides, path separators, '..', very long strings) in case numbers, titles, notes,
file names and examiner names: refused with a clear message where it names a folder,
otherwise stored exactly and shown verbatim, never interpreted, in the CLI, the JSON and
the PDF report."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from forensics.cli import app
from forensics.model.text import visible
from reports.styles import printable
from tests.reports.conftest import needs_tool

runner = CliRunner()
RLO, RLM, BEL = "\u202e", "\u200f", "\x07"
TITLE = '<font color="red">T</font> & <b>unclosed [red]rich[/red] ' + RLO + "gpj.exe"
EXAMINER = "Jane " + RLO + "Roe [bold]x[/bold] <i>&amp;"
NOTE = "<para>n</para> & [link=https://x]y[/link] " + BEL + RLM
FILE_NAME = "a" + RLO + "gpj.exe [b]x[b] <i>&.jpg"


@pytest.fixture
def cli(tmp_path, monkeypatch):
    monkeypatch.delenv("FORENSICS_EXAMINER", raising=False)
    home = tmp_path / "casefiles"

    def invoke(*args: str, examiner: str = EXAMINER):
        return runner.invoke(app, ["--home", str(home), *args],
                             env={"FORENSICS_EXAMINER": examiner, "FORENSICS_KEY_PASSPHRASE": "hostile text test"})

    return invoke


@pytest.mark.parametrize("number", ["..", ".", "a/b", "../up", "a\\b", "x" * 101, "C" + RLO, "C 1", ".hidden"])
def test_case_numbers_that_could_name_another_folder_are_refused(cli, number):
    result = cli("case", "open", number, "--title", "t")
    assert result.exit_code == 1 and "is not valid: use letters, digits" in result.output


def test_an_empty_examiner_name_is_refused(cli):
    result = cli("case", "open", "C1", "--title", "t", examiner="   ")
    assert result.exit_code == 1 and "no examiner given" in result.output


@pytest.fixture
def hostile_case(cli, tmp_path):
    long_description = "line one\nline two " + "long " * 800
    opened = cli("case", "open", "C1", "--title", TITLE, "--requested-by", "DA" + BEL,
                 "--description", long_description)
    assert opened.exit_code == 0, opened.output
    media = tmp_path / "media"
    media.mkdir()
    Image.new("RGB", (32, 32), (9, 9, 9)).save(media / FILE_NAME, quality=90)
    acquired = cli("acquire", "C1", str(media), "--note", NOTE)
    assert acquired.exit_code == 0, acquired.output
    return long_description


def test_json_carries_every_value_exactly(cli, hostile_case):
    shown = json.loads(cli("case", "show", "C1", "--json").stdout)
    assert shown["case"]["title"] == TITLE and shown["case"]["created_by"] == EXAMINER
    assert shown["case"]["description"] == hostile_case and shown["case"]["requested_by"] == "DA" + BEL
    [item] = shown["evidence"]
    assert item["original_name"] == FILE_NAME and item["note"] == NOTE and item["acquired_by"] == EXAMINER
    events = json.loads(cli("custody", "C1", "--json").stdout)
    assert {e["examiner"] for e in events} == {EXAMINER}


def test_the_terminal_shows_markup_verbatim_and_invisible_characters_as_escapes(cli, hostile_case):
    for args in (("case", "show", "C1"), ("case", "list"), ("custody", "C1")):
        result = cli(*args)
        assert result.exit_code == 0, result.output
        flat = " ".join(result.output.split())  # table cells wrap
        assert RLO not in result.output and BEL not in result.output and RLM not in result.output
        assert "\\u202e" in flat
    show = " ".join(cli("case", "show", "C1").output.split())
    # (narrow table cells may end in an ellipsis: the markup is still there, not applied)
    for verbatim in ("[red]rich[/red]", '<font color="red">T</font> &', "[bold]x[/", "\\x07"):
        assert verbatim in show, verbatim
    refused = cli("case", "show", "[red]NOPE[/red]")
    assert refused.exit_code == 1 and "[red]NOPE[/red]" in refused.output


def test_the_pdf_shows_every_value_verbatim(cli, hostile_case, tmp_path):
    pdftotext = needs_tool("pdftotext")
    pdf = tmp_path / "report.pdf"
    made = cli("report", "C1", "--out", str(pdf), "--json")
    assert made.exit_code == 0, made.output
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert RLO not in text and BEL not in text
    for value in (TITLE, EXAMINER, FILE_NAME):
        expected = " ".join(printable(value).split())
        assert expected in flat or expected.replace(" ", "") in flat.replace(" ", ""), value


def test_visible_keeps_line_breaks_and_escapes_the_rest():
    assert visible("a\nb\tc") == "a\nb\tc"
    assert visible("x" + RLO + BEL + "\u200b" + "\x00") == "x\\u202e\\x07\\u200b\\x00"
    assert visible("é ü 你好") == "é ü 你好"


def test_the_case_folder_cannot_be_escaped_by_a_file_name(cli, hostile_case):
    home = Path(json.loads(cli("case", "show", "C1", "--json").stdout)["evidence"][0]["sha256"])
    assert "/" not in str(home) and len(str(home)) == 64  # stored under its digest, never its name
