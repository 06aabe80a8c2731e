"""Labelled file sets for validation: a manifest (TSV) or two folders.

A manifest is a tab-separated file with a header. Columns used: ``label`` (real |
fake; other values such as "unknown" are left out), the path in ``local_path`` or
``path`` (relative to the manifest's folder), and optionally a grouping column
(``--group-column``) naming the source video or identity, so that frames of one
video never end up on both sides of a split. ``category`` filters rows.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from forensics.canonical import digest
from forensics.errors import ForensicsError

LABELS = {"real": 0, "fake": 1}


@dataclass(frozen=True)
class LabelledFile:
    """One validation item."""

    path: Path
    label: int  #: 1 fake (H1: manipulated/synthetic), 0 real (H2: authentic)
    group: str  #: items of one group stay on one side of every split


@dataclass(frozen=True)
class LabelledSet:
    """Items with a digest of what they are (paths relative, labels, groups)."""

    name: str
    items: tuple[LabelledFile, ...]
    digest: str

    @property
    def counts(self) -> dict[str, int]:
        return {
            "real": sum(1 for i in self.items if i.label == 0),
            "fake": sum(1 for i in self.items if i.label == 1),
        }


def _finish(name: str, items: list[LabelledFile], root: Path) -> LabelledSet:
    listing = sorted(
        (str(i.path.relative_to(root)) if i.path.is_relative_to(root) else i.path.name,
         i.label, i.group)
        for i in items
    )
    return LabelledSet(name, tuple(sorted(items, key=lambda i: str(i.path))), digest(listing))


def read_manifest(
    manifest: Path,
    *,
    categories: Sequence[str] = (),
    group_column: str | None = None,
) -> LabelledSet:
    """Labelled items from a TSV manifest (see the module docstring)."""
    root = manifest.parent
    items = []
    with manifest.open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        path_column = "local_path" if "local_path" in (rows.fieldnames or []) else "path"
        if path_column not in (rows.fieldnames or []) or "label" not in (rows.fieldnames or []):
            raise ForensicsError(f"{manifest}: needs 'label' and 'path' (or 'local_path') columns")
        for row in rows:
            if categories and row.get("category") not in categories:
                continue
            label = LABELS.get(row["label"].strip().lower())
            if label is None:
                continue
            path = root / row[path_column]
            group = row.get(group_column, "") if group_column else ""
            items.append(LabelledFile(path, label, group or row[path_column]))
    if not items:
        raise ForensicsError(f"{manifest}: no rows labelled real or fake were selected")
    return _finish(manifest.name, items, root)


def read_folders(real: Path, fake: Path) -> LabelledSet:
    """Every file under ``real`` (label 0) and ``fake`` (label 1); each file its own group."""
    # Groups are paths relative to each folder's parent, so the split is the same on
    # every machine that holds the same files.
    items = [
        LabelledFile(path, label, str(path.relative_to(folder.parent)))
        for folder, label in ((real, 0), (fake, 1))
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    ]
    if not items:
        raise ForensicsError(f"no files under {real} or {fake}")
    return _finish(f"{real.name}+{fake.name}", items, real.parent)


def split_by_group(
    items: Sequence[LabelledFile], calibration_share: float = 0.5
) -> tuple[list[LabelledFile], list[LabelledFile]]:
    """Deterministic split into (calibration, metric) by group, stratified by label.

    Groups are ordered by the SHA-256 of their name, so the split does not depend on
    file order and never separates items of one group (a real video and its face swap
    share a group when the manifest says so).
    """
    groups: dict[str, list[LabelledFile]] = {}
    for item in items:
        groups.setdefault(item.group, []).append(item)
    calibration: list[LabelledFile] = []
    metric: list[LabelledFile] = []
    for label in (0, 1):  # stratify by each group's majority label
        chosen = [g for g, members in groups.items()
                  if round(sum(m.label for m in members) / len(members)) == label]
        order = sorted(chosen, key=lambda g: hashlib.sha256(g.encode("utf-8")).hexdigest())
        cut = round(len(order) * calibration_share)
        for i, group in enumerate(order):
            (calibration if i < cut else metric).extend(groups[group])
    return calibration, metric
