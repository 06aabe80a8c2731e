"""C2PA (Content Credentials) reading for the metadata detector, via c2pa-python, offline.

``read_c2pa`` validates the manifest store embedded in a file and condenses it into a
``C2paReport``; ``c2pa_signals`` turns that into the detector's signals. Network
look-ups (remote manifests, OCSP) are off, so the same file always reads the same.
No trust list is configured: a correctly signed manifest reads as "valid" with an
"untrusted" signer, which is what c2pa-rs reports for test and unknown certificates.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import c2pa

from forensics.detectors.metadata_signals import Signal, SignalKind, generator_names, is_ai_source_type

OFFLINE_SETTINGS = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}

# Validation codes (C2PA spec, section "Validation"), grouped by what they mean for a court.
EXPIRED_CODES = frozenset({"signingCredential.expired", "claimSignature.outsideValidity",
                           "timeStamp.outsideValidity"})
REVOKED_CODES = frozenset({"signingCredential.revoked"})
TAMPER_CODES = frozenset({"assertion.missing", "claimSignature.missing"})  # besides "*.mismatch"
TRUST_CODES = frozenset({"signingCredential.untrusted", "timeStamp.untrusted"})


@dataclass(frozen=True)
class C2paReport:
    """What the manifest store says, condensed; every field is plain JSON."""

    state: str  #: valid | tampered | expired | revoked | invalid | unreadable
    trust: str  #: trusted | untrusted | unknown (no trust list is configured offline)
    manifests: int = 0  #: manifests in the store (the active one and its ingredients')
    claim_generator: str | None = None  #: software that signed the active manifest
    signer: str | None = None  #: issuer / common name of the signing certificate
    signed_at: str | None = None  #: signing time recorded in the manifest
    actions: tuple[str, ...] = ()  #: actions the active manifest declares (c2pa.created...)
    failures: tuple[str, ...] = ()  #: failure codes of the active manifest
    ingredient_failures: tuple[str, ...] = ()  #: failure codes reported for ingredients
    ai_assertions: tuple[tuple[str, str], ...] = ()  #: (where, value) of AI statements
    error: str | None = None  #: why the store could not be parsed (state "unreadable")


@functools.cache
def _supported() -> frozenset[str]:
    return frozenset(c2pa.Reader.get_supported_mime_types())


def _context() -> c2pa.Context:
    return c2pa.Context.from_dict(OFFLINE_SETTINGS)


def read_c2pa(path: Path, media_type: str, *, store_expected: bool) -> C2paReport | None:
    """The file's C2PA report; None when it has no manifest or the format holds none.

    ``store_expected``: exiftool saw a JUMBF/C2PA box. Only then is a parse failure a
    finding ("unreadable"); otherwise it just means the file has no manifest (c2pa-rs
    also refuses some damaged files that carry none).
    """
    if media_type not in _supported():
        return None
    try:
        with path.open("rb") as stream, c2pa.Reader(media_type, stream, context=_context()) as reader:
            store = json.loads(reader.json())
    except (c2pa.C2paError.ManifestNotFound, c2pa.C2paError.NotSupported):
        return None
    except c2pa.C2paError as exc:
        if not store_expected:
            return None
        return C2paReport(state="unreadable", trust="unknown", error=str(exc)[:300])
    return summarise(store)


def _codes(entries: list[dict[str, Any]] | None) -> list[str]:
    return [str(e.get("code", "")) for e in entries or []]


def classify(failures: list[dict[str, Any]], successes: list[dict[str, Any]], sdk_state: str) -> str:
    """valid | tampered | expired | revoked | invalid, from the active manifest's codes.

    A "*.mismatch" is tampering unless the same assertion also reports a match: c2pa-rs
    then complains about the binding's layout (e.g. "data hash exclusion does not match
    the manifest location"), not about changed content.
    """
    def check(entry: dict[str, Any], outcome: str) -> tuple[str, Any]:
        return str(entry.get("code", "")).removesuffix(outcome), entry.get("url")

    matched = {check(e, ".match") for e in successes if str(e.get("code", "")).endswith(".match")}
    codes = set(_codes(failures))
    if any(c in TAMPER_CODES for c in codes) or any(
        str(e.get("code", "")).endswith(".mismatch") and check(e, ".mismatch") not in matched for e in failures
    ):
        return "tampered"
    if codes & EXPIRED_CODES:
        return "expired"
    if codes & REVOKED_CODES:
        return "revoked"
    if codes - TRUST_CODES or sdk_state == "Invalid":
        return "invalid"
    return "valid"


def _walk_ai(value: Any, where: str, found: list[tuple[str, str]]) -> None:
    """Collect digitalSourceType statements of AI media anywhere in an assertion."""
    if isinstance(value, dict):
        for key, item in value.items():
            if "digitalsourcetype" in key.lower() and is_ai_source_type(item):
                found.append((f"{where}/{key}", str(item)))
            else:
                _walk_ai(item, f"{where}/{key}", found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk_ai(item, f"{where}[{index}]", found)


def _generator_text(manifest: dict[str, Any]) -> str:
    """The claim generator, from the v1 string and/or the v2 claim_generator_info names."""
    info = manifest.get("claim_generator_info") or []
    names = [str(manifest.get("claim_generator") or "")]
    names += [str(i.get("name", "")) for i in info if isinstance(i, dict)]
    return "; ".join(dict.fromkeys(n for n in names if n))


def _ai_statements(store: dict[str, Any], active: str | None) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for label in sorted(store.get("manifests") or {}):
        manifest = store["manifests"][label]
        where = "active" if label == active else f"ingredient {label}"
        for assertion in manifest.get("assertions") or []:
            _walk_ai(assertion.get("data"), f"{where}/{assertion.get('label')}", found)
        generators = generator_names(_generator_text(manifest))
        if generators:
            found.append((f"{where}/claim_generator", _generator_text(manifest)))
    return found


def _actions(manifest: dict[str, Any]) -> list[str]:
    names = []
    for assertion in manifest.get("assertions") or []:
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in (assertion.get("data") or {}).get("actions") or []:
                names.append(str(action.get("action")))
    return names


def summarise(store: dict[str, Any]) -> C2paReport:
    """Condense c2pa-python's manifest-store JSON."""
    active_label = store.get("active_manifest")
    manifests = store.get("manifests") or {}
    active = manifests.get(active_label) or {}
    results = store.get("validation_results") or {}
    active_results = results.get("activeManifest") or {}
    # Older stores carry only the flat validation_status list (failures only).
    failures = active_results.get("failure", store.get("validation_status") or [])
    successes = active_results.get("success") or []
    sdk_state = str(store.get("validation_state") or "")
    success_codes = set(_codes(successes))
    if sdk_state == "Trusted" or "signingCredential.trusted" in success_codes:
        trust = "trusted"
    elif "signingCredential.untrusted" in _codes(failures):
        trust = "untrusted"
    else:
        trust = "unknown"
    ingredient_failures = sorted({
        code
        for delta in results.get("ingredientDeltas") or []
        for code in _codes((delta.get("validationDeltas") or {}).get("failure"))
    })
    signature = active.get("signature_info") or {}
    return C2paReport(
        state=classify(failures, successes, sdk_state),
        trust=trust,
        manifests=len(manifests),
        claim_generator=_generator_text(active) or None,
        signer=" / ".join(str(signature[k]) for k in ("issuer", "common_name") if signature.get(k)) or None,
        signed_at=signature.get("time"),
        actions=tuple(_actions(active)),
        failures=tuple(sorted(set(_codes(failures)))),
        ingredient_failures=tuple(ingredient_failures),
        ai_assertions=tuple(_ai_statements(store, active_label)),
    )


