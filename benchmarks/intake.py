"""Intake throughput and memory against plain hashlib, and chain verification speed.

Run: python benchmarks/intake.py [--size-mib 2048] [--repeats 3] [--events 100000]

Prints medians; asserts nothing (the machine is noisy). Targets (issue 2): acquiring a
2 GiB file at >= 0.9x the rate of hashlib computing SHA-256+SHA-1+MD5 in parallel
threads over the same file, peak RSS < 200 MB; verifying 100,000 events < 5 s.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

MIB = 1024 * 1024


def make_file(path: Path, size_mib: int) -> None:
    block = os.urandom(16 * MIB)
    with path.open("wb") as handle:
        for _ in range(size_mib // 16):
            handle.write(block[: 8 * MIB] + os.urandom(8 * MIB))  # not one repeated block


def hashlib_parallel(path: Path) -> float:
    """Seconds for plain hashlib.file_digest of the three digests, one thread each."""
    start = time.perf_counter()
    with ThreadPoolExecutor(3) as pool:
        def one(name: str) -> str:
            with path.open("rb") as handle:
                return hashlib.file_digest(handle, name).hexdigest()
        list(pool.map(one, ["sha256", "sha1", "md5"]))
    return time.perf_counter() - start


def copy_fsync(path: Path, work: Path) -> float:
    """Seconds for a plain copy of the file with fsync onto the store's file system:
    the disk's own limit, which no intake that keeps a durable copy can beat."""
    import shutil

    target = work / "plain-copy.bin"
    start = time.perf_counter()
    with path.open("rb") as source, target.open("wb") as out:
        shutil.copyfileobj(source, out, 4 * MIB)
        out.flush()
        os.fsync(out.fileno())
    seconds = time.perf_counter() - start
    target.unlink()
    return seconds


def hashlib_sha256(path: Path) -> float:
    start = time.perf_counter()
    with path.open("rb") as handle:
        hashlib.file_digest(handle, "sha256")
    return time.perf_counter() - start


CHILD = """
import json, resource, sys, time
from pathlib import Path
from forensics.intake import Intake
from forensics.storage.engine import open_database
from forensics.storage.repository import Repository
home, path = Path(sys.argv[1]), Path(sys.argv[2])
repository = Repository(open_database(f"sqlite:///{home / 'forensics.db'}"))
repository.open_case("BENCH", title="intake benchmark", examiner="bench")
start = time.perf_counter()
item, _ = Intake(repository, home, "BENCH").acquire_file(path, examiner="bench")
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def intake_once(path: Path, work: Path) -> tuple[float, float]:
    """(seconds, peak RSS MiB) of acquiring ``path`` in a fresh process and case root."""
    home = Path(tempfile.mkdtemp(dir=work))
    out = subprocess.run([sys.executable, "-c", CHILD, str(home), str(path)],
                         check=True, capture_output=True, text=True)
    result = json.loads(out.stdout)
    subprocess.run(["chmod", "-R", "u+w", str(home)], check=True)
    subprocess.run(["rm", "-rf", str(home)], check=True)
    return result["seconds"], result["maxrss_kib"] / 1024


def chain_benchmark(events: int, work: Path) -> None:
    from sqlalchemy import insert

    from forensics.audit.chain import verify_events
    from forensics.model.records import make_link
    from forensics.storage.engine import open_database
    from forensics.storage.repository import Repository
    from forensics.storage.tables import CustodyEventRow

    repository = Repository(open_database(f"sqlite:///{work / 'chain.db'}"))
    repository.open_case("CHAIN", title="chain benchmark", examiner="bench")
    (seq0, prev) = repository.chain_head("CHAIN")
    rows, moment = [], datetime(2026, 1, 1)
    for seq in range(seq0 + 1, seq0 + events):
        moment += timedelta(milliseconds=1)
        link = make_link(case_number="CHAIN", seq=seq, time=moment, examiner="bench",
                         action="finding_recorded", subject_digest=prev,
                         payload={"detector": "frequency", "n": seq}, prev_hash=prev)
        rows.append({"case_id": 1, "seq": seq, "time": link.time, "examiner": "bench",
                         "action": "finding_recorded", "subject_digest": prev,
                         "payload_digest": link.payload_digest, "payload": link.payload,
                         "prev_hash": prev, "hash": link.hash})
        prev = link.hash
    with repository.engine.begin() as connection:
        connection.execute(insert(CustodyEventRow), rows)
    times = []
    for _ in range(3):
        start = time.perf_counter()
        check = verify_events("CHAIN", repository.iter_events("CHAIN"))
        times.append(time.perf_counter() - start)
        assert check.ok and check.events == events, check
    print(f"chain verify: {events} events, median {statistics.median(times):.2f} s "
          f"(runs {', '.join(f'{t:.2f}' for t in times)}; target < 5 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--store-dir", help="case root's file system (default: the temp dir); "
                        "e.g. /dev/shm to take the disk out of the comparison")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        work = Path(tmp)
        source = work / "evidence.bin"
        make_file(source, args.size_mib)
        size_mb = args.size_mib * MIB / 1e6
        hashlib_parallel(source)  # warm the page cache: both sides read from memory
        store = Path(args.store_dir) if args.store_dir else work
        base, alone, copies, intake, rss = [], [], [], [], []
        for _ in range(args.repeats):  # interleaved, so drift affects both alike
            base.append(hashlib_parallel(source))
            alone.append(hashlib_sha256(source))
            copies.append(copy_fsync(source, store))
            seconds, peak = intake_once(source, store)
            intake.append(seconds)
            rss.append(peak)
        rate = lambda seconds: size_mb / statistics.median(seconds)  # noqa: E731
        print(f"file: {args.size_mib} MiB, {args.repeats} runs each, medians")
        print(f"hashlib SHA-256 alone:               {rate(alone):7.0f} MB/s")
        print(f"hashlib SHA-256+SHA-1+MD5 (threads): {rate(base):7.0f} MB/s")
        print(f"plain copy + fsync to the store's disk: {rate(copies):7.0f} MB/s")
        print(f"forensics acquire (hash+copy+fsync+record): {rate(intake):7.0f} MB/s")
        print(f"ratio acquire / hashlib three digests: {rate(intake) / rate(base):.2f} (target >= 0.90)")
        print(f"ratio acquire / min(hashlib three digests, plain copy): "
              f"{rate(intake) / min(rate(base), rate(copies)):.2f}")
        print(f"peak RSS of the acquiring process: {max(rss):.0f} MB (target < 200 MB)")
        chain_benchmark(args.events, work)


if __name__ == "__main__":
    main()
