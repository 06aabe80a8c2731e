"""Time to render and sign a court report for a case of 100 evidence items with findings.

Run: python benchmarks/report.py [--items 100] [--repeats 3]

Each item has two findings: one with a likelihood ratio, details, a 256-point JSON
spectrum (drawn as a plot) and a 64x64 PNG heatmap (embedded), one inconclusive. Prints
medians of the whole `generate_report` (read and re-verify the case, render, embed the
case data, sign, write, record the custody event) and of its stages. Asserts nothing
(the machine is noisy). Target (issue 6): < 10 s for 100 items.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from forensics.canonical import digest
from forensics.evidence.store import CaseStore
from forensics.intake import Intake
from forensics.keys import create_examiner_key
from forensics.model import Artifact, Finding, Verdict, verbal_scale
from forensics.reports.embedded import case_data
from forensics.reports.generate import finish_pdf, generate_report
from forensics.reports.model import build_report_content
from forensics.reports.render import render_pdf
from forensics.reports.sign import load_signer
from forensics.storage.engine import open_database
from forensics.storage.repository import Repository

EXAMINER = "Bench Examiner"
CASE = "BENCH-1"
PASSPHRASE = "benchmark passphrase"


def _findings(sha256: str, index: int) -> list[Finding]:
    frequency = [i / 360 for i in range(256)]
    spectrum = {"frequency": frequency,
                "power_db": [-30 * f + 2 * math.sin(f * 40 + index) for f in frequency]}
    heat = Image.new("L", (64, 64))
    heat.putdata([(x * 4 + y * index) % 256 for y in range(64) for x in range(64)])
    png = io.BytesIO()
    heat.save(png, "PNG")
    common = {"evidence_sha256": sha256, "detector": "bench", "detector_version": "1.0.0",
              "config_digest": digest({"bench": 1}), "weights_digest": None}
    log10_lr = (index % 9) / 2 - 2
    return [
        Finding(**common, score=0.5 + index / 1000, log10_lr=log10_lr, verbal=verbal_scale(log10_lr),
                verdict=Verdict.SUPPORTS_MANIPULATION if log10_lr > 0 else Verdict.INCONCLUSIVE,
                reason="periodic spectral peaks (benchmark)",
                details={"peaks": {"p2": index / 10, "p4": 0.5}, "side": 256},
                artifacts=(Artifact("radial_spectrum", "application/json", json.dumps(spectrum).encode()),
                           Artifact("heatmap", "image/png", png.getvalue()))),
        Finding(**common, score=None, log10_lr=None, verbal=None, verdict=Verdict.INCONCLUSIVE,
                reason=f"no face found in item {index} (benchmark)"),
    ]


def build_case(root: Path, items: int) -> tuple[Repository, Path]:
    repository = Repository(open_database(f"sqlite:///{root / 'bench.db'}"))
    home = root / "casefiles"
    originals = root / "originals"
    originals.mkdir(parents=True)
    for i in range(items):
        Image.new("RGB", (64 + i % 17, 48), (i * 37 % 256, i * 11 % 256, 90)).save(
            originals / f"still_{i:03d}.jpg", quality=85)
    repository.open_case(CASE, title="Benchmark case", examiner=EXAMINER, requested_by="Bench")
    Intake(repository, home, CASE).acquire([originals], examiner=EXAMINER)
    store = CaseStore(home, CASE)
    for index, item in enumerate(repository.list_evidence(CASE)):
        findings = _findings(item.sha256, index)
        repository.record_findings(
            CASE, item.sha256, findings, examiner=EXAMINER,
            before_commit=lambda fs=findings: [store.put_artifact(a.sha256, a.data)
                                               for f in fs for a in f.artifacts])
    return repository, home


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        repository, home = build_case(root, args.items)
        print(f"case of {args.items} items, {2 * args.items} findings built in "
              f"{time.perf_counter() - start:.1f} s")
        key = create_examiner_key(EXAMINER, PASSPHRASE, out_dir=root / "keys")
        signer = load_signer(key.key_path, PASSPHRASE)
        # content: read the case and re-hash its evidence; total: all of generate_report
        stages: dict[str, list[float]] = {"content": [], "render": [], "embed+sign": [], "total": []}
        pages = size = 0
        for run in range(args.repeats):
            t0 = time.perf_counter()
            content = build_report_content(repository, home, CASE, examiner=EXAMINER,
                                           signer=signer.certificate)
            t1 = time.perf_counter()
            data = case_data(content)
            rendered = render_pdf(content, digest(data))
            t2 = time.perf_counter()
            finish_pdf(rendered, data, signer, report_id=content.report_id)
            t3 = time.perf_counter()
            made = generate_report(repository, home, CASE, examiner=EXAMINER,
                                   out=root / f"report-{run}.pdf", signer=signer)
            t4 = time.perf_counter()
            for name, seconds in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=False):
                stages[name].append(seconds)
            pages, size = made.pages, made.path.stat().st_size
        print(f"report: {pages} pages, {size / 1e6:.1f} MB")
        for name, values in stages.items():
            print(f"  {name:<11} median {statistics.median(values):6.2f} s  "
                  f"(runs: {', '.join(f'{v:.2f}' for v in values)})")
        total = statistics.median(stages["total"])
        print(f"generate_report (render and sign) for {args.items} items: median {total:.2f} s; "
              f"target < 10 s: {'met' if total < 10 else 'NOT met'}")


if __name__ == "__main__":
    main()
