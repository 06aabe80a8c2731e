"""CLI start-up time: `forensics case list` against the bare cost of its two libraries.

A command that only reads the case database should cost little more than starting
Python with Typer and SQLAlchemy; the target is a median within 1.5 times that.

    python benchmarks/cli_startup.py [--runs 15] [--no-help] [--importtime 15] [--json OUT]

Makes a throw-away case root with one case (through the CLI itself), then times, each as
a fresh process and in turn (so that drift of the machine hits every command alike):

- ``python -c "import typer, sqlalchemy"`` (the baseline),
- ``forensics --home TMP case list`` (the console script of this interpreter's venv),
- ``forensics --help`` (no database at all).

Prints the medians, the minimum and each median's ratio to the baseline's. With
``--importtime N`` it also lists the N top-level packages whose imports cost `case list`
most (each module's own import time, summed per package).
Exits 1 when --max-ratio is given and `case list` is slower than that.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 1.5


def console_script(name: str = "forensics") -> Path:
    """The console script installed beside this interpreter (the same venv)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise SystemExit(f"{path} not found: install the suite into this venv (pip install -e .)")
    return path


def time_once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n"
                         f"{done.stderr.decode(errors='replace')}")
    return elapsed


def import_cost_by_package(argv: list[str], env: dict[str, str]) -> list[tuple[float, str]]:
    """(milliseconds, top-level package) of ``argv``'s imports, each module's own time
    only, so that a library imported first inside another is charged to itself."""
    done = subprocess.run([sys.executable, "-X", "importtime", *argv], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    totals: dict[str, float] = {}
    for line in done.stderr.splitlines():
        # "import time: self [us] | cumulative | imported package" (after a header line)
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, _cumulative, name = line.removeprefix("import time:").split("|")
        package = name.strip().split(".")[0]
        totals[package] = totals.get(package, 0.0) + int(self_us) / 1e3
    return sorted(((ms, package) for package, ms in totals.items()), reverse=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command [15]")
    parser.add_argument("--no-help", action="store_true", help="do not time `forensics --help`")
    parser.add_argument("--importtime", type=int, default=0, metavar="N",
                        help="also list the N packages whose imports cost `case list` most")
    parser.add_argument("--max-ratio", type=float, default=None,
                        help=f"exit 1 when case list / baseline exceeds this (target {TARGET_RATIO})")
    parser.add_argument("--json", type=Path, default=None, help="write the timings here")
    args = parser.parse_args()

    forensics = str(console_script())
    # no examiner, database URL or home from the caller's shell may leak into the runs
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORENSICS_")}
    env["COLUMNS"] = "100"
    with tempfile.TemporaryDirectory(prefix="cli-startup-") as tmp:
        home = str(Path(tmp) / "casefiles")
        subprocess.run([forensics, "--home", home, "case", "open", "BENCH-1",
                        "--title", "Start-up benchmark", "--examiner", "Bench Examiner"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        commands: dict[str, list[str]] = {
            "python -c 'import typer, sqlalchemy'": [sys.executable, "-c", "import typer, sqlalchemy"],
            "forensics case list": [forensics, "--home", home, "case", "list"],
        }
        if not args.no_help:
            commands["forensics --help"] = [forensics, "--help"]
        for argv in commands.values():  # warm the byte-code and file caches first
            time_once(argv, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(time_once(argv, env))
        imports = (import_cost_by_package(commands["forensics case list"], env)[: args.importtime]
                   if args.importtime else [])

    baseline_name = next(iter(commands))
    baseline = statistics.median(times[baseline_name])
    print(f"{args.runs} runs each, {sys.executable}")
    print(f"{'command':<40} {'median ms':>10} {'min ms':>8} {'ratio':>6}")
    results: dict[str, dict[str, object]] = {}
    for name, values in times.items():
        median = statistics.median(values)
        results[name] = {"median_s": median, "min_s": min(values), "ratio": median / baseline,
                         "runs_s": values}
        print(f"{name:<40} {median * 1e3:>10.0f} {min(values) * 1e3:>8.0f} "
              f"{median / baseline:>6.2f}")
    ratio = results["forensics case list"]["ratio"]
    print(f"case list / baseline: {ratio:.2f} (target <= {TARGET_RATIO})")
    if imports:
        print("\nimport time of `forensics case list` by package (ms, one -X importtime run):")
        for ms, package in imports:
            print(f"{ms:>8.1f}  {package}")
    if args.json is not None:
        args.json.write_text(json.dumps({"runs": args.runs, "python": sys.executable,
                                         "results": results, "import_ms_by_package": imports},
                                        indent=1) + "\n", encoding="utf-8")
    return 1 if args.max_ratio is not None and ratio > args.max_ratio else 0


if __name__ == "__main__":
    sys.exit(main())
