"""The whole analysis as the product runs it: a 60 s 720p video and 2 MP JPEGs.

Times ``forensics.pipeline.analyze_case`` (every registered detector, findings hashed,
stored and chained in SQLite, the combined finding added) on a fresh case per run, the
evidence acquired beforehand and not timed, next to baselines measured in the same run:

1. video: a 60 s, 1280x720, 30 fps H.264 (yuv420p) clip of scikit-image's astronaut
   portrait, swaying slowly as in benchmarks/video.py and blinking about 15 times a minute
   (lids drawn as in tests/media/blink_clips.py), generated once per run (seeded).
   Printed: seconds, frames per second, the ratio to real time (fps / 30) and to PyAV
   decoding the same clip (every frame, ``thread_type="AUTO"``, no conversion; and decode
   + ``to_ndarray("rgb24")``). Target: >= 90 fps (3x real time) on 2 cores.
2. images: 24 distinct JPEGs of 1920x1080 (2.07 MP, quality 90) made as benchmarks/images.py
   makes them from scikit-image's photographs (4 show a face: the astronaut, the cameraman).
   Printed: images per second, and the ratio to Pillow decoding the same files.
   Target: >= 20 images/s on 2 cores.

Each detector is also timed alone (``detector_names=[name]``), to show where time goes.
Rounds are interleaved (baselines, all detectors, each detector, then again), so drift
affects every figure alike; figures are medians over the rounds. CPU seconds (this
process and its finished children, e.g. exiftool) are printed beside wall seconds:
their ratio says how many of the cores the work kept busy.

    python benchmarks/analyze.py [--rounds 3] [--seconds 60] [--images 24]
                                 [--detectors NAME ...] [--skip video|images] [--json OUT]

Run it as a script (it imports ``decode_only`` from benchmarks/video.py beside it), in the
tree whose code it should measure. Intake is imported from ``forensics.intake`` or, before
the refactor, ``forensics.evidence.intake``; nothing else differs between the two layouts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# video: benchmarks/video.py (a script's folder is sys.path[0])
import av
import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from skimage import data
from video import FPS, HEIGHT, WIDTH, decode_only

from forensics.detectors.registry import detectors as registered_detectors
from forensics.intake import Intake
from forensics.pipeline import analyze_case
from forensics.storage.engine import open_database
from forensics.storage.repository import Repository

EXAMINER = "Bench Examiner"
CASE = "BENCH-ANALYZE"
SEED = 20260601
VIDEO_TARGET_FPS = 90.0  # 3x real time at 30 fps
IMAGE_TARGET_RATE = 20.0  # images per second

# The astronaut's eye centres in the 512x512 photo, and a blink's lid closure per frame
# (0 open .. 1 shut), as tests/media/blink_clips.py measured and drew them.
EYES = ((204.3, 101.0), (246.4, 103.2))
EYE_HALF_WIDTH, EYE_HALF_HEIGHT = 9.5, 3.5
BLINK_PROFILE = (0.5, 1.0, 1.0, 0.5)
PORTRAIT_SIDE, PORTRAIT_LEFT = 720, 280  # where video.make_clip puts the portrait

SIZE = (1920, 1080)
# scikit-image's photographs (public domain, shipped with it); two show a face
PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "rocket", "brick", "grass", "gravel",
          "hubble_deep_field", "retina", "immunohistochemistry", "coins")  # fmt: skip


# -- inputs ---------------------------------------------------------------------------


def close_eyes(image: np.ndarray, closure: float) -> np.ndarray:
    """The astronaut with both eyes ``closure`` shut: skin from the lid above painted
    down to the lid's edge, and a dark lash line along it."""
    if closure <= 0:
        return image
    pil = Image.fromarray(image)
    for x, y in EYES:
        patch = image[int(y - 10) : int(y - 6), int(x - 6) : int(x + 6)].reshape(-1, 3)
        skin = tuple(int(v) for v in np.median(patch, axis=0))
        w, h = EYE_HALF_WIDTH + 3, EYE_HALF_HEIGHT + 3
        lid_y = y - h + 2 * h * closure
        mask = Image.new("L", pil.size, 0)
        ImageDraw.Draw(mask).ellipse((x - w, y - h, x + w, y + h), fill=255)
        ImageDraw.Draw(mask).rectangle((0, lid_y, pil.width, pil.height), fill=0)
        pil.paste(skin, (0, 0, pil.width, pil.height), mask.filter(ImageFilter.GaussianBlur(1)))
        ImageDraw.Draw(pil).line((x - w + 2, lid_y, x + w - 2, lid_y), fill=(60, 40, 35), width=2)
    return np.asarray(pil)


