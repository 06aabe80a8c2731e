"""Distributed analysis on this machine: Celery workers against PostgreSQL and a broker.

1. Speed-up: the same 60-image case (2 MP JPEGs made as benchmarks/analyze.py makes
   them, every default detector, fusion included) analysed through the queue by one
   worker process, then by two (one network thread each), rounds interleaved, each
   worker warmed up on a small case first (models loaded). Target: >= 1.7x on 2 cores.
2. Overhead per unit: the same units in-process, through ``run_units`` on a long-lived
   ``Analyser`` with one thread (what one worker process does, without the queue), next
   to one worker process; (queued - in-process) / units. Measured on the 60-image case
   and on a cheap case (the ``structure`` detector over small PNGs), where the analysis
   itself is short and the queue's cost shows. Target: < 50 ms.
3. A 2,000-item case (small distinct images; metadata, frequency, structure, fusion)
   queued to two worker commands; when about a third of the units are done, one worker
   is killed with SIGKILL (its whole process group) and a new one started. Printed: the
   units per state, findings, duplicates (must be 0), and whether the case verifies.

    python benchmarks/distributed.py [--broker URL] [--pg URL] [--images 60]
        [--cheap 300] [--items 2000] [--rounds 2] [--skip speedup|overhead|scale]

Needs PostgreSQL (a database is created and dropped) and a broker; the machine's load
average is printed before each part, since the speed-up needs two idle cores.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("FORENSICS_THREADS", "1")  # in-process runs match one worker process
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from analyze import make_images
from kombu import Connection
from kombu.utils.url import maybe_sanitize_url
from PIL import Image
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from forensics.distributed.enqueue import enqueue, plan_units, wait
from forensics.evidence.store import CaseStore
from forensics.intake import Intake
from forensics.model.work import UnitState
from forensics.pipeline import (
    Analyser,
    Recording,
    combine_recorded,
    evidence_inputs,
    run_units,
    select_detectors,
)
from forensics.storage.engine import open_database
from forensics.storage.ledger import WorkLedger
from forensics.storage.repository import Repository
from forensics.verify import verify_case

EXAMINER = "Bench Examiner"
FORENSICS = str(Path(sys.executable).parent / "forensics")
SCALE_DETECTORS = ("metadata", "frequency", "structure")


@contextmanager
def database(admin_url: str) -> Iterator[str]:
    name = f"bench_distributed_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


class Worker:
    """One `forensics worker` command in its own process group."""

    def __init__(self, lab: Lab, concurrency: int, name: str) -> None:
        self.log = lab.home.parent / f"worker-{name}.log"
        env = dict(os.environ, FORENSICS_DB_URL=lab.db_url, FORENSICS_HOME=str(lab.home))
        self.process = subprocess.Popen(
            [FORENSICS, "worker", "--concurrency", str(concurrency), "--threads", "1",
             "--queues", lab.queue, "--broker", lab.broker, "--loglevel", "INFO"],
            env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while " ready." not in self.log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise SystemExit(f"worker did not start: {self.log.read_text()}")
            time.sleep(0.2)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


class Lab:
    def __init__(self, db_url: str, home: Path, broker: str) -> None:
        self.db_url, self.home, self.broker = db_url, home, broker
        self.queue = f"bench-{uuid.uuid4().hex[:8]}"
        self.repository = Repository(open_database(db_url))
        self.ledger = WorkLedger(self.repository.engine)

    def case(self, files: Sequence[Path]) -> str:
        number = f"B-{uuid.uuid4().hex[:10]}"
        self.repository.open_case(number, title="distributed benchmark", examiner=EXAMINER)
        Intake(self.repository, self.home, number).acquire(list(files), examiner=EXAMINER)
        return number

    def queued(self, case: str, detector_names: Sequence[str] = ()) -> tuple[float, int]:
        """Seconds from enqueue to every unit ended, and the number of units."""
        units, combined = plan_units(self.repository.list_evidence(case), select_detectors(detector_names))
        start = time.perf_counter()
        queued = enqueue(self.ledger, self.broker, case, units, combined, EXAMINER, self.queue)
        statuses = wait(self.ledger, case, queued, lambda _: None, timeout_s=3600, poll_s=0.1)
        sent = queued.units
        seconds = time.perf_counter() - start
        failed = [s for s in statuses if s.state != UnitState.DONE]
        if failed:
            raise SystemExit(f"{len(failed)} units failed: {failed[0].reason}")
        return seconds, len(sent)

    def in_process(self, analyser: Analyser, case: str) -> tuple[float, int]:
        """Seconds for ``run_units`` on a warm analyser, and the number of units."""
        items = self.repository.list_evidence(case)
        inputs = evidence_inputs(CaseStore(self.home, case), items)
        recording = Recording(self.repository, CaseStore(self.home, case), case, EXAMINER)
        start = time.perf_counter()
        recorded = run_units(recording, analyser, [(e, analyser.detectors) for e in inputs],
                             {i.sha256: i.label for i in items})
        recorded += combine_recorded(recording, recorded)
        return time.perf_counter() - start, len({(r.finding.evidence_sha256, r.finding.detector)
                                                 for r in recorded})


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def small_images(folder: Path, count: int, side: int = 64) -> list[Path]:
    """Distinct small images (seeded noise), PNG and JPEG alternately."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261202)
    paths = []
    for i in range(count):
        pixels = (rng.random((side, side, 3)) * 255).astype("uint8")
        path = folder / (f"{i:05d}.png" if i % 2 else f"{i:05d}.jpg")
        Image.fromarray(pixels).save(path, quality=90)
        paths.append(path)
    return paths


