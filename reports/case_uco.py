"""A case as CASE 1.5 / UCO JSON-LD (https://caseontology.org), for other tools to read.

What is exported: the investigation (case number, title, requesting party); each
evidence item as an ``observable:File`` with its SHA-256, SHA-1 and MD5, size, media
type and original name, in a ``investigation:ProvenanceRecord`` with its exhibit
number; the examiners as ``identity:Person``; this suite and every method as a
``tool:Tool`` with its version; every custody event as an
``investigation:InvestigativeAction`` (who, when, with which tool, on what, with what
result; its seq and chain hashes in the description); each finding as an
``analysis:AnalyticResult`` of an ``analysis:Analysis`` (the event that recorded it),
its verdict as an ``analysis:ArtifactClassification``.

Node identifiers are name-based UUIDs (``urn:uuid:``, UUID 5) of the case and what the
node stands for, so exporting the same case twice gives the same bytes. The export is
plain JSON-LD; `case_validate` (case-utils) checks it against the ontology in the tests.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from forensics.canonical import canonical_bytes
from forensics.model import Case, CustodyEvent, EvidenceItem, Finding

CASE_VERSION = "1.5.0"  #: the CASE release whose ontology the export follows
EXPORT_NAME = "case-uco.jsonld"  #: its name when embedded in a report
_NAMESPACE = uuid.UUID("5b9f3c1e-4a8d-5e2f-9c07-6d1a2b3c4d5e")  # this suite's UUID-5 namespace
CONTEXT = {
    "kb": "urn:uuid:",
    "core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "analysis": "https://ontology.unifiedcyberontology.org/uco/analysis/",
    "identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "investigation": "https://ontology.caseontology.org/case/investigation/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


@dataclass(frozen=True)
class ExportedFinding:
    """A finding with where it sits in the case."""

    label: str  #: the evidence item, "E1"
    digest: str  #: SHA-256 of its canonical JSON
    finding: Finding


def _time(value: str) -> dict[str, str]:
    return {"@type": "xsd:dateTime", "@value": value}


def _ref(node_id: str) -> dict[str, str]:
    return {"@id": node_id}


class _Ids:
    """Name-based node ids: the same case and key always give the same id."""

    def __init__(self, case_number: str) -> None:
        self.case = case_number

    def __call__(self, kind: str, key: str) -> str:
        return f"kb:{uuid.uuid5(_NAMESPACE, f'{self.case}/{kind}/{key}')}"


def case_export(case: Case, items: Sequence[EvidenceItem], findings: Sequence[ExportedFinding],
                events: Sequence[CustodyEvent], tool_name: str, tool_version: str) -> dict[str, Any]:
    """The case as a CASE JSON-LD document (plain JSON values)."""
    ids = _Ids(case.number)
    graph: list[dict[str, Any]] = []
    suite = ids("tool", f"{tool_name} {tool_version}")
    graph.append({"@id": suite, "@type": "tool:Tool", "core:name": tool_name,
                  "tool:version": tool_version, "tool:toolType": "forensic analysis"})
    people = sorted({case.created_by, *(i.acquired_by for i in items), *(e.examiner for e in events)})
    graph += [{"@id": ids("person", name), "@type": "identity:Person", "core:name": name}
              for name in people]
    files = {item.sha256: ids("file", item.sha256) for item in items}
    for item in items:
        graph += _file_nodes(ids, item, files[item.sha256])
    methods = {(f.finding.detector, f.finding.detector_version) for f in findings}
    graph += [{"@id": ids("tool", f"{n} {v}"), "@type": "tool:Tool", "core:name": n,
               "tool:version": v, "tool:toolType": "detection method"} for n, v in sorted(methods)]
    by_digest = {f.digest: f for f in findings}
    results = {f.digest: ids("result", f.digest) for f in findings}
    for event in events:
        graph += _event_nodes(ids, event, suite, files, by_digest, results)
    graph.append({
        "@id": ids("investigation", case.number), "@type": "investigation:Investigation",
        "core:name": case.number, "core:description": case.title,
        "investigation:focus": "authenticity of digital media (synthetic generation, manipulation)",
        "core:object": [_ref(node["@id"]) for node in graph if _is_object(node)],
    })
    return {"@context": CONTEXT, "@graph": graph}


def _is_object(node: dict[str, Any]) -> bool:
    """A UCO object (what an investigation holds), not a facet, hash or classification."""
    kinds = node["@type"] if isinstance(node["@type"], list) else [node["@type"]]
    return not any(k.endswith(("Facet", ":Hash", ":ArtifactClassification")) for k in kinds)


def _file_nodes(ids: _Ids, item: EvidenceItem, file_id: str) -> list[dict[str, Any]]:
    hashes = [(method, getattr(item, attr)) for method, attr in
              (("SHA256", "sha256"), ("SHA1", "sha1"), ("MD5", "md5"))]
    hash_nodes: list[dict[str, Any]] = [
        {"@id": ids("hash", f"{item.sha256}/{method}"), "@type": "types:Hash",
         "types:hashMethod": method,
         "types:hashValue": {"@type": "xsd:hexBinary", "@value": value}}
        for method, value in hashes]
    file_facet = ids("file-facet", item.sha256)
    content_facet = ids("content-facet", item.sha256)
    return [
        *hash_nodes,
        {"@id": file_facet, "@type": "observable:FileFacet",
         "observable:fileName": item.original_name,
         "observable:filePath": item.original_path,
         "observable:sizeInBytes": {"@type": "xsd:integer", "@value": str(item.size)}},
        {"@id": content_facet, "@type": "observable:ContentDataFacet",
         "observable:mimeType": item.media_type,
         "observable:sizeInBytes": {"@type": "xsd:integer", "@value": str(item.size)},
         "observable:hash": [_ref(h["@id"]) for h in hash_nodes]},
        {"@id": file_id, "@type": "observable:File", "core:name": f"{item.label} {item.original_name}",
         "core:hasFacet": [_ref(file_facet), _ref(content_facet)]},
        {"@id": ids("provenance", item.sha256), "@type": "investigation:ProvenanceRecord",
         "investigation:exhibitNumber": item.label,
         "core:description": item.note or f"evidence item {item.label}",
         "core:object": [_ref(file_id)]},
    ]


def _event_nodes(ids: _Ids, event: CustodyEvent, suite: str, files: dict[str, str],
                 findings: dict[str, ExportedFinding], results: dict[str, str]) -> list[dict[str, Any]]:
    action_id = ids("event", str(event.seq))
    node: dict[str, Any] = {
        "@id": action_id, "@type": "investigation:InvestigativeAction",
        "core:name": event.action,
        "core:description": (f"custody event seq {event.seq}; subject SHA-256 {event.subject_digest}; "
                             f"previous hash {event.prev_hash}; event hash {event.hash}; "
                             f"payload {event.payload}"),
        "action:startTime": _time(event.time), "action:endTime": _time(event.time),
        "action:performer": _ref(ids("person", event.examiner)),
        "action:instrument": _ref(suite),
    }
    out = [node]
    if event.action == "acquired" and event.subject_digest in files:
        node["action:result"] = [_ref(files[event.subject_digest]),
                                 _ref(ids("provenance", event.subject_digest))]
    finding = findings.get(event.subject_digest)
    if event.action in ("finding_recorded", "finding_rerun") and finding is not None:
        made = finding.finding
        node["@type"] = ["investigation:InvestigativeAction", "analysis:Analysis"]
        node["action:instrument"] = [_ref(suite), _ref(ids("tool", f"{made.detector} {made.detector_version}"))]
        if made.evidence_sha256 in files:
            node["action:object"] = [_ref(files[made.evidence_sha256])]
        node["action:result"] = [_ref(results[finding.digest])]
        if event.action == "finding_recorded":  # the result node once, from its first event
            out += _result_nodes(ids, finding, action_id, results[finding.digest])
    return out


def _result_nodes(ids: _Ids, exported: ExportedFinding, analysis_id: str,
                  result_id: str) -> list[dict[str, Any]]:
    made = exported.finding
    lr = "" if made.log10_lr is None else f"; log10 LR {made.log10_lr:+.3f} ({made.verbal})"
    facet = ids("result-facet", exported.digest)
    classification = ids("classification", exported.digest)
    return [
        {"@id": classification, "@type": "analysis:ArtifactClassification",
         "analysis:class": made.verdict.value},
        {"@id": facet, "@type": "analysis:ArtifactClassificationResultFacet",
         "analysis:classification": [_ref(classification)]},
        {"@id": result_id, "@type": "analysis:AnalyticResult",
         "core:name": f"{made.detector} {made.detector_version} on {exported.label}",
         "core:statement": f"{made.verdict.value.replace('_', ' ')}: {made.reason}{lr}",
         "core:description": (f"finding SHA-256 {exported.digest}; configuration {made.config_digest}; "
                              f"weights {made.weights_digest or 'none'}"),
         "analysis:originatingAnalysis": _ref(analysis_id),
         "core:hasFacet": [_ref(facet)]},
    ]


def export_bytes(document: dict[str, Any]) -> bytes:
    """The export as bytes: canonical JSON (sorted keys), so its SHA-256 is reproducible."""
    return canonical_bytes(document)


def pretty(document: dict[str, Any]) -> str:
    """Indented JSON-LD for people and files."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def exported_findings(rows: Iterable[tuple[str, str, Finding]]) -> list[ExportedFinding]:
    return [ExportedFinding(label, digest, finding) for label, digest, finding in rows]
