"""The local process pool: the same findings as in-process analysis, one linear chain."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forensics.cli.app import app
from forensics.distributed.pool import analyze_case_in_pool
from forensics.intake import Intake
from forensics.pipeline import analyze_case
from forensics.verify import verify_case
from tests.conftest import EXAMINER

DETECTORS = ("frequency", "structure")


@pytest.fixture
def media(evidence_dir: Path) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
                    "-t", "2", "-pix_fmt", "yuv420p", str(evidence_dir / "clip.mp4")], check=True)
    return evidence_dir


@pytest.mark.slow
def test_two_processes_record_the_in_process_findings(repository, home, media):
    for number in ("POOL", "HERE"):
        repository.open_case(number, title="pool", examiner=EXAMINER)
        Intake(repository, home, number).acquire([media], examiner=EXAMINER)
    steps: list[str] = []
    pooled = analyze_case_in_pool(repository, home, "POOL", examiner=EXAMINER, jobs=2,
                                  detector_names=DETECTORS, on_step=steps.append)
    here = analyze_case(repository, home, "HERE", examiner=EXAMINER, detector_names=DETECTORS)
    assert sorted(r.finding.digest for r in pooled.recorded) == sorted(r.finding.digest for r in here.recorded)
    assert [r.evidence_label for r in pooled.recorded] == [r.evidence_label for r in here.recorded]
    assert len(steps) == 3 * len(DETECTORS)  # one step per (item, detector)
    assert pooled.skipped == here.skipped
    assert verify_case(repository, home, "POOL").ok


def test_jobs_and_queue_together_are_refused(tmp_path):
    result = CliRunner().invoke(app, ["--home", str(tmp_path), "analyze", "C1", "--jobs", "2",
                                      "--queue", "--examiner", "x"])
    assert result.exit_code == 2
    assert "choose one" in result.output