STATE_WORDS = {
    "valid": "the signature and content hashes verify",
    "tampered": "the content or manifest was changed after signing",
    "expired": "the signing certificate was outside its validity period",
    "revoked": "the signing certificate was revoked",
    "invalid": "the manifest does not validate",
    "unreadable": "the manifest store could not be parsed",
}


def _provenance_reason(report: C2paReport) -> str:
    if report.state == "unreadable":
        return (f"A C2PA manifest store is embedded but could not be parsed ({report.error}); "
                "its claims cannot be checked.")
    asserts = f"; it declares the actions {', '.join(report.actions)}" if report.actions else ""
    by = f" by {report.claim_generator}" if report.claim_generator else ""
    return (f"C2PA manifest store present ({report.manifests} manifest(s), signed{by}): "
            f"{report.state}, {STATE_WORDS[report.state]}; signer {report.trust}{asserts}. "
            "Provenance data records a history; it is not on its own proof of authenticity.")


def c2pa_signals(report: C2paReport) -> list[Signal]:
    """A provenance signal for any manifest, plus an AI signal when it declares AI media."""
    tags: dict[str, Any] = {
        "C2PA:ValidationState": report.state,
        "C2PA:SignerTrust": report.trust,
        "C2PA:ClaimGenerator": report.claim_generator,
        "C2PA:Signer": report.signer,
        "C2PA:SignedAt": report.signed_at,
        "C2PA:Actions": list(report.actions),
        "C2PA:FailureCodes": list(report.failures),
        "C2PA:IngredientFailureCodes": list(report.ingredient_failures),
    }
    if report.error:
        tags["C2PA:Error"] = report.error
    tags = {k: v for k, v in tags.items() if v not in (None, [])}
    signals = [Signal(
        name="c2pa",
        kind=SignalKind.CONTEXT,
        reason=_provenance_reason(report),
        tags=tags,
        facts={"state": report.state, "trust": report.trust, "manifests": report.manifests},
    )]
    if report.ai_assertions:
        signals.append(Signal(
            name="c2pa_ai_assertion",
            kind=SignalKind.GENERATOR,
            reason=("The C2PA manifest declares AI generation (trained algorithmic media or a known "
                    f"generator); manifest validation: {report.state}. The file's provenance record "
                    "says it is AI-generated or contains AI-generated parts."),
            tags={f"C2PA:{where}": value for where, value in report.ai_assertions},
            facts={"state": report.state},
        ))
    return signals
