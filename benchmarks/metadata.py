"""exiftool stay-open batches (the metadata detector's session) against one
``exiftool -j`` process spawned per file, on the same generated files.

Run: python benchmarks/metadata.py [--files 500] [--repeats 3] [--batch-size 64]

Writes ``--files`` small pictures (JPEGs with camera and editor EXIF, PNGs with
generator text chunks) to a temporary folder, then prints the median wall-clock and CPU
seconds per file of both ways and their ratios (target, issue 3: stay-open batched
>= 25x faster), and the whole detector's throughput (exiftool + rules + C2PA + thumbnail
check) for context. The CPU ratio does not depend on what else the machine runs; the
wall ratio does. Asserts nothing: the machine is noisy.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from forensics.detectors.metadata import ExifToolSession, MetadataDetector
from forensics.model import EvidenceInput

A1111 = "a duck\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: {seed}, Size: 64x64, Model: sd15"


def make_files(folder: Path, count: int) -> list[Path]:
    """Half JPEGs with EXIF (camera make/model, editor, dates), half PNGs with A1111 chunks."""
    paths = []
    for i in range(count):
        image = Image.new("RGB", (64, 48), ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256))
        if i % 2:
            exif = Image.Exif()
            exif[0x010F], exif[0x0110], exif[0x0131] = "Canon", "EOS 80D", "GIMP 2.10"
            exif[0x0132] = "2024:01:02 03:04:05"
            path = folder / f"img{i:04d}.jpg"
            image.save(path, quality=85, exif=exif)
        else:
            info = PngInfo()
            info.add_text("parameters", A1111.format(seed=i))
            path = folder / f"img{i:04d}.png"
            image.save(path, pnginfo=info)
        paths.append(path)
    return paths


def process_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) a running process has used, from /proc (Linux only)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Timings:
    """Per-file wall and CPU seconds of one way of running exiftool."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def spawn_one(path: Path, into: Timings) -> None:
    """One `exiftool -j -G1 FILE` process."""
    cpu, began = children_cpu_s(), time.perf_counter()
    subprocess.run(["exiftool", "-j", "-G1", str(path)], check=True, capture_output=True)
    into.wall.append(time.perf_counter() - began)
    into.cpu.append(children_cpu_s() - cpu)


def compare(paths: list[Path], batch_size: int, repeats: int) -> tuple[Timings, Timings, float]:
    """Stay-open and spawned timings, and the seconds of one stay-open pass over all files
    (the process start included).

    The two are interleaved batch by batch (``repeats`` stay-open reads of a batch, then one
    spawned process per file of it) so that both meet the same load on a shared machine.
    """
    stay_open, spawned = Timings(), Timings()
    began = time.perf_counter()
    with ExifToolSession() as session:
        one_pass_s = time.perf_counter() - began
        for first in range(0, len(paths), batch_size):
            batch = paths[first: first + batch_size]
            for _ in range(repeats):
                pid = session.pid
                cpu, began = process_cpu_s(pid) if pid else None, time.perf_counter()
                records = session.read(batch)
                seconds = time.perf_counter() - began
                after = process_cpu_s(pid) if pid else None
                assert all(isinstance(r, dict) for r in records) and session.pid == pid
                one_pass_s += seconds / repeats
                stay_open.wall.append(seconds / len(batch))
                if cpu is not None and after is not None:
                    stay_open.cpu.append((after - cpu) / len(batch))
            for path in batch:
                spawn_one(path, spawned)
    return stay_open, spawned, one_pass_s


def detector_seconds(paths: list[Path], batch_size: int) -> float:
    items = [
        EvidenceInput(path=p, sha256=hashlib.sha256(p.read_bytes()).hexdigest(),
                      media_type="image/jpeg" if p.suffix == ".jpg" else "image/png")
        for p in paths
    ]
    began = time.perf_counter()
    with MetadataDetector(batch_size=batch_size) as detector:
        for _ in detector.run_batch(items):
            pass
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3, help="stay-open reads per batch (spawning: once)")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-metadata-") as tmp:
        paths = make_files(Path(tmp), args.files)
        subprocess.run(["exiftool", "-ver"], check=True, capture_output=True)  # page in exiftool's Perl modules
        stay_open, spawned, one_pass_s = compare(paths, args.batch_size, args.repeats)
        detector_total = statistics.median(detector_seconds(paths, args.batch_size) for _ in range(args.repeats))

    print(f"{args.files} files, batches of {args.batch_size}, {args.repeats} stay-open reads per batch "
          "(interleaved with the spawned runs)")
    for label in ("wall", "cpu"):
        stay_values, spawn_values = getattr(stay_open, label), getattr(spawned, label)
        if not stay_values:
            continue  # no /proc: CPU time of the stay-open process is not measurable here
        stay, spawn = statistics.median(stay_values), statistics.median(spawn_values)
        print(f"{label:4s} median ms/file: stay-open batched {stay * 1000:7.2f}, spawned per file "
              f"{spawn * 1000:7.2f}  -> ratio {spawn / stay:5.1f}x  (target >= 25x)")
    print(f"one stay-open pass over {args.files} files (process start included): {one_pass_s:.2f} s; "
          f"spawned: {sum(spawned.wall):.1f} s  -> {sum(spawned.wall) / one_pass_s:.1f}x")
    print(f"whole detector: median {detector_total:.2f} s for {args.files} files "
          f"({args.files / detector_total:.0f} files/s: exiftool + rules + C2PA + thumbnails)")


if __name__ == "__main__":
    main()
