"""A deterministic toy detector whose findings carry the artifact kinds a report draws:
a JSON series (radial spectrum), a PNG heatmap, details, and a likelihood ratio."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

from PIL import Image

from forensics.detectors import base
from forensics.media.item import ItemMedia
from forensics.model import Artifact, EvidenceInput, Finding, Verdict


def _heatmap() -> bytes:
    image = Image.new("L", (48, 32))
    image.putdata([(x * 5 + y * 3) % 256 for y in range(32) for x in range(48)])
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


class ReportToyDetector(base.Detector):
    """JPEGs: a calibrated finding with figures; PNGs: an inconclusive one."""

    name = "test-report-toy"
    version = "2.1.0"
    inputs = frozenset({"image"})
    description = "Toy detector of the report tests"

    def analyze(self, evidence: EvidenceInput, media: ItemMedia) -> Iterator[Finding]:
        data = evidence.path.read_bytes()
        if data.startswith(b"\x89PNG"):
            yield self.finding(evidence.sha256, verdict=Verdict.INCONCLUSIVE,
                               reason="image too small to analyse (test)", details={"bytes": len(data)})
            return
        spectrum = {"frequency": [i / 70 for i in range(50)],
                    "power_db": [-0.4 * i - (i % 7) for i in range(50)]}
        yield self.finding(
            evidence.sha256, verdict=Verdict.SUPPORTS_MANIPULATION, reason="periodic spectral peaks (test)",
            score=0.912345678, log10_lr=1.4123, details={"bytes": len(data), "peaks": {"p2": 3.5123456, "p4": 0.5},
                                                          "per_frame": [i / 7 for i in range(40)]},
            artifacts=(Artifact("radial_spectrum", "application/json", json.dumps(spectrum).encode()),
                       Artifact("heatmap", "image/png", _heatmap())),
        )
