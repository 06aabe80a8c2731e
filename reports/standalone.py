"""Checks of a report that need nothing but the PDF: the custody chain it embeds.

The embedded case data carries every custody event the report covers, so anyone
holding the PDF alone can recompute the chain (``forensics.audit.chain``), see that it
ends at the chain head the report states, and that every evidence item and finding in
the report is anchored in it and still equals what its event recorded
(``forensics.audit.bindings``, the same comparisons `forensics verify CASE` makes on the
database). A forger who rewrites the data has to re-sign the PDF: what stops that is the
signature and its certificate fingerprint, not these checks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from forensics.audit.bindings import case_mismatches, evidence_mismatches
from forensics.audit.chain import verify_events
from forensics.model import Case, CustodyEvent, EvidenceItem
from forensics.verify import Problem

_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"
EVENT_KEYS = ("case", "seq", "time", "examiner", "action", "subject_digest", "payload_digest",
              "prev_hash", "hash", "payload")
_FINDING_FIELDS = ("evidence_sha256", "detector", "detector_version", "verdict")


def event_from_json(value: Mapping[str, Any]) -> CustodyEvent:
    """An embedded event (``CustodyEvent.as_json``) back as a record."""
    return CustodyEvent(
        case_number=str(value["case"]), seq=int(value["seq"]), time=str(value["time"]),
        examiner=str(value["examiner"]), action=str(value["action"]),
        subject_digest=str(value["subject_digest"]), payload_digest=str(value["payload_digest"]),
        payload=str(value["payload"]), prev_hash=str(value["prev_hash"]), hash=str(value["hash"]),
    )


def _case(value: Mapping[str, Any]) -> Case:
    return Case(number=value["number"], title=value["title"], description=value["description"],
                requested_by=value["requested_by"], status=value["status"],
                created_at=datetime.strptime(value["created_at"], _TIME),
                created_by=value["created_by"])


def _item(value: Mapping[str, Any]) -> EvidenceItem:
    return EvidenceItem(
        case_number=value["case"], item_no=int(str(value["id"]).lstrip("E")), sha256=value["sha256"],
        sha1=value["sha1"], md5=value["md5"], size=value["size"], media_type=value["media_type"],
        original_name=value["original_name"], original_path=value["original_path"],
        acquired_at=datetime.strptime(value["acquired_at"], _TIME),
        acquired_by=value["acquired_by"], note=value["note"],
    )


def check_embedded_custody(data: Mapping[str, Any]) -> tuple[int, list[Problem]]:
    """Recompute the embedded chain and bind the embedded records to it.

    Returns the number of events checked and the problems found, a broken chain first.
    """
    case_number = data["case"]["number"]
    try:
        events = [event_from_json(e) for e in data["custody"]]
        case = _case(data["case"])
        items = [_item(e) for e in data["evidence"]]
    except (KeyError, TypeError, ValueError) as exc:
        return 0, [Problem("embedded", "custody", f"the embedded custody events or records cannot "
                                                  f"be read ({type(exc).__name__}: {exc})")]
    chain = verify_events(case_number, events)
    if not chain.ok:
        return chain.events, [Problem("chain", f"seq {chain.broken_seq}",
                                      f"custody chain embedded in the report: {chain.problem}")]
    problems: list[Problem] = []
    seq, head = int(data["chain_head"]["seq"]), str(data["chain_head"]["hash"])
    last = (events[-1].seq, events[-1].hash) if events else (0, "0" * 64)
    if last != (seq, head):
        problems.append(Problem("chain", f"seq {seq}", f"the embedded custody events end at seq "
                                f"{last[0]} (hash {last[1]}), not at the report's chain head seq "
                                f"{seq} (hash {head})"))
    anchors: dict[str, dict[str, CustodyEvent]] = {"acquired": {}, "finding_recorded": {}}
    for event in events:
        if event.action in anchors:
            anchors[event.action].setdefault(event.subject_digest, event)
    for item in items:
        if item.sha256 not in anchors["acquired"]:
            problems.append(Problem("anchor", f"{item.label} {item.sha256}", "evidence item of the "
                                    "report has no 'acquired' event in the embedded custody chain"))
    mismatches = [*case_mismatches(case, events[0] if events else None),
                  *evidence_mismatches(items, anchors["acquired"])]
    problems.extend(Problem("record", m.subject, f"in the report: {m.message}") for m in mismatches)
    labels = {item.label: item.sha256 for item in items}
    problems.extend(_finding_problems(data["findings"], anchors["finding_recorded"], labels))
    return len(events), problems


def _finding_problems(findings: list[dict[str, Any]], recorded: Mapping[str, CustodyEvent],
                      labels: Mapping[str, str]) -> list[Problem]:
    """Each embedded finding against its ``finding_recorded`` event and its item."""
    problems = []
    for finding in findings:
        digest = finding["digest"]
        event = recorded.get(digest)
        what = f"finding of {finding.get('detector')} on {finding.get('evidence')}"
        if labels.get(finding["evidence"]) != finding.get("evidence_sha256"):
            problems.append(Problem("record", f"findings {digest[:16]} evidence",
                                    f"in the report: {what}: the item {finding['evidence']} of the "
                                    "report does not have the finding's evidence SHA-256"))
        if event is None:
            problems.append(Problem("anchor", digest, f"{what} has no 'finding_recorded' event in "
                                                      "the embedded custody chain"))
            continue
        payload = json.loads(event.payload)
        for name in _FINDING_FIELDS:
            if name in payload and finding.get(name) != payload[name]:
                problems.append(Problem("record", f"findings {digest[:16]} {name}",
                                        f"in the report: {what}: {name} is {finding.get(name)!r} but "
                                        f"its finding_recorded event (seq {event.seq}) recorded "
                                        f"{payload[name]!r}"))
    return problems