def blink_starts(n_frames: int, rng: np.random.Generator) -> list[int]:
    """Blink onsets 2.5-5.5 s apart (about 15 a minute, a resting rate), from 1.5 s on."""
    starts, t = [], 1.5
    while (frame := round(t * FPS)) + len(BLINK_PROFILE) < n_frames:
        starts.append(frame)
        t += rng.uniform(2.5, 5.5)
    return starts


def make_clip(path: Path, seconds: float, seed: int = SEED) -> tuple[Path, int, int]:
    """The swaying, blinking astronaut as H.264 yuv420p; (path, frames, blinks)."""
    n_frames = round(seconds * FPS)
    starts = blink_starts(n_frames, np.random.default_rng(seed))
    closure = [0.0] * n_frames
    for start in starts:
        for k, value in enumerate(BLINK_PROFILE):
            closure[start + k] = value
    canvases = {}  # one canvas per lid state: the per-frame work is a slice
    for value in sorted(set(closure)):
        portrait = Image.fromarray(close_eyes(data.astronaut(), value))
        canvas = np.zeros((HEIGHT, WIDTH + 16, 3), np.uint8)
        canvas[:, PORTRAIT_LEFT : PORTRAIT_LEFT + PORTRAIT_SIDE] = np.asarray(
            portrait.resize((PORTRAIT_SIDE, PORTRAIT_SIDE), Image.Resampling.BICUBIC))
        canvases[value] = canvas
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"crf": "20", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for i in range(n_frames):
            dx = round(8 + 6 * np.sin(i / 40))  # a slow sway of +-6 px, as video.make_clip
            frame = np.ascontiguousarray(canvases[closure[i]][:, dx : dx + WIDTH])
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path, n_frames, len(starts)


def make_images(folder: Path, count: int, seed: int = SEED) -> list[Path]:
    """``count`` distinct 1920x1080 JPEGs (quality 90), stretched from the photographs as
    benchmarks/images.py makes them; from the second pass over PHOTOS on, each is a
    seeded crop of 85-100 % and every other one mirrored, so that no two files are the
    same (identical files would be acquired once)."""
    paths, seen = [], set()
    for i in range(count):
        name, again = PHOTOS[i % len(PHOTOS)], i // len(PHOTOS)
        img = Image.fromarray(getattr(data, name)()).convert("RGB")
        if again:
            rng = np.random.default_rng((seed, i))
            w, h = (round(side * rng.uniform(0.85, 1.0)) for side in img.size)
            left, top = (int(rng.integers(0, room + 1)) for room in (img.width - w, img.height - h))
            img = img.crop((left, top, left + w, top + h))
            if again % 2:
                img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        path = folder / f"{i:03d}_{name}.jpg"
        img.resize(SIZE, Image.Resampling.BICUBIC).save(path, "JPEG", quality=90)
        digest = hashlib.sha256(path.read_bytes()).digest()
        if digest in seen:
            raise SystemExit(f"{path.name} repeats an earlier image")
        seen.add(digest)
        paths.append(path)
    return paths


# -- what is timed ----------------------------------------------------------------------


