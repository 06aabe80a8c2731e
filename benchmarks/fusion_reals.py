"""Every real file of ../shared/corpus through the validated detectors and the shipped
fusion: none may get "moderate support for manipulation" (log10 LR >= 1) or more.

Run: python benchmarks/fusion_reals.py [--top 10]
Prints the count per verbal class and the real files that come closest.
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

from forensics.detectors.registry import available
from forensics.validation.fusion import shipped_fusion
from forensics.validation.fusion_runner import fusion_finding
from forensics.validation.manifest import LabelledFile, read_manifest
from forensics.validation.runner import evidence_inputs

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    shipped = shipped_fusion()
    if shipped is None or not CORPUS.is_dir():
        raise SystemExit("needs the shipped fusion model and ../shared/corpus")
    model, _ = shipped
    reals: list[LabelledFile] = []
    for manifest in ("MANIFEST.tsv", "FACES.tsv"):
        labelled = read_manifest(CORPUS / manifest)
        reals.extend(i for i in labelled.items if i.label == 0)
    inputs = evidence_inputs(reals)
    findings: dict[str, list] = collections.defaultdict(list)
    detectors = [cls() for cls in available().values()]
    for detector in detectors:
        if detector.name not in model.detectors or detector.validation is None:
            continue
        with detector:
            for evidence, found in detector.run_batch(inputs):
                findings[evidence.sha256].extend(found)
    fused = []
    for evidence in inputs:
        finding = fusion_finding(model, evidence.sha256, findings[evidence.sha256])
        fused.append((finding.log10_lr if finding.log10_lr is not None else 0.0,
                      finding.verbal or "no LR", evidence.path))
    counts = collections.Counter(verbal for _, verbal, _ in fused)
    print(f"{len(fused)} real files (MANIFEST.tsv and FACES.tsv), fusion of {', '.join(model.detectors)}")
    for verbal, n in counts.most_common():
        print(f"  {n:4d}  {verbal}")
    strong = [f for f in fused if f[0] >= 1.0]
    print(f"real files with moderate support for manipulation or stronger: {len(strong)}")
    print(f"closest {args.top}:")
    for lr, verbal, path in sorted(fused, key=lambda f: -f[0])[: args.top]:
        print(f"  {lr:+.2f}  {verbal:40s}  {path.relative_to(CORPUS)}")


if __name__ == "__main__":
    main()
