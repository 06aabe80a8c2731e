"""Fixtures of the report tests: an analysed case (on SQLite: rendering and signing do
not depend on the backend, which tests/reports/test_keys.py and the CLI tests cover),
an examiner key, and a signed report."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from forensics.detectors import registry
from forensics.intake import Intake
from forensics.keys import KeyFiles, create_examiner_key
from forensics.pipeline import analyze_case
from forensics.reports.generate import GeneratedReport, generate_report
from forensics.reports.sign import ReportSigner, load_signer
from forensics.storage.engine import open_database
from forensics.storage.repository import Repository
from tests.conftest import EXAMINER
from tests.reports.toy import ReportToyDetector

PASSPHRASE = "correct horse battery"
CASE = "2026-R1"


def needs_tool(name: str) -> str:
    """The path of a command-line tool, or skip the test saying which one is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: poppler-utils / qpdf)")
    return path


@pytest.fixture
def toy_detector() -> Iterator[str]:
    registry.register(ReportToyDetector)
    yield ReportToyDetector.name
    registry.unregister(ReportToyDetector.name)


@pytest.fixture
def report_repository(tmp_path: Path) -> Iterator[Repository]:
    engine = open_database(f"sqlite:///{tmp_path / 'reports.db'}")
    yield Repository(engine)
    engine.dispose()


@pytest.fixture
def analysed_case(report_repository: Repository, home: Path, evidence_dir: Path,
                  toy_detector: str) -> str:
    report_repository.open_case(CASE, title="Harbour video", examiner=EXAMINER,
                                requested_by="County DA", description="Two stills from a phone.")
    Intake(report_repository, home, CASE).acquire([evidence_dir], examiner=EXAMINER)
    analyze_case(report_repository, home, CASE, examiner=EXAMINER, detector_names=[toy_detector])
    return CASE


@pytest.fixture(scope="session")
def examiner_key(tmp_path_factory: pytest.TempPathFactory) -> KeyFiles:
    return create_examiner_key(EXAMINER, PASSPHRASE, out_dir=tmp_path_factory.mktemp("keys"))


@pytest.fixture
def signer(examiner_key: KeyFiles) -> ReportSigner:
    return load_signer(examiner_key.key_path, PASSPHRASE)


@pytest.fixture
def signed_report(report_repository: Repository, home: Path, analysed_case: str,
                  signer: ReportSigner, tmp_path: Path) -> GeneratedReport:
    return generate_report(report_repository, home, analysed_case, examiner=EXAMINER,
                           out=tmp_path / "report.pdf", signer=signer, scope="Both stills.")


def flip_byte(data: bytes, marker: bytes = b"stream") -> bytes:
    """``data`` with one byte inverted inside the first content stream after ``marker``."""
    at = data.index(marker) + len(marker) + 20
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