def speedup_and_overhead(lab: Lab, work: Path, images: int, cheap: int, rounds: int,
                         skip: set[str]) -> None:
    for folder in ("photos", "warm"):
        (work / folder).mkdir()
    photos = make_images(work / "photos", images)
    warm = make_images(work / "warm", 4, seed=7)
    cheap_files = small_images(work / "cheap", cheap)
    times: dict[str, list[float]] = {"1 worker": [], "2 workers": [], "in-process": [],
                                     "cheap 1 worker": [], "cheap in-process": []}
    units: dict[str, int] = {}
    for round_no in range(rounds):
        for processes in (1, 2):
            if processes == 2 and "speedup" in skip:
                continue
            print(f"round {round_no + 1}, {processes} worker process(es); {load()}", flush=True)
            worker = Worker(lab, processes, f"{processes}-{round_no}")
            try:
                lab.queued(lab.case(warm))
                key = f"{processes} worker" + ("s" if processes == 2 else "")
                seconds, units[key] = lab.queued(lab.case(photos))
                times[key].append(seconds)
                if processes == 1 and "overhead" not in skip:
                    seconds, units["cheap"] = lab.queued(lab.case(cheap_files), ["structure"])
                    times["cheap 1 worker"].append(seconds)
            finally:
                worker.stop()
        if "overhead" not in skip:
            print(f"round {round_no + 1}, in-process; {load()}", flush=True)
            with Analyser(select_detectors(())) as analyser:
                lab_case = lab.case(warm)
                lab.in_process(analyser, lab_case)
                seconds, _ = lab.in_process(analyser, lab.case(photos))
                times["in-process"].append(seconds)
            with Analyser(select_detectors(["structure"])) as analyser:
                seconds, _ = lab.in_process(analyser, lab.case(cheap_files))
                times["cheap in-process"].append(seconds)
    median = {k: statistics.median(v) for k, v in times.items() if v}
    print(f"\n{images} images of 2 MP, every default detector ({units.get('1 worker', 0)} units "
          f"incl. fusion), medians of {rounds}:")
    for key in ("in-process", "1 worker", "2 workers"):
        if key in median:
            print(f"  {key:<11} {median[key]:7.2f} s  {images / median[key]:5.2f} images/s")
    if "2 workers" in median:
        print(f"  speed-up 2 workers vs 1: {median['1 worker'] / median['2 workers']:.2f}x "
              "(target >= 1.7x)")
    if "in-process" in median:
        per = (median["1 worker"] - median["in-process"]) / units["1 worker"] * 1000
        print(f"  overhead per unit, 1 worker vs in-process: {per:.1f} ms (target < 50 ms)")
    if "cheap in-process" in median:
        per = (median["cheap 1 worker"] - median["cheap in-process"]) / units["cheap"] * 1000
        print(f"{cheap} small PNG/JPEG, structure detector ({units['cheap']} units incl. fusion): "
              f"in-process {median['cheap in-process']:.2f} s, 1 worker {median['cheap 1 worker']:.2f} s, "
              f"overhead per unit {per:.1f} ms (target < 50 ms)")


