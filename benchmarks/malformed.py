"""Malformed input (issue 15, campaign part b): files mutated from real samples go
through acquire and then every default detector, one item at a time with a time limit.

    python benchmarks/malformed.py [--files 1000] [--seed 20261202] [--limit-s 60]

Samples made here: JPEG (with EXIF), RGBA PNG, WebP, HEIF, MP4 (H.264) and MOV. Each
file is one of: a truncation, 1-16 flipped bytes, a corrupted PNG chunk / JPEG segment /
MP4 or MOV box header, the wrong extension, absurd dimensions in the header, a
decompression bomb, a video of 0 frames, or a JPEG carrying a huge EXIF block. Printed:
per mutation, files acquired and refused, findings, error findings (each names a
reason), tracebacks (exceptions out of the pipeline: must be 0), hangs (items over the
time limit: must be 0), the slowest item, and the peak RSS of the process; the case is
verified afterwards.
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
from PIL import Image
from skimage import data

from forensics.intake import Intake
from forensics.model import Verdict
from forensics.pipeline import analyze_case
from forensics.storage.engine import open_database
from forensics.storage.repository import Repository
from forensics.verify import verify_case

EXAMINER = "Campaign Examiner"
CASE = "MALFORMED-1"


def samples(folder: Path) -> dict[str, bytes]:
    """One real sample per format."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    photo = Image.fromarray(data.astronaut())
    out: dict[str, bytes] = {}
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "Canon EOS 40D"
    for name, save in (("jpg", {"format": "JPEG", "quality": 90, "exif": exif.tobytes()}),
                       ("png", {"format": "PNG"}), ("webp", {"format": "WEBP", "quality": 80}),
                       ("heic", {"format": "HEIF", "quality": 70})):
        buffer = io.BytesIO()
        (photo.convert("RGBA") if name == "png" else photo).save(buffer, **save)
        out[name] = buffer.getvalue()
    clip = folder / "sample.mp4"
    frames = np.asarray(photo.resize((160, 160)))
    with av.open(str(clip), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 128, 128, "yuv420p"
        for i in range(20):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frames[i:i + 128, i:i + 128].copy(),
                                                                  format="rgb24")))
        container.mux(stream.encode())
    out["mp4"] = clip.read_bytes()
    mov = folder / "sample.mov"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-c", "copy", "-f", "mov", str(mov)], check=True)
    out["mov"] = mov.read_bytes()
    return out


def _flip(raw: bytes, rng: random.Random) -> bytes:
    buffer = bytearray(raw)
    for _ in range(rng.randint(1, 16)):
        at = rng.randrange(len(buffer))
        buffer[at] ^= 1 << rng.randrange(8)
    return bytes(buffer)


def _corrupt_structure(raw: bytes, kind: str, rng: random.Random) -> bytes:
    """Damage a PNG chunk's length or CRC, a JPEG segment's length, or an MP4/MOV box size."""
    buffer = bytearray(raw)
    if kind == "png":
        at = 8 + 8 + 13 + 4 + rng.choice([0, 4])  # the chunk after IHDR: its length or type
        buffer[at:at + 4] = rng.randbytes(4)
    elif kind == "jpg":
        at = raw.index(b"\xff", 2)  # the first segment after SOI
        buffer[at + 2:at + 4] = struct.pack(">H", rng.choice([0, 1, 0xFFFF, rng.randrange(65536)]))
    elif kind in ("mp4", "mov"):
        box = rng.choice([b"moov", b"mdat", b"trak", b"stsz", b"stco", b"mvhd"])
        at = raw.find(box)
        if at >= 4:
            buffer[at - 4:at] = struct.pack(">I", rng.choice([0, 1, 7, 0xFFFFFFFF, rng.randrange(1 << 32)]))
    else:
        return _flip(raw, rng)
    return bytes(buffer)


def _absurd_dimensions(raw: bytes, kind: str, rng: random.Random) -> bytes:
    if kind == "png":
        ihdr = struct.pack(">IIBBBBB", rng.choice([0, 1, 100_000, 0x7FFFFFFF]), rng.choice([1, 100_000]), 8, 6, 0, 0, 0)
        chunk = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
        return raw[:8] + chunk + raw[8 + 25:]
    if kind == "jpg":
        at = raw.index(b"\xff\xc0")  # SOF0: height and width
        return raw[:at + 5] + struct.pack(">HH", rng.choice([0, 65535]), rng.choice([0, 65535])) + raw[at + 9:]
    return _corrupt_structure(raw, kind, rng)


