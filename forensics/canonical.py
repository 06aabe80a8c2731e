"""Canonical JSON and SHA-256 digests: the only place that defines them.

Canonical JSON (DESIGN.md): keys sorted, compact separators, UTF-8 (no ASCII
escaping), NaN and infinities refused, floats rounded to ``FLOAT_SIGNIFICANT_DIGITS``
significant digits before they are written, so that the same value computed on
two machines (whose last bits may differ) yields the same bytes. Tuples are
written as lists; only str keys are allowed.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from forensics.errors import CanonicalError

FLOAT_SIGNIFICANT_DIGITS = 10
ZERO_DIGEST = "0" * 64  # the "previous hash" of the first event of a chain

JSONValue = Any  # None | bool | int | float | str | list | dict, checked at run time


def _normalise(value: JSONValue, path: str) -> JSONValue:
    """Return ``value`` with floats rounded, tuples as lists; refuse what JSON can't hold."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalError(f"{path}: {value!r} is not allowed in canonical JSON")
        rounded = float(f"{value:.{FLOAT_SIGNIFICANT_DIGITS}g}")
        return 0.0 if rounded == 0.0 else rounded  # -0.0 and 0.0 are one value
    if isinstance(value, (list, tuple)):
        return [_normalise(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for key, v in value.items():
            if not isinstance(key, str):
                raise CanonicalError(f"{path}: key {key!r} is not a string")
            out[key] = _normalise(v, f"{path}.{key}")
        return out
    raise CanonicalError(f"{path}: {type(value).__name__} is not a JSON value")


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
_PLAIN = (str, int, bool, type(None))  # values _normalise returns unchanged


def canonical_json(value: JSONValue) -> str:
    """The canonical JSON text of ``value``."""
    # Fast path for flat records of plain values (every custody event): identical
    # output, without the recursive walk, so long chains verify quickly.
    if type(value) is dict and all(
        type(k) is str and type(v) in _PLAIN for k, v in value.items()
    ):
        return _ENCODER.encode(value)
    return _ENCODER.encode(_normalise(value, "$"))


def canonical_bytes(value: JSONValue) -> bytes:
    """The canonical JSON of ``value`` encoded as UTF-8."""
    return canonical_json(value).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def digest(value: JSONValue) -> str:
    """SHA-256 of the canonical JSON of ``value``: how every record in the suite is hashed."""
    return sha256_hex(canonical_bytes(value))


def chain_hash(prev_hash: str, event: JSONValue) -> str:
    """Custody chain link: SHA-256(prev_hash as ASCII hex || canonical event)."""
    return sha256_hex(prev_hash.encode("ascii") + canonical_bytes(event))
