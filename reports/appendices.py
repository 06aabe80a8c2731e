"""The report's appendices: what a checker needs and a judge does not read first.

A hash values of the evidence, B method identities (configuration, weights and
validation record digests), C each finding's digest, identity and every measured detail
(numbers rounded; long per-frame lists cut, complete in the embedded data) with its
artifacts by SHA-256, D the custody events' subject digests and hashes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Spacer

from forensics.reports.layout import cell, grid, key_values, para
from forensics.reports.model import ReportContent
from forensics.reports.styles import FRAME_WIDTH, HASH_WIDTH, mono, safe
from forensics.reports.wording import value_text

MAX_DETAIL_ROWS = 40  # the complete details are in the embedded data
MAX_VALUE_CHARS = 400


def finding_number(content: ReportContent) -> dict[str, str]:
    """Finding digest -> "F1", "F2", ... in report order (items, then their findings)."""
    ordered = [f for e in content.evidence for f in content.findings_for(e.item.label)]
    return {f.digest: f"F{n}" for n, f in enumerate(ordered, start=1)}


def appendices(content: ReportContent, data_digest: str) -> Iterator[Flowable]:
    yield from _hashes(content)
    yield from _methods(content)
    yield from _findings(content)
    yield from _custody(content)


def _hashes(content: ReportContent) -> Iterator[Flowable]:
    yield PageBreak()
    yield para("Appendix A Hash values of the evidence", "Heading1")
    rows = [[e.item.label, f"SHA-256 {e.item.sha256}\nSHA-1   {e.item.sha1}\nMD5     {e.item.md5}"]
            for e in content.evidence]
    yield from grid(["ID", "Hash values"], rows, [30, FRAME_WIDTH - 30], mono=[1])


def _methods(content: ReportContent) -> Iterator[Flowable]:
    yield CondPageBreak(200)
    yield para("Appendix B Method identities", "Heading1")
    for m in content.methods:
        rows = [("Configuration digest", mono(m.config_digest)),
                ("Weights digest", mono(m.weights_digest) if m.weights_digest
                 else "none (rule-based or analytic method)"),
                ("Validation record", mono(m.validation_digest) if m.validation_digest
                 else "none (not validated)")]
        rows += [(k, safe(v)) for k, v in m.validation if k == "Record"]
        yield KeepTogether([para(f"{safe(m.name)} {safe(m.version)}", "Heading3"), key_values(rows)])


def _findings(content: ReportContent) -> Iterator[Flowable]:
    yield PageBreak()
    yield para("Appendix C Findings: digests and details", "Heading1")
    yield para("Every measured detail of each finding, by its dotted key; numbers rounded to three "
               "significant digits, lists cut after a few values. The embedded case data holds "
               "them exactly, and each finding's digest is recomputed from there by <i>forensics "
               "verify --report</i>.", "Small")
    numbers = finding_number(content)
    for entry in content.evidence:
        for f in content.findings_for(entry.item.label):
            rows = [("Finding digest", mono(f.digest)), ("Configuration digest", mono(f.config_digest))]
            if f.weights_digest:
                rows.append(("Weights digest", mono(f.weights_digest)))
            rows.append(("Reason", safe(f.reason)))
            rows += [(f"Artifact {a.name}", f"{safe(a.media_type)}, SHA-256 {mono(a.sha256)}")
                     for a in f.artifacts]
            out: list[Flowable] = [
                para(f"{numbers[f.digest]} {safe(f.evidence_label)}: {safe(f.detector)} "
                     f"{safe(f.detector_version)}", "Heading3"),
                key_values(rows)]
            details = list(_flatten(f.details))
            if details:
                shown = details[:MAX_DETAIL_ROWS]
                out += [Spacer(1, 3), *grid(["Detail", "Value"], [[cell(k), cell(v)] for k, v in shown],
                                            [170, FRAME_WIDTH - 170])]
                if len(details) > len(shown):
                    out.append(para(f"... {len(details) - len(shown)} more details in the embedded "
                                    "case data.", "Caption"))
            yield KeepTogether(out[:2])
            yield from out[2:]
            yield Spacer(1, 6)


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Details as (dotted key, text) rows; lists of scalars joined, long text clipped."""
    if isinstance(value, Mapping):
        for key in value:
            yield from _flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
        return
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        for index, row in enumerate(value[:8]):  # per-frame records: the first few
            yield from _flatten(row, f"{prefix}[{index}]")
        if len(value) > 8:
            yield f"{prefix}[...]", f"{len(value) - 8} more records in the embedded data"
        return
    text = value_text(value)
    if len(text) > MAX_VALUE_CHARS:
        text = text[:MAX_VALUE_CHARS] + " ... (clipped)"
    yield prefix or "value", text


def _custody(content: ReportContent) -> Iterator[Flowable]:
    yield PageBreak()
    yield para("Appendix D Custody event hashes", "Heading1")
    rows = [[str(e.seq), e.action, f"{e.subject_digest}\n{e.hash}"] for e in content.events]
    yield from grid(["Seq", "Action", "Subject digest / event hash"], rows,
                    [30, FRAME_WIDTH - 30 - HASH_WIDTH, HASH_WIDTH], mono=[2])
