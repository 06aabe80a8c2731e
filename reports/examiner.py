"""Who examined, and who reviewed: the examiner and laboratory block of a report.

A profile (name, role, qualifications, organisation and address) is kept per examiner
as canonical JSON in ``HOME/examiners/<name>.json`` (`forensics examiner set`). It is
not evidence: the report embeds the profile it printed, so the signed PDF fixes what
was claimed at the time. Without a profile, the signing certificate's organisation is
used, and the report says where the block came from.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from forensics.canonical import canonical_bytes
from forensics.errors import ForensicsError
from forensics.keys import CertificateInfo, examiner_slug
from forensics.storage.repository import check_examiner

PROFILE_DIR = "examiners"
_TEXT_FIELDS = ("role", "organisation", "address")


@dataclass(frozen=True)
class ExaminerProfile:
    """What the report states about a person who examined or reviewed."""

    name: str
    role: str = ""  #: e.g. "Forensic video examiner"
    qualifications: tuple[str, ...] = ()  #: degrees, certifications, training, years of practice
    organisation: str = ""  #: laboratory or company
    address: str = ""  #: postal address of the organisation
    source: str = field(default="", compare=False)  #: where the block came from (for the report)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "qualifications": list(self.qualifications),
                "organisation": self.organisation, "address": self.address, "source": self.source}

    def rows(self) -> list[tuple[str, str]]:
        """(label, text) rows for the report; empty fields left out."""
        rows = [("Name", self.name)]
        rows += [(label, value) for label, value in (
            ("Role", self.role), ("Qualifications", "; ".join(self.qualifications)),
            ("Organisation", self.organisation), ("Address", self.address)) if value]
        return rows


def profile_path(home: Path, name: str) -> Path:
    return home / PROFILE_DIR / f"{examiner_slug(name)}.json"


def save_profile(home: Path, profile: ExaminerProfile) -> Path:
    """Write (or replace) an examiner's profile, complete or not at all."""
    name = check_examiner(profile.name)
    path = profile_path(home, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.part")
    body = {k: v for k, v in replace(profile, name=name).as_json().items() if k != "source"}
    temp.write_bytes(canonical_bytes(body))
    os.replace(temp, path)
    return path


def load_profile(home: Path, name: str) -> ExaminerProfile | None:
    """The saved profile of ``name``, None when there is none; ForensicsError naming the
    file and the reason when it cannot be read."""
    path = profile_path(home, name)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
        if not isinstance(data, dict) or data.get("name") != name:
            raise ValueError(f"it is not the profile of {name!r}")
        texts = {k: data.get(k, "") for k in _TEXT_FIELDS}
        qualifications = data.get("qualifications", [])
        if not all(isinstance(v, str) for v in [*texts.values(), *qualifications]):
            raise ValueError("its fields must be text")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ForensicsError(f"{path}: the examiner profile cannot be read ({exc})") from None
    return ExaminerProfile(name=name, qualifications=tuple(qualifications),
                           source=f"examiner profile {path.name}", **texts)


def profile_for(home: Path, name: str, certificate: CertificateInfo | None = None) -> ExaminerProfile:
    """The profile to print for ``name``: saved, else from the signing certificate (its
    organisation), else the name alone."""
    saved = load_profile(home, name)
    if saved is not None:
        return saved
    if certificate is not None:
        subject = x509.load_pem_x509_certificate(certificate.pem.encode("ascii")).subject
        org = subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        return ExaminerProfile(name=name, organisation=str(org[0].value) if org else "",
                               source="signing certificate (no examiner profile saved)")
    return ExaminerProfile(name=name, source="name only (no examiner profile saved)")