def _bomb(_raw: bytes, _kind: str, rng: random.Random) -> bytes:
    width, height = rng.randint(20_000, 90_000), rng.randint(20_000, 90_000)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * ((width + 1) * 64), 9)  # a few hundred bytes announcing giga-pixels
    chunks = [(b"IHDR", ihdr), (b"IDAT", idat), (b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(struct.pack(">I", len(d)) + k + d + struct.pack(">I", zlib.crc32(k + d))
                                           for k, d in chunks)


def _huge_exif(raw: bytes, _kind: str, rng: random.Random) -> bytes:
    exif = Image.Exif()
    exif[0x010E] = rng.choice("ABCDEFGH") * rng.randint(30_000, 64_000)  # ImageDescription filling APP1
    buffer = io.BytesIO()
    Image.open(io.BytesIO(raw)).convert("RGB").save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


MUTATIONS: dict[str, Callable[[bytes, str, random.Random], bytes]] = {
    "truncated": lambda raw, _k, rng: raw[: rng.randrange(0, len(raw))],
    "bit flips": lambda raw, _k, rng: _flip(raw, rng),
    "structure": _corrupt_structure,
    # trailing bytes, which readers ignore, make each copy a distinct item
    "wrong extension": lambda raw, _k, rng: raw + rng.randbytes(rng.randint(1, 64)),
    "absurd dimensions": _absurd_dimensions,
    "decompression bomb": _bomb,
    "huge EXIF": _huge_exif,
}


def mutate(sample: dict[str, bytes], folder: Path, count: int, rng: random.Random) -> dict[str, str]:
    """Write ``count`` mutated files; returns file name -> mutation."""
    kinds = sorted(sample)
    made: dict[str, str] = {}
    for n in range(count):
        mutation = rng.choice([*MUTATIONS, "zero frames"])
        kind = "jpg" if mutation == "huge EXIF" else rng.choice(kinds)
        if mutation == "zero frames":
            path = folder / f"{n:04d}-zero.mp4"
            with av.open(str(path), "w") as container:
                stream = container.add_stream("mpeg4", rate=rng.randint(1, 60))
                stream.width, stream.height = 16 * rng.randint(1, 40), 16 * rng.randint(1, 40)
                container.start_encoding()
            made[path.name] = mutation
            continue
        raw = MUTATIONS[mutation](sample[kind], kind, rng)
        suffix = rng.choice([k for k in kinds if k != kind]) if mutation == "wrong extension" else kind
        path = folder / f"{n:04d}-{mutation.replace(' ', '_')}.{suffix}"
        path.write_bytes(raw)
        made[path.name] = mutation
    return made


class Timeout(Exception):
    pass


def _alarm(_signum: int, _frame: object) -> None:
    raise Timeout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--limit-s", type=int, default=60)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "files").mkdir()
        made = mutate(samples(root), root / "files", args.files, rng)
        repository = Repository(open_database(f"sqlite:///{root / 'case.db'}"))
        repository.open_case(CASE, title="malformed input", examiner=EXAMINER)
        home = root / "home"
        results = Intake(repository, home, CASE).acquire([root / "files"], examiner=EXAMINER)
        by_label = {r.item.label: Path(r.path).name for r in results if r.item is not None}
        sha_of = {r.item.label: r.item.sha256 for r in results if r.item is not None}
        acquired = Counter(made[Path(r.path).name] for r in results if r.item is not None)
        refused = Counter(made[Path(r.path).name] for r in results if r.item is None)
        duplicates = sum(acquired.values()) - len(by_label)  # identical content: one item, a re-acquisition
        findings, errors, tracebacks, hangs = Counter(), Counter(), [], []
        slowest = (0.0, "")
        signal.signal(signal.SIGALRM, _alarm)
        started = time.perf_counter()
        for label in sorted(by_label, key=lambda x: int(x[1:])):
            mutation = made[by_label[label]]
            began = time.perf_counter()
            signal.alarm(args.limit_s)
            try:
                run = analyze_case(repository, home, CASE, examiner=EXAMINER, evidence_prefixes=[sha_of[label]])
                findings[mutation] += len(run.recorded)
                errors[mutation] += sum(1 for r in run.recorded if r.finding.verdict == Verdict.ERROR)
                assert all(r.finding.reason for r in run.recorded if r.finding.verdict == Verdict.ERROR)
            except Timeout:
                hangs.append(f"{label} {by_label[label]}")
            except Exception as exc:  # noqa: BLE001 - counting what escapes the pipeline is the point
                where = traceback.extract_tb(exc.__traceback__)[-1]
                tracebacks.append(f"{label} {by_label[label]}: {type(exc).__name__}: {exc} "
                                  f"({where.filename}:{where.lineno})"[:400])
            finally:
                signal.alarm(0)
            took = time.perf_counter() - began
            slowest = max(slowest, (took, f"{label} {by_label[label]}"))
        total = time.perf_counter() - started
        verified = verify_case(repository, home, CASE)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(made)} files ({duplicates} identical to another, recorded once): "
          f"acquired {sum(acquired.values())}, refused at intake {sum(refused.values())}")
    for mutation in sorted(set(made.values())):
        print(f"  {mutation:18s} files {list(made.values()).count(mutation):4d}  acquired {acquired[mutation]:4d}  "
              f"refused {refused[mutation]:4d}  findings {findings[mutation]:5d}  error findings {errors[mutation]:5d}")
    print(f"analysis: {total:.0f} s, slowest item {slowest[0]:.1f} s ({slowest[1]}); tracebacks {len(tracebacks)}, "
          f"hangs (> {args.limit_s} s) {len(hangs)}; peak RSS {peak_mb:.0f} MiB; verify afterwards: "
          f"{'ok' if verified.ok else verified.first_failure}")
    for line in tracebacks[:20] + hangs[:20]:
        print(f"  {line}")
    sys.exit(1 if tracebacks or hangs else 0)


if __name__ == "__main__":
    main()
