"""Evidence intake: content addressing, read-only copies, refusals that change nothing."""

import os
import stat
from pathlib import Path

import pytest

from forensics.errors import EvidenceError
from forensics.intake import Intake
from forensics.verify import verify_case
from tests.conftest import EXAMINER


def _snapshot(repository, case_number, home):
    """Everything a refused acquisition must leave unchanged."""
    store = home / case_number / "evidence"
    files = sorted(p.name for p in store.iterdir()) if store.exists() else []
    return (repository.case_counts(case_number), repository.chain_head(case_number), files)


def test_acquire_copies_read_only_by_content_hash_and_records_hashes(repository, case_number, home, evidence_dir):
    import hashlib

    results = Intake(repository, home, case_number).acquire([evidence_dir], examiner=EXAMINER, note="seized laptop")
    assert [r.error for r in results] == ["", ""]
    items = repository.list_evidence(case_number)
    assert [i.original_name for i in items] == ["blue.png", "red.jpg"]  # walked in sorted order
    for item in items:
        original = (evidence_dir / item.original_name).read_bytes()
        stored = home / case_number / "evidence" / item.sha256
        assert stored.read_bytes() == original
        assert item.sha256 == hashlib.sha256(original).hexdigest()
        assert item.md5 == hashlib.md5(original).hexdigest()
        assert item.sha1 == hashlib.sha1(original).hexdigest()
        assert item.size == len(original)
        assert stat.S_IMODE(stored.stat().st_mode) & 0o222 == 0  # read-only
        assert item.acquired_by == EXAMINER and item.note == "seized laptop"
        assert item.original_path == str(evidence_dir / item.original_name)
    assert {i.media_type for i in items} == {"image/png", "image/jpeg"}
    actions = [e.action for e in repository.iter_events(case_number)]
    assert actions == ["case_opened", "acquired", "acquired"]


def test_media_type_comes_from_content_not_the_name(repository, case_number, home, evidence_dir, tmp_path):
    disguised = tmp_path / "holiday.mp4"
    disguised.write_bytes((evidence_dir / "blue.png").read_bytes())
    item, _ = Intake(repository, home, case_number).acquire_file(disguised, examiner=EXAMINER)
    assert item.media_type == "image/png"


def test_identical_content_again_adds_an_event_not_an_item(repository, case_number, home, evidence_dir, tmp_path):
    intake = Intake(repository, home, case_number)
    first, new1 = intake.acquire_file(evidence_dir / "red.jpg", examiner=EXAMINER)
    renamed = tmp_path / "copy-of-red.jpg"
    renamed.write_bytes((evidence_dir / "red.jpg").read_bytes())
    second, new2 = intake.acquire_file(renamed, examiner="Second Examiner")
    assert (new1, new2) == (True, False)
    assert second == first
    assert len(repository.list_evidence(case_number)) == 1
    events = list(repository.iter_events(case_number))
    assert [e.action for e in events] == ["case_opened", "acquired", "reacquired"]
    assert events[-1].examiner == "Second Examiner" and "copy-of-red.jpg" in events[-1].payload


def _make_fifo(tmp: Path) -> Path:
    path = tmp / "pipe"
    os.mkfifo(path)
    return path


def _make_symlink(tmp: Path) -> Path:
    target = tmp / "target.bin"
    target.write_bytes(b"payload")
    link = tmp / "link.bin"
    link.symlink_to(target)
    return link


def _make_empty(tmp: Path) -> Path:
    path = tmp / "empty.jpg"
    path.touch()
    return path


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda tmp: tmp / "missing.jpg", "no such file"),
        (_make_empty, "is empty (0 bytes)"),
        (_make_fifo, "is a FIFO"),
        (_make_symlink, "is a symbolic link"),
        (lambda tmp: Path("/dev/null"), "is a device file"),
    ],
    ids=["missing", "empty", "fifo", "symlink", "device"],
)
def test_bad_input_is_refused_by_name_and_changes_nothing(repository, case_number, home, tmp_path, make, reason):
    path = make(tmp_path)
    before = _snapshot(repository, case_number, home)
    with pytest.raises(EvidenceError) as caught:
        Intake(repository, home, case_number).acquire_file(path, examiner=EXAMINER)
    assert caught.value.path == str(path) and reason in caught.value.reason
    assert _snapshot(repository, case_number, home) == before


def test_a_path_inside_the_case_root_is_refused(repository, case_number, home, evidence_dir):
    intake = Intake(repository, home, case_number)
    item, _ = intake.acquire_file(evidence_dir / "red.jpg", examiner=EXAMINER)
    before = _snapshot(repository, case_number, home)
    stored = home / case_number / "evidence" / item.sha256
    with pytest.raises(EvidenceError, match="inside the case root"):
        intake.acquire_file(stored, examiner=EXAMINER)
    assert _snapshot(repository, case_number, home) == before


def test_an_unreadable_file_is_refused(repository, case_number, home, evidence_dir, monkeypatch):
    target = evidence_dir / "red.jpg"
    if os.geteuid() == 0:
        # root reads through mode 000, so make the open fail the way it does for others
        real_open = os.open

        def refusing_open(path, flags, *args, **kwargs):
            if Path(path) == target:
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", refusing_open)
    else:
        target.chmod(0)
    before = _snapshot(repository, case_number, home)
    with pytest.raises(EvidenceError, match="permission denied"):
        Intake(repository, home, case_number).acquire_file(target, examiner=EXAMINER)
    assert _snapshot(repository, case_number, home) == before


def test_a_failed_record_leaves_no_orphan_copy(repository, case_number, home, evidence_dir, monkeypatch):
    def broken_record(*_args, **_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(repository, "record_acquisition", broken_record)
    with pytest.raises(RuntimeError):
        Intake(repository, home, case_number).acquire_file(evidence_dir / "red.jpg", examiner=EXAMINER)
    store = home / case_number / "evidence"
    assert list(store.iterdir()) == []
    assert repository.case_counts(case_number)["evidence"] == 0


def test_stale_temp_files_of_dead_processes_are_removed(repository, case_number, home, evidence_dir):
    store = home / case_number / "evidence"
    store.mkdir(parents=True)
    stale = store / ".incoming-999999999-abcdef"  # no such pid
    stale.write_bytes(b"half a file")
    Intake(repository, home, case_number).acquire([evidence_dir / "red.jpg"], examiner=EXAMINER)
    assert not stale.exists()


def test_acquire_refuses_without_an_examiner(repository, case_number, home, evidence_dir):
    from forensics.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="no examiner"):
        Intake(repository, home, case_number).acquire([evidence_dir], examiner="")


def test_verify_names_a_stored_file_with_one_flipped_byte(repository, case_number, home, evidence_dir):
    Intake(repository, home, case_number).acquire([evidence_dir], examiner=EXAMINER)
    assert verify_case(repository, home, case_number).ok
    item = repository.list_evidence(case_number)[1]
    stored = home / case_number / "evidence" / item.sha256
    stored.chmod(0o644)
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x01
    stored.write_bytes(bytes(data))
    result = verify_case(repository, home, case_number)
    assert not result.ok
    assert result.first_failure.kind == "evidence"
    assert result.first_failure.subject == f"E2 {item.sha256}"
    assert "no longer matches its SHA-256" in result.first_failure.message
    assert item.original_name in result.first_failure.message
