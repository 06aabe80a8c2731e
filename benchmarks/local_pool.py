"""`forensics analyze --jobs 2` against `forensics analyze` on this machine.

The same N distinct 2 MP JPEGs (made as benchmarks/analyze.py makes them), every default
detector, a fresh SQLite case per run: in this process (the networks use every core's
threads) and in a local pool of 2 spawned processes (one thread each). Both timings
include loading the models (the pool's processes load them once each). Rounds
interleaved; medians printed with their ratio.

    python benchmarks/local_pool.py [--images 60] [--rounds 2] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from analyze import make_images  # benchmarks/analyze.py beside this script

from forensics.distributed.pool import analyze_case_in_pool
from forensics.intake import Intake
from forensics.pipeline import analyze_case
from forensics.storage.engine import open_database
from forensics.storage.repository import Repository

EXAMINER = "Bench Examiner"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "photos").mkdir()
        photos = make_images(work / "photos", args.images)
        home = work / "casefiles"
        home.mkdir()
        repository = Repository(open_database(f"sqlite:///{work / 'cases.db'}"))
        times: dict[str, list[float]] = {"in-process": [], f"pool of {args.jobs}": []}
        for round_no in range(args.rounds):
            for mode in times:
                case = f"R{round_no}-{mode.replace(' ', '')}"
                repository.open_case(case, title="pool benchmark", examiner=EXAMINER)
                Intake(repository, home, case).acquire(photos, examiner=EXAMINER)
                start = time.perf_counter()
                if mode == "in-process":
                    analyze_case(repository, home, case, examiner=EXAMINER)
                else:
                    analyze_case_in_pool(repository, home, case, examiner=EXAMINER, jobs=args.jobs)
                times[mode].append(time.perf_counter() - start)
                print(f"  round {round_no + 1} {mode}: {times[mode][-1]:.2f} s", flush=True)
        median = {mode: statistics.median(t) for mode, t in times.items()}
        for mode, seconds in median.items():
            print(f"{mode:<12} {seconds:7.2f} s  {args.images / seconds:5.2f} images/s")
        pool = median[f"pool of {args.jobs}"]
        print(f"speed-up of the pool: {median['in-process'] / pool:.2f}x")


if __name__ == "__main__":
    main()