def decode_rgb(path: Path) -> int:
    """Frames decoded by PyAV (frame threads on) and converted with to_ndarray("rgb24")."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        return sum(1 for frame in container.decode(stream) if frame.to_ndarray(format="rgb24").size)


def pillow_decode(paths: Sequence[Path]) -> int:
    for path in paths:
        with Image.open(path) as image:
            image.load()
    return len(paths)


@dataclass
class Timing:
    """Wall and CPU seconds of every round of one measurement."""

    label: str
    units: int  #: frames or images per run
    detectors: list[str] = field(default_factory=list)  #: analyze_case's detector_names
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    findings: str = ""  #: what the first run found (analyze_case only)
    reasons: list[str] = field(default_factory=list)  #: the first run's findings' reasons

    @property
    def seconds(self) -> float:
        return statistics.median(self.wall)

    @property
    def rate(self) -> float:
        return self.units / self.seconds

    @property
    def cores(self) -> float:
        return statistics.median(c / w for c, w in zip(self.cpu, self.wall, strict=True))

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "units": self.units, "median_s": self.seconds,
                "rate_per_s": self.rate, "cpu_per_wall": self.cores, "wall_s": self.wall,
                "cpu_s": self.cpu, "findings": self.findings,
                "reasons": self.reasons}  # fmt: skip


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def measure(timing: Timing, work: Callable[[], object]) -> object:
    cpu, wall = _cpu_seconds(), time.perf_counter()
    result = work()
    timing.wall.append(time.perf_counter() - wall)
    timing.cpu.append(_cpu_seconds() - cpu)
    return result


def new_case(root: Path, files: Sequence[Path]) -> tuple[Repository, Path]:
    """A fresh case root (SQLite database) with ``files`` acquired into case CASE."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=root))
    repository = Repository(open_database(f"sqlite:///{home / 'forensics.db'}"))
    repository.open_case(CASE, title="analysis benchmark", examiner=EXAMINER)
    results = Intake(repository, home, CASE).acquire(list(files), examiner=EXAMINER)
    refused = [r for r in results if r.item is None]
    if refused:
        raise SystemExit(f"acquisition refused: {refused[0].path}: {refused[0].error}")
    return repository, home


def summarize(run: Any) -> str:
    """Verdict counts per detector, e.g. 'cnn: (face found) 4, inconclusive 20, ...'."""
    counts: dict[str, Counter[str]] = {}
    for r in run.recorded:
        tally = counts.setdefault(r.finding.detector, Counter())
        tally[r.finding.verdict.value] += 1
        if (r.finding.details or {}).get("face_found"):
            tally["(face found)"] += 1
    return "; ".join(f"{name}: " + ", ".join(f"{v} {n}" for v, n in sorted(c.items()))
                     for name, c in sorted(counts.items()))  # fmt: skip


def timed_analysis(timing: Timing, root: Path, files: Sequence[Path],
                   detectors: Sequence[str]) -> None:  # fmt: skip
    """One analyze_case over a fresh case holding ``files``; errors are reported."""
    repository, home = new_case(root, files)
    try:
        run = measure(timing, lambda: analyze_case(repository, home, CASE, examiner=EXAMINER,
                                                   detector_names=list(detectors)))  # fmt: skip
    finally:
        repository.engine.dispose()
    if not timing.findings:
        timing.findings = summarize(run)
        timing.reasons = [f"{r.evidence_label} {r.finding.detector} {r.finding.verdict.value}: "
                          f"{r.finding.reason}" for r in run.recorded]  # fmt: skip
    for r in run.errors:
        print(f"  error finding: {r.finding.detector} {r.evidence_label}: {r.finding.reason}",
              file=sys.stderr)  # fmt: skip


# -- the two benchmarks -----------------------------------------------------------------


def analyses(args: argparse.Namespace, detectors: list[str], units: int,
             kind: str) -> tuple[Timing, list[Timing]]:  # fmt: skip
    """The run of all chosen detectors, and one per detector that reads ``kind`` files
    ("image", "video") alone, when there are several."""
    label = "analyze_case, " + ("all detectors" if args.all else ", ".join(detectors))
    registered = registered_detectors()
    alone = [Timing(f"  {name} alone", units, [name]) for name in detectors
             if kind in getattr(registered[name], "inputs", (kind,))]  # fmt: skip
    return Timing(label, units, detectors), alone if len(alone) > 1 else []


