"""Kills (issue 15, campaign part c): SIGKILL at random points of `forensics acquire` (a
1 GiB file), `forensics analyze` and `forensics report`, then verify, re-run, verify.

    python benchmarks/kills.py [--rounds 5] [--seed 20261202] [--db URL]

Each round starts the command as its own process, kills it after a random delay, and
checks: `forensics verify` passes; no temporary file is left once the command has run
again; every stored evidence file has its row and every row its file; the re-run
completes; no finding is stored twice (rows = distinct digests = finding_recorded
events); a report path holds either nothing or a report that verifies. Printed: per
command, rounds, how many kills landed before the command finished, and each check's
count of passes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

FORENSICS = str(Path(sys.executable).with_name("forensics"))
CASE = "KILLS-1"
ENV = {**os.environ, "FORENSICS_EXAMINER": "Campaign Examiner", "FORENSICS_KEY_PASSPHRASE": "campaign passphrase"}


def run(home: Path, db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([FORENSICS, "--home", str(home), "--db", db, *args], env=ENV,
                          capture_output=True, text=True, timeout=1800)


def killed(home: Path, db: str, delay: float, *args: str) -> bool:
    """Start the command, SIGKILL it after ``delay`` seconds; True when it was still running."""
    process = subprocess.Popen([FORENSICS, "--home", str(home), "--db", db, *args], env=ENV,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    alive = process.poll() is None
    if alive:
        process.send_signal(signal.SIGKILL)
    process.wait()
    return alive


def big_file(path: Path, size: int, seed: int) -> Path:
    block = np.random.default_rng(seed).integers(0, 256, 1 << 24, dtype=np.uint8).tobytes()  # 16 MiB
    with path.open("wb") as handle:
        for _ in range(size // len(block)):
            handle.write(block)
    return path


def store_consistent(home: Path, db: str) -> tuple[bool, bool]:
    """(no temporary file left, every evidence file has its row and every row its file)."""
    folder = home / CASE / "evidence"
    temps = [p for p in folder.iterdir() if not (len(p.name) == 64 and all(c in "0123456789abcdef" for c in p.name))]
    shown = json.loads(run(home, db, "case", "show", CASE, "--json").stdout)
    rows = {item["sha256"] for item in shown["evidence"]}
    files = {p.name for p in folder.iterdir()} - {p.name for p in temps}
    return not temps, rows == files


def findings_unique(home: Path, db: str) -> bool:
    findings = json.loads(run(home, db, "findings", CASE, "--json").stdout)
    digests = [f["digest"] for f in findings]
    events = json.loads(run(home, db, "custody", CASE, "--json").stdout)
    recorded = [e for e in events if e["action"] == "finding_recorded"]
    return len(digests) == len(set(digests)) == len(recorded)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--db", default=None, help="database URL (default: SQLite in the temporary home)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="kills-"))
    home = root / "home"
    db = args.db or f"sqlite:///{root / 'case.db'}"
    checks: Counter[str] = Counter()
    try:
        assert run(home, db, "case", "open", CASE, "--title", "kill campaign").returncode == 0
        media = root / "media"
        media.mkdir()
        for name in ("astronaut", "coffee", "chelsea", "rocket"):
            Image.fromarray(getattr(data, name)()).save(media / f"{name}.jpg", quality=90)
        assert run(home, db, "acquire", CASE, str(media)).returncode == 0
        key = json.loads(run(home, db, "keys", "create", "--json").stdout)["key"]
        for n in range(args.rounds):
            big = big_file(root / f"big{n}.bin", 1 << 30, args.seed + n)
            delay = rng.uniform(0.3, 6.0)
            checks["acquire: killed while running"] += killed(home, db, delay, "acquire", CASE, str(big))
            checks["acquire: verify after the kill"] += run(home, db, "verify", CASE).returncode == 0
            checks["acquire: re-run completes"] += run(home, db, "acquire", CASE, str(big)).returncode == 0
            no_temp, matched = store_consistent(home, db)
            checks["acquire: no temporary file after the re-run"] += no_temp
            checks["acquire: files and rows match"] += matched
            checks["acquire: verify after the re-run"] += run(home, db, "verify", CASE).returncode == 0
            big.unlink()

            checks["analyze: killed while running"] += killed(home, db, rng.uniform(0.5, 6.0), "analyze", CASE)
            checks["analyze: verify after the kill"] += run(home, db, "verify", CASE).returncode == 0
            checks["analyze: re-run completes"] += run(home, db, "analyze", CASE).returncode == 0
            checks["analyze: no finding stored twice"] += findings_unique(home, db)
            checks["analyze: verify after the re-run"] += run(home, db, "verify", CASE).returncode == 0

            out = root / f"report{n}.pdf"
            checks["report: killed while running"] += killed(home, db, rng.uniform(0.3, 3.0),
                                                             "report", CASE, "--sign", key, "--out", str(out))
            left = (not out.exists()) or run(home, db, "verify", "--report", str(out), "--case", CASE).returncode == 0
            checks["report: nothing or a verifying report at the path"] += left
            checks["report: verify after the kill"] += run(home, db, "verify", CASE).returncode == 0
            if out.exists():
                out.unlink()
            checks["report: re-run completes"] += run(home, db, "report", CASE, "--sign", key,
                                                      "--out", str(out)).returncode == 0
            checks["report: the re-run verifies"] += run(home, db, "verify", "--report", str(out),
                                                         "--case", CASE).returncode == 0
            print(f"round {n + 1}/{args.rounds} done", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for name in sorted(checks):
        print(f"  {name:52s} {checks[name]}/{args.rounds}")


if __name__ == "__main__":
    main()
