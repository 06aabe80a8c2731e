"""The machine-readable case data inside every report PDF.

The data (findings with digests, evidence hashes, every custody event up to the chain
head, report id) is canonical
JSON (``forensics.canonical``) attached as the embedded file ``EMBEDDED_NAME``, so a
verifier needs nothing but the PDF: it re-hashes each finding from the data itself,
recomputes the custody chain (``forensics.reports.standalone``), and may compare the data
with a case database. Its SHA-256 is printed in the report and
recorded in the "report_signed" custody event.
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from typing import Any

from pyhanko.pdf_utils import embed, generic
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter

from forensics.canonical import canonical_bytes, digest, sha256_hex
from forensics.errors import IntegrityError
from forensics.reports.case_uco import (
    CASE_VERSION,
    EXPORT_NAME,
    case_export,
    export_bytes,
    exported_findings,
)
from forensics.reports.model import TOOL_NAME, ReportContent

EMBEDDED_NAME = "forensic-case-data.json"
SCHEMA = "forensics-report-data/2"  #: 2: the custody events are embedded
FINDING_EXTRA_KEYS = ("digest", "evidence")  # in the embedded finding, not in its digest


def case_data(content: ReportContent) -> dict[str, Any]:
    """The embedded data of a report (plain JSON values, canonical-JSON ready)."""
    return {
        "schema": SCHEMA,
        "report_id": content.report_id,
        "generated_at": content.generated_at,
        "tool": {"name": TOOL_NAME, "version": content.tool_version},
        "case": content.case.as_json(),
        "examiner": content.examiner,
        "examiner_profile": content.examiner_profile.as_json(),
        "reviewer": None if content.reviewer is None else content.reviewer.as_json(),
        "dates": [{"what": what, "when": when} for what, when in content.dates],
        "interpretation": content.interpretation.as_json(),
        "propositions": {s.label: s.propositions.as_json() for s in content.summaries},
        "requested_by": content.requested_by,
        "scope": content.scope,
        "questions": list(content.questions),
        "evidence": [
            dict(e.item.as_json(), reverified=e.reverified, reverify_problem=e.problem)
            for e in content.evidence
        ],
        "findings": [dict(f.record) for f in content.findings],
        "methods": [
            {
                "detector": m.name,
                "detector_version": m.version,
                "config_digest": m.config_digest,
                "weights_digest": m.weights_digest,
                "validated": m.validation_digest is not None,
                "validation_record_digest": m.validation_digest,
                "validation": dict(m.validation),
                "assumptions": m.assumptions,
            }
            for m in content.methods
        ],
        "chain_head": {"seq": content.chain_head[0], "hash": content.chain_head[1]},
        # every event up to the head, so the chain is recomputed from the PDF alone
        "custody": [event.as_json() for event in content.events],
        "verification_at_report_time": {
            "ok": not content.verification_problems,
            "problems": [p.as_json() for p in content.verification_problems],
        },
        "signer": None if content.signer is None else content.signer.as_json(),
        "case_uco": {"file": EXPORT_NAME, "case_version": CASE_VERSION,
                     "sha256": sha256_hex(case_uco_bytes(content))},
    }


def case_uco_bytes(content: ReportContent) -> bytes:
    """The case as CASE/UCO JSON-LD, as embedded beside the case data."""
    rows = ((f.evidence_label, f.digest, f.finding) for f in content.findings)
    return export_bytes(case_export(content.case, [e.item for e in content.evidence],
                                    exported_findings(rows), content.events, TOOL_NAME,
                                    content.tool_version))


def case_uco_attachment(content: ReportContent) -> tuple[str, bytes, str, str]:
    """The CASE export as an ``attach`` extra: (name, bytes, media type, description)."""
    return (EXPORT_NAME, case_uco_bytes(content), "application/ld+json",
            f"The case as CASE {CASE_VERSION} / UCO JSON-LD: items with hashes and provenance, "
            "custody events as investigative actions, findings as analytic results, tools.")


def data_digest(data: dict[str, Any]) -> str:
    """SHA-256 of the embedded bytes (the canonical JSON of ``data``)."""
    return digest(data)


def finding_body_digest(finding: dict[str, Any]) -> str:
    """Recompute an embedded finding's digest from its own fields."""
    return digest({k: v for k, v in finding.items() if k not in FINDING_EXTRA_KEYS})


