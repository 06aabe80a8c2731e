"""Expected-finding files (DESIGN.md convention 6): each detector on real corpus samples,
compared as data, digest included. A change in a detector's output shows up here as a
data diff; regenerate deliberately with FORENSICS_WRITE_EXPECTED=1 (and bump the
detector's version when the meaning changed)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from forensics.canonical import canonical_json
from forensics.detectors.registry import get_detector
from forensics.evidence.hashing import sha256_file
from forensics.evidence.sniff import sniff_media_type
from forensics.model import EvidenceInput

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parents[2] / "shared" / "corpus"
CASES = [
    ("metadata", "metadata/d3x-at__sd-parsers/tests/resources/parsers/AUTOMATIC1111/automatic1111_cropped.png"),
    ("frequency", "synthetic_images/DariusAf__MesoNet/test_images/df/df00204.jpg"),
    ("cnn", "synthetic_images/DariusAf__MesoNet/test_images/real/real00772.jpg"),
    ("faceforgery", "synthetic_images/polimi-ispl__icpr2020dfdc/notebook/samples/lynaeydofd_fr0.jpg"),
    # held out of the generated-image head's training
    ("synthetic", "synthetic_images/comfyanonymous__ComfyUI_examples/sd3/sd3.5_simple_example.png"),
    ("structure", "metadata/ianare__exif-samples/jpg/Reconyx_HC500_Hyperfire.jpg"),  # a camera original
]


@pytest.mark.parametrize("detector_name, relative", CASES, ids=[c[0] for c in CASES])
def test_finding_matches_its_expected_file(detector_name: str, relative: str) -> None:
    path = CORPUS / relative
    if not path.is_file():
        pytest.skip(f"corpus sample not present: {path}")
    with path.open("rb") as handle:
        sha = sha256_file(handle)
    evidence = EvidenceInput(path, sha, sniff_media_type(path), path.name)
    detector = get_detector(detector_name)()
    with detector:
        found = [f.as_json() for f in detector.run(evidence)]
    expected_file = HERE / "expected" / f"{detector_name}__{path.name}.json"
    if os.environ.get("FORENSICS_WRITE_EXPECTED") == "1":
        expected_file.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    expected = json.loads(expected_file.read_text())
    # compared as canonical data: floats at the precision that the digest covers
    assert [json.loads(canonical_json(f)) for f in found] == [
        json.loads(canonical_json(f)) for f in expected
    ]
    assert [f["digest"] for f in found] == [f["digest"] for f in expected]
