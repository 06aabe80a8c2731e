"""Custody chain links and their verification.

Each event's hash is SHA-256(prev_hash || canonical(chain fields)); the first event's
prev_hash is 64 zeros. Verification walks the events in seq order and names the
first seq where the chain does not hold: a gap, a broken link, a recomputed hash that
differs, or a payload that no longer matches its digest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from forensics.canonical import ZERO_DIGEST, chain_hash, sha256_hex
from forensics.model import CustodyEvent


@dataclass(frozen=True)
class ChainCheck:
    """Outcome of verifying one case's chain."""

    case_number: str  #: the case
    events: int  #: how many events were read
    head: str  #: hash of the last event read (ZERO_DIGEST for an empty chain)
    ok: bool  #: True when every link holds
    broken_seq: int | None  #: first seq where it does not hold
    problem: str  #: what does not hold, empty when ok

    def as_json(self) -> dict[str, Any]:
        return {
            "case": self.case_number,
            "events": self.events,
            "head": self.head,
            "ok": self.ok,
            "broken_seq": self.broken_seq,
            "problem": self.problem,
        }


def event_hash(event: CustodyEvent) -> str:
    """Recompute an event's hash from its stored fields."""
    return chain_hash(event.prev_hash, event.chain_fields())


def verify_events(case_number: str, events: Iterable[CustodyEvent]) -> ChainCheck:
    """Verify a chain given its events in seq order (streamed; constant memory)."""
    expected_seq = 1
    prev = ZERO_DIGEST
    count = 0

    def broken(seq: int, problem: str) -> ChainCheck:
        return ChainCheck(case_number, count, prev, False, seq, problem)

    for event in events:
        if event.seq != expected_seq:
            missing = (
                f"seq {expected_seq}" if event.seq == expected_seq + 1
                else f"seq {expected_seq} to {event.seq - 1}"
            )
            if event.seq > expected_seq:
                return broken(expected_seq, f"gap: {missing} missing (next is seq {event.seq})")
            return broken(event.seq, f"seq {event.seq} appears again after seq {expected_seq - 1}")
        if event.prev_hash != prev:
            return broken(event.seq, f"seq {event.seq}: prev_hash does not match the hash of seq {event.seq - 1}")
        if sha256_hex(event.payload.encode("utf-8")) != event.payload_digest:
            return broken(event.seq, f"seq {event.seq}: payload does not match its payload_digest")
        if event_hash(event) != event.hash:
            return broken(event.seq, f"seq {event.seq}: recomputed hash differs from the stored hash "
                                     "(the event was altered)")
        prev = event.hash
        count += 1
        expected_seq += 1
    return ChainCheck(case_number, count, prev, True, None, "")