def attach(writer: BasePdfFileWriter, data: dict[str, Any], *, when: datetime | None = None,
           extra: tuple[tuple[str, bytes, str, str], ...] = ()) -> None:
    """Embed ``data`` as ``EMBEDDED_NAME`` in the document's embedded-file name tree, and
    each (name, bytes, media type, description) of ``extra`` beside it."""
    moment = when or datetime.now(UTC)
    files = (
        (EMBEDDED_NAME, canonical_bytes(data), "application/json",
         "Machine-readable case data of this report (canonical JSON): findings with digests, "
         "evidence hashes, the custody events up to the chain head."),
        *extra,
    )
    for name, content, media_type, description in files:
        stream = embed.EmbeddedFileObject.from_file_data(
            writer, data=content, mime_type=media_type,
            params=embed.EmbeddedFileParams(creation_date=moment, modification_date=moment),
        )
        embed.embed_file(writer, embed.FileSpec(file_spec_string=name, file_name=name,
                                                embedded_data=stream, description=description))


def read_attachment(reader: PdfFileReader, name: str, source: str) -> bytes:
    """The bytes of the embedded file ``name``; IntegrityError naming ``source`` and it."""
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    except (KeyError, TypeError):
        raise IntegrityError(f"{source}: no embedded files; {name} is missing", subject=name) from None
    specs = [names[i + 1].get_object() for i in range(0, len(names) - 1, 2) if str(names[i]) == name]
    if len(specs) != 1:
        problem = "is missing" if not specs else f"appears {len(specs)} times"
        raise IntegrityError(f"{source}: the embedded file {name} {problem}", subject=name)
    try:
        stream = specs[0]["/EF"]["/F"].get_object()
        if not isinstance(stream, generic.StreamObject):
            raise IntegrityError(f"{source}: {name} is not a stream", subject=name)
        return bytes(stream.data)
    except (KeyError, PdfError, zlib.error) as exc:
        raise IntegrityError(f"{source}: the embedded file {name} cannot be read "
                             f"({type(exc).__name__}: {exc})", subject=name) from None


def read_embedded(reader: PdfFileReader, source: str) -> tuple[bytes, dict[str, Any]]:
    """The embedded case data's bytes and parsed JSON; IntegrityError naming ``source``."""
    raw = read_attachment(reader, EMBEDDED_NAME, source)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise IntegrityError(f"{source}: the embedded case data {EMBEDDED_NAME} cannot be read "
                             f"({type(exc).__name__}: {exc})", subject=EMBEDDED_NAME) from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise IntegrityError(f"{source}: {EMBEDDED_NAME} is not report data of schema {SCHEMA}",
                             subject=EMBEDDED_NAME)
    problem = _shape_problem(data)
    if problem:
        raise IntegrityError(f"{source}: {EMBEDDED_NAME} is malformed: {problem}",
                             subject=EMBEDDED_NAME)
    return raw, data


# What a verifier reads from the data, so that a malformed file is named, not a crash.
_REQUIRED: dict[str, dict[str, type]] = {
    "evidence": {"id": str, "sha256": str, "md5": str, "size": int},
    "findings": {"digest": str, "evidence": str, "detector": str},
    "custody": {"seq": int, "hash": str, "action": str},
}


def _shape_problem(data: dict[str, Any]) -> str:
    head, case = data.get("chain_head"), data.get("case")
    if not isinstance(case, dict) or not isinstance(case.get("number"), str):
        return "case.number is missing"
    if not (isinstance(head, dict) and isinstance(head.get("seq"), int)
            and isinstance(head.get("hash"), str)):
        return "chain_head needs seq and hash"
    for section, fields in _REQUIRED.items():
        entries = data.get(section)
        if not isinstance(entries, list):
            return f"{section} is not a list"
        for index, entry in enumerate(entries):
            for key, kind in fields.items():
                if not isinstance(entry, dict) or not isinstance(entry.get(key), kind):
                    return f"{section}[{index}].{key} is missing or not a {kind.__name__}"
    return ""
