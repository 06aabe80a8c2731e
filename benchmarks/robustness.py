"""Robustness campaign (issue 15), seeded and repeatable; each part prints its counts.

    python benchmarks/robustness.py [--parts tamper concurrency] [--edits 1000] [--flips 1000]
                                    [--seed 20261202] [--backends sqlite postgresql]

tamper: a case with three acquired images, the metadata, frequency and structure
  detectors' findings (with artifacts) and a signed report; the database's guard
  triggers are dropped. Then, one at a time and undone after: ``--edits`` random single
  edits (any table, row and column except the surrogate ``id`` keys and the columns
  README lists as unprotected), each followed by ``verify_case``; and ``--flips``
  random single-byte flips over the stored evidence, the artifacts and the signed
  report, each followed by ``verify_case`` or ``verify_report``. Printed: how many were
  detected, and how many were named right (the table and column, the seq of an edited
  custody event, the evidence item or artifact, the report).
concurrency: 8 processes append 500 custody events each to one case; printed: events,
  seconds, and whether the chain is one line (consecutive seqs, each prev_hash the
  previous hash, verify passes).
Not yet here: malformed-input and kill parts.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import random
import re
import shutil
import stat
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image
from skimage import data
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError as DBIntegrityError

from forensics.intake import Intake
from forensics.keys import create_examiner_key
from forensics.pipeline import analyze_case
from forensics.reports.generate import generate_report
from forensics.reports.sign import load_signer
from forensics.reports.verify import verify_report
from forensics.storage.engine import open_database
from forensics.storage.repository import Repository
from forensics.verify import verify_case

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.audit.helpers import append_notes, drop_guard_triggers

EXAMINER = "Campaign Examiner"
CASE = "ROBUST-1"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
TABLES = ("cases", "evidence_items", "findings", "custody_events", "examiners")
#: columns README lists as deliberately unprotected (surrogate keys are never edited)
UNPROTECTED = {("examiners", "created_at")}
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?$")


@contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'case.db'}"
        return
    import psycopg

    name = f"robustness_{int(time.time() * 1000) % 10**9}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build_case(db_url: str, home: Path, folder: Path) -> tuple[Repository, Path]:
    repository = Repository(open_database(db_url))
    media = folder / "media"
    media.mkdir()
    Image.fromarray(data.astronaut()).save(media / "astronaut.jpg", quality=90)
    Image.fromarray(data.coffee()).save(media / "coffee.png")
    Image.fromarray(data.chelsea()).save(media / "chelsea.jpg", quality=80)
    repository.open_case(CASE, title="Robustness campaign", examiner=EXAMINER)
    Intake(repository, home, CASE).acquire([media], examiner=EXAMINER)
    analyze_case(repository, home, CASE, examiner=EXAMINER, detector_names=["metadata", "frequency", "structure"])
    keys = create_examiner_key(EXAMINER, "campaign passphrase", out_dir=folder / "keys")
    report = generate_report(repository, home, CASE, examiner=EXAMINER, out=folder / "report.pdf",
                             signer=load_signer(keys.key_path, "campaign passphrase"), scope="campaign")
    assert verify_case(repository, home, CASE).ok and verify_report(report.path, repository).ok
    drop_guard_triggers(repository)
    return repository, report.path


def _changed(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rng.choice([-1, 1, 7])
    text_value = str(value)
    if not isinstance(value, datetime) and _DATETIME.match(text_value):  # SQLite keeps dates as text
        value = datetime.fromisoformat(text_value)
    if isinstance(value, datetime):
        return value + timedelta(days=rng.choice([-3, 1, 400]), seconds=rng.randint(0, 59))
    if text_value and all(c in "0123456789abcdef" for c in text_value):  # a digest: flip one digit
        at = rng.randrange(len(text_value))
        return text_value[:at] + ("0" if text_value[at] != "0" else "1") + text_value[at + 1:]
    if text_value.startswith(("{", "[")) and len(text_value) > 2:  # JSON: change one character inside
        at = rng.randrange(1, len(text_value) - 1)
        return text_value[:at] + ("x" if text_value[at] != "x" else "y") + text_value[at + 1:]
    return text_value + rng.choice(["x", " ", "0"])


def _named(problem: Any, table: str, column: str, row: dict[str, Any]) -> bool:
    """Whether the first problem names what was edited."""
    if problem is None:
        return False
    if table == "custody_events":
        return problem.kind == "chain" and (problem.subject == f"seq {row['seq']}" or column in ("seq", "case_id"))
    if table == "findings" and column in ("body", "digest"):
        return problem.kind == "finding"
    if table == "evidence_items" and column == "sha256":
        return problem.kind in ("evidence", "anchor")
    if table == "cases" and column == "number":
        return problem.kind == "chain" and problem.subject == "seq 1"
    field = {"created_by_id": "created_by", "acquired_by_id": "acquired_by", "evidence_id": "evidence_id",
             "case_id": "(row)"}.get(column, column)
    wanted = {"examiners": ("cases", "evidence_items")}.get(table, (table,))
    return problem.kind == "record" and problem.subject.startswith(wanted) and field in problem.subject


def tamper_edits(repository: Repository, home: Path, edits: int, rng: random.Random) -> None:
    detected, named, skipped, refused = Counter(), Counter(), Counter(), Counter()
    started = time.perf_counter()
    for _ in range(edits):
        table = rng.choice(TABLES)
        with repository.engine.connect() as connection:
            rows = [dict(r._mapping) for r in connection.execute(text(f"SELECT * FROM {table}"))]
        row = rng.choice(rows)
        columns = [c for c in row if c != "id" and (table, c) not in UNPROTECTED]
        column = rng.choice(columns)
        new = _changed(row[column], rng)
        try:
            with repository.engine.begin() as connection:
                connection.execute(text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),
                                   {"v": new, "id": row["id"]})
        except DBIntegrityError:  # a unique or foreign-key constraint refused the edit itself
            refused[f"{table}.{column}"] += 1
            continue
        number = new if (table, column) == ("cases", "number") else CASE
        try:
            result = verify_case(repository, home, number)
            problem = result.first_failure
            found = not result.ok
        except Exception as exc:  # noqa: BLE001 - a refusal (e.g. a case that no longer resolves) is a detection
            problem, found = None, True
            skipped[f"{table}.{column}: {type(exc).__name__}"] += 1
        detected[found] += 1
        right = found and (problem is None or _named(problem, table, column, row))
        named[right] += 1
        if found and not right and named[False] <= 10:
            print(f"  named otherwise: {table}.{column}: {problem.kind} {problem.subject}: {problem.message[:100]}")
        if not found:
            print(f"  MISSED: {table}.{column} row {row['id']}: {row[column]!r} -> {new!r}")
        with repository.engine.begin() as connection:
            connection.execute(text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),
                               {"v": row[column], "id": row["id"]})
    took = time.perf_counter() - started
    made = detected[True] + detected[False]
    print(f"  edits: {edits} drawn, {sum(refused.values())} refused by the database's constraints "
          f"{dict(refused)}; {made} made: detected {detected[True]} ({100 * detected[True] / max(1, made):.1f}%), "
          f"named right {named[True]}, {took:.1f} s; verify refused to run (counted detected): {dict(skipped)}")


def _flip(path: Path, rng: random.Random) -> tuple[int, int]:
    mode = path.stat().st_mode
    path.chmod(mode | stat.S_IWUSR)
    raw = bytearray(path.read_bytes())
    at = rng.randrange(len(raw))
    old = raw[at]
    raw[at] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(raw))
    return at, old


def _unflip(path: Path, at: int, old: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[at] = old
    path.write_bytes(bytes(raw))


def tamper_flips(repository: Repository, home: Path, report: Path, flips: int, rng: random.Random) -> None:
    store = home / CASE
    targets = [("evidence", p) for p in sorted((store / "evidence").iterdir())]
    targets += [("artifact", p) for p in sorted((store / "artifacts").iterdir())]
    targets.append(("report", report))
    detected, named = Counter(), Counter()
    started = time.perf_counter()
    for _ in range(flips):
        kind, path = rng.choice(targets)
        at, old = _flip(path, rng)
        if kind == "report":
            result = verify_report(path, repository)
            found, right = not result.ok, not result.ok
        else:
            result = verify_case(repository, home, CASE)
            problem = result.first_failure
            found = not result.ok
            right = problem is not None and path.name in problem.message + problem.subject
        detected[(kind, found)] += 1
        named[(kind, right)] += 1
        if not found:
            print(f"  MISSED: {kind} {path.name} byte {at}")
        _unflip(path, at, old)
    took = time.perf_counter() - started
    for kind in ("evidence", "artifact", "report"):
        total = detected[(kind, True)] + detected[(kind, False)]
        print(f"  flips in {kind}: {total}, detected {detected[(kind, True)]}, named right {named[(kind, True)]}")
    print(f"  flips: {flips} in {took:.1f} s")


def concurrency(db_url: str, home: Path, processes: int = 8, events: int = 500) -> None:
    repository = Repository(open_database(db_url))
    repository.open_case(CASE, title="concurrency", examiner=EXAMINER)
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=append_notes, args=(db_url, CASE, w, events, start)) for w in range(processes)]
    for w in workers:
        w.start()
    began = time.perf_counter()
    start.set()
    for w in workers:
        w.join()
    took = time.perf_counter() - began
    chain = list(repository.iter_events(CASE))
    linear = [e.seq for e in chain] == list(range(1, len(chain) + 1)) and all(
        b.prev_hash == a.hash for a, b in itertools.pairwise(chain))
    result = verify_case(repository, home, CASE)
    print(f"  {processes} processes x {events} events: exit codes {[w.exitcode for w in workers]}, "
          f"{len(chain) - 1} events appended in {took:.1f} s ({(len(chain) - 1) / took:.0f}/s); "
          f"one linear chain: {linear}; no fork: {len({e.prev_hash for e in chain}) == len(chain)}; "
          f"verify ok: {result.ok}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["tamper", "concurrency"])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--edits", type=int, default=1000)
    parser.add_argument("--flips", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    for backend in args.backends:
        for part in args.parts:
            rng = random.Random(f"{args.seed}-{backend}-{part}")
            folder = Path(tempfile.mkdtemp(prefix=f"robust-{part}-"))
            try:
                with database(backend, folder) as url:
                    print(f"== {part} on {backend}", flush=True)
                    if part == "tamper":
                        repository, report = build_case(url, folder / "home", folder)
                        tamper_edits(repository, folder / "home", args.edits, rng)
                        tamper_flips(repository, folder / "home", report, args.flips, rng)
                        repository.engine.dispose()
                    elif part == "concurrency":
                        concurrency(url, folder / "home")
                    else:
                        sys.exit(f"unknown part {part}")
            finally:
                shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