def rounds_of(rounds: int, baselines: Sequence[tuple[Timing, Callable[[], int]]],
              analyses: Sequence[Timing], root: Path, files: Sequence[Path]) -> None:  # fmt: skip
    """Interleaved rounds: the baselines, then each analysis on a fresh case."""
    for k in range(rounds):
        started = time.perf_counter()
        for timing, work in baselines:
            count = measure(timing, work)
            if count != timing.units:
                raise SystemExit(f"{timing.label}: {count} units, expected {timing.units}")
        for timing in analyses:
            timed_analysis(timing, root, files, timing.detectors)
        print(f"  round {k + 1} of {rounds}: {time.perf_counter() - started:.0f} s", flush=True)


def header(unit: str) -> None:
    print(f"  {'':<38} {'median s':>9} {unit + '/s':>10} {'cpu/wall':>9}  rounds (s)")


def row(timing: Timing, extra: str = "") -> None:
    rounds = ", ".join(f"{w:.2f}" for w in timing.wall)
    print(f"  {timing.label:<38} {timing.seconds:9.2f} {timing.rate:10.1f} {timing.cores:9.2f}"
          f"  {rounds}{extra}", flush=True)  # fmt: skip


def findings_lines(timings: Sequence[Timing]) -> None:
    print("  findings of the first run:")
    for t in timings:
        print(f"    {t.label}: {t.findings}")