def scale(lab: Lab, work: Path, items: int) -> None:
    print(f"\n{items}-item case; {load()}", flush=True)
    files = small_images(work / "scale", items, side=48)
    case = lab.case(files)
    units, combined = plan_units(lab.repository.list_evidence(case), select_detectors(SCALE_DETECTORS))
    workers = [Worker(lab, 1, "a"), Worker(lab, 1, "b")]
    start = time.perf_counter()
    sent = enqueue(lab.ledger, lab.broker, case, units, combined, EXAMINER, lab.queue).units
    killed = False
    try:
        while True:
            counts = Counter(s.state for s in lab.ledger.statuses(case))
            if not killed and counts[UnitState.DONE] >= len(sent) // 3:
                workers[0].kill()  # the whole worker: main process and its pool
                print(f"  SIGKILL of worker a at {counts[UnitState.DONE]} units done; "
                      "worker c started", flush=True)
                workers[0] = Worker(lab, 1, "c")
                killed = True
            if counts[UnitState.DONE] + counts[UnitState.FAILED] >= len(sent):
                break
            time.sleep(1)
    finally:
        for worker in workers:
            worker.stop()
    seconds = time.perf_counter() - start
    statuses = lab.ledger.statuses(case)
    counts = Counter(s.state.value for s in statuses)
    findings = lab.repository.list_findings(case)
    digests = [(f.evidence_sha256, f.digest) for f in findings]
    events = Counter(e.action for e in lab.repository.iter_events(case))
    redone = sum(1 for s in statuses if s.attempts > 1)
    report = verify_case(lab.repository, lab.home, case)
    print(f"  {items} items, {len(sent)} units queued, ended in {seconds:.0f} s "
          f"({len(sent) / seconds:.1f} units/s)")
    print("  units per state: " + ", ".join(f"{k} {counts[k]}" for k in ("queued", "running", "done", "failed")))
    print(f"  units run more than once (redelivered after the kill): {redone}")
    print(f"  findings {len(findings)}, duplicate findings {len(digests) - len(set(digests))}, "
          f"finding_recorded events {events['finding_recorded']}, "
          f"finding_rerun events {events['finding_rerun']}")
    print(f"  verify: {'OK' if report.ok else 'FAILED ' + str(report.first_failure)}, "
          f"{sum(events.values())} custody events")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", default="amqp://guest:guest@127.0.0.1:5672//")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--cheap", type=int, default=300)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip", action="append", default=[],
                        choices=["speedup", "overhead", "scale"])
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; broker {maybe_sanitize_url(args.broker)}; {load()}")
    with tempfile.TemporaryDirectory() as tmp, database(args.pg) as db_url:
        work = Path(tmp)
        home = work / "casefiles"
        home.mkdir()
        lab = Lab(db_url, home, args.broker)
        try:
            if not {"speedup", "overhead"} <= set(args.skip):
                speedup_and_overhead(lab, work, args.images, args.cheap, args.rounds, set(args.skip))
            if "scale" not in args.skip:
                scale(lab, work, args.items)
        finally:
            with Connection(args.broker) as connection:  # the run's queue goes with it
                connection.default_channel.queue_delete(lab.queue)


if __name__ == "__main__":
    main()
