"""Every real file of ../shared/corpus through the validated detectors and the shipped
fusion: none may get "moderate support for manipulation" (log10 LR >= 1) or more.

Run: python benchmarks/fusion_reals.py [--top 10]
Prints the count per verbal class and the real files that come closest.
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

from forensics.detectors.fusion import Fusion
from forensics.detectors.registry import detectors
from forensics.pipeline import analyse_items
from forensics.validation.manifest import LabelledFile, read_manifest
from forensics.validation.runner import evidence_inputs

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    fusion = Fusion()
    model = fusion.config
    if not model.detectors or not CORPUS.is_dir():
        raise SystemExit("needs the shipped fusion model and ../shared/corpus")
    reals: list[LabelledFile] = []
    for manifest in ("MANIFEST.tsv", "FACES.tsv"):
        labelled = read_manifest(CORPUS / manifest)
        reals.extend(i for i in labelled.items if i.label == 0)
    inputs = evidence_inputs(reals)
    findings: dict[str, list] = collections.defaultdict(list)
    fused_detectors = [d for d in (cls() for cls in detectors().values())
                       if d.name in model.detectors and d.validation is not None]
    for evidence, _, found in analyse_items(fused_detectors, inputs):
        findings[evidence.sha256].extend(found)
    fused = []
    for evidence in inputs:
        finding = fusion.combine(evidence.sha256, findings[evidence.sha256])
        if finding is None:
            continue
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