def video_benchmark(args: argparse.Namespace, root: Path, detectors: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    clip, frames, blinks = make_clip(root / "astronaut_720p30.mp4", args.seconds)
    print(f"\nvideo: {args.seconds:g} s {WIDTH}x{HEIGHT} {FPS} fps H.264 yuv420p, {frames} frames, "
          f"{clip.stat().st_size / 1e6:.1f} MB, swaying astronaut, blinks drawn: {blinks} "
          f"(generated in {time.perf_counter() - started:.1f} s)", flush=True)  # fmt: skip
    warm, _, _ = make_clip(root / "warm-up.mp4", 2.0)
    timed_analysis(Timing("warm-up", 0), root, [warm], detectors)  # imports, lazy loads
    decode = Timing("PyAV decode only (thread AUTO)", frames)
    rgb = Timing("PyAV decode + to_ndarray rgb24", frames)
    everything, alone = analyses(args, detectors, frames, "video")
    rounds_of(args.rounds, [(decode, lambda: decode_only(clip)), (rgb, lambda: decode_rgb(clip))],
              [everything, *alone], root, [clip])
    header("frames")
    row(decode)
    row(rgb)
    real_time = everything.rate / FPS
    row(everything, f"\n  {'':<38} = {real_time:.2f}x real time, {everything.rate / decode.rate:.3f}x "
        f"decode only, {everything.rate / rgb.rate:.3f}x decode + rgb24")  # fmt: skip
    for t in alone:
        row(t, f"  ({t.seconds / everything.seconds:.0%} of all)")
    if alone:
        total = sum(t.seconds for t in alone)
        print(f"  {'sum of the detectors alone':<38} {total:9.2f} {frames / total:10.1f}")
    findings_lines([everything, *alone])
    print("  the first run's findings (reasons cut at 150 characters):")
    for reason in everything.reasons:
        print(f"    {reason if len(reason) <= 150 else reason[:149] + '…'}")
    print(f"  target >= {VIDEO_TARGET_FPS:.0f} fps ({VIDEO_TARGET_FPS / FPS:.0f}x real time) on 2 cores: "
          f"{'met' if everything.rate >= VIDEO_TARGET_FPS else 'NOT met'} "
          f"({everything.rate:.1f} fps)", flush=True)  # fmt: skip
    return {"clip": {"seconds": args.seconds, "width": WIDTH, "height": HEIGHT, "fps": FPS,
                     "frames": frames, "bytes": clip.stat().st_size, "blinks": blinks},
            "decode_only": decode.as_json(), "decode_rgb24": rgb.as_json(),
            "all": everything.as_json(), "alone": {t.detectors[0]: t.as_json() for t in alone},
            "x_real_time": real_time, "x_decode_only": everything.rate / decode.rate,
            "x_decode_rgb24": everything.rate / rgb.rate,
            "target_fps": VIDEO_TARGET_FPS}  # fmt: skip


def image_benchmark(args: argparse.Namespace, root: Path, detectors: list[str]) -> dict[str, Any]:
    folder = root / "jpegs"
    folder.mkdir()
    paths = make_images(folder, args.images)
    size_mb = sum(p.stat().st_size for p in paths) / 1e6
    print(f"\nimages: {len(paths)} JPEGs of {SIZE[0]}x{SIZE[1]} ({SIZE[0] * SIZE[1] / 1e6:.2f} MP, "
          f"quality 90, {size_mb:.1f} MB, all distinct) from scikit-image photographs, "
          f"{sum('astronaut' in p.name or 'camera' in p.name for p in paths)} of them "
          "showing a face", flush=True)  # fmt: skip
    timed_analysis(Timing("warm-up", 0), root, paths[:2], detectors)
    pillow = Timing("Pillow decode (Image.open + load)", len(paths))
    everything, alone = analyses(args, detectors, len(paths), "image")
    rounds_of(args.rounds, [(pillow, lambda: pillow_decode(paths))], [everything, *alone], root, paths)
    header("images")
    row(pillow)
    row(everything, f"\n  {'':<38} = {everything.rate / pillow.rate:.3f}x Pillow decode, "
        f"{1000 * everything.seconds / len(paths):.0f} ms per image")  # fmt: skip
    for t in alone:
        row(t, f"  ({t.seconds / everything.seconds:.0%} of all)")
    if alone:
        total = sum(t.seconds for t in alone)
        print(f"  {'sum of the detectors alone':<38} {total:9.2f} {len(paths) / total:10.1f}")
    findings_lines([everything, *alone])
    print(f"  target >= {IMAGE_TARGET_RATE:.0f} images/s on 2 cores: "
          f"{'met' if everything.rate >= IMAGE_TARGET_RATE else 'NOT met'} "
          f"({everything.rate:.1f} images/s)", flush=True)  # fmt: skip
    return {"images": {"count": len(paths), "width": SIZE[0], "height": SIZE[1], "quality": 90,
                       "bytes": round(size_mb * 1e6)},
            "pillow_decode": pillow.as_json(), "all": everything.as_json(),
            "alone": {t.detectors[0]: t.as_json() for t in alone},
            "x_pillow_decode": everything.rate / pillow.rate,
            "target_images_per_s": IMAGE_TARGET_RATE}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the clip")
    parser.add_argument("--images", type=int, default=24, help="number of JPEGs")
    parser.add_argument("--detectors", nargs="+", metavar="NAME", help="restrict to these (default: all)")
    parser.add_argument("--skip", choices=("video", "images"), action="append", default=[])
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures here")
    args = parser.parse_args(argv)
    registered = list(registered_detectors())  # the readers; combiners follow them
    unknown = sorted(set(args.detectors or ()) - set(registered))
    if unknown:
        parser.error(f"unknown detector(s) {', '.join(unknown)} (known: {', '.join(registered)})")
    detectors = [n for n in registered if n in args.detectors] if args.detectors else registered
    args.all = detectors == registered
    import forensics

    print(f"forensics from {Path(forensics.__file__).parent}; Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable); {args.rounds} rounds, "
          f"medians; detectors: {', '.join(detectors)}; load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    figures: dict[str, Any] = {"forensics": str(Path(forensics.__file__).parent),
                               "cpus": os.cpu_count(), "rounds": args.rounds, "detectors": detectors}
    with tempfile.TemporaryDirectory(prefix="bench-analyze-", ignore_cleanup_errors=True) as tmp:
        if "video" not in args.skip:
            figures["video"] = video_benchmark(args, Path(tmp), detectors)
        if "images" not in args.skip:
            figures["images"] = image_benchmark(args, Path(tmp), detectors)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
