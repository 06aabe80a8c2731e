"""Training data for the CNN: labelled files, identity groups, the split, face crops.

Sources come from TSV manifests (``label``, ``local_path``/``path``; ``category``
filters; a ``group`` column, when present, names the identity) or from two folders.

Identity groups (files of one group are never on both sides of the split):
1. a ``group`` column in the manifest, when filled in;
2. DFDC: a ``metadata.json`` beside the file naming its ``original`` -> that original;
   ``KNOWN_PAIRS`` adds DFDC twins published without metadata;
3. FaceForensics++: ``NNN.mp4`` under ``original_sequences`` and ``NNN_MMM.mp4`` under
   ``manipulated_sequences`` -> the target video NNN (a face swap keeps its background,
   body and most frames);
4. frames saved as ``<video>_frN.jpg`` -> the video;
5. otherwise the repository folder (``owner__repo``, else the parent folder) and the
   file stem, so re-saved or re-aligned copies of one photo stay together.

Split: groups named by ``hold_out`` go to the test side; every other group falls into
a stratum (kind, label, repository folder), and within each stratum the groups, ordered
by the SHA-256 of their name, give their first ``round(share * n)`` to the test side.
So every source is represented on both sides where it has enough groups, and the split
depends on neither file order nor the machine.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from forensics.canonical import digest
from forensics.errors import EvidenceError
from forensics.evidence.sniff import sniff_media_type
from forensics.media.crops import crop_needs, image_crop, video_crops
from forensics.media.item import ItemMedia, StillFaces
from forensics.model import EvidenceInput
from forensics.validation.manifest import LabelledSet, read_folders, read_manifest

FACE_CATEGORIES = ("face_videos", "synthetic_images", "face_images")
# DFDC twins without a metadata.json in the corpus: the icpr2020dfdc notebooks load
# mqzvfufzoq as the fake made from lynaeydofd.
KNOWN_PAIRS = {"mqzvfufzoq": "lynaeydofd"}
_FRAME = re.compile(r"^(?P<video>.+)_fr\d+$")
_FFPP = re.compile(r"^(?P<target>\d{3})(_\d{3})?$")


@dataclass(frozen=True)
class Source:
    """One labelled file."""

    path: Path
    rel: str  #: path relative to its manifest's folder (what the model card lists)
    label: int  #: 1 fake (manipulated or synthetic), 0 real
    kind: str  #: "image" or "video"
    group: str  #: identity / video group
    stratum: str  #: kind, label and repository folder, for the stratified split


@dataclass(frozen=True)
class FaceSample:
    """One aligned face crop of a source (one per image, several per video)."""

    source: int  #: index into the source list
    frame_index: int | None
    time_s: float | None
    pixels: np.ndarray  #: size x size x 3 uint8


# -- sources and groups -----------------------------------------------------------


def _repository(rel: str) -> str:
    parts = Path(rel).parts
    return next((p for p in parts if "__" in p), parts[-2] if len(parts) > 1 else "")


def identity_group(path: Path, rel: str) -> str:
    """The identity group of a file by the rules in the module docstring (2-5)."""
    stem = path.stem
    meta = path.parent / "metadata.json"
    if meta.is_file():
        entry = json.loads(meta.read_text(encoding="utf-8")).get(path.name, {})
        if entry.get("original"):
            return "dfdc-" + Path(entry["original"]).stem
    frame = _FRAME.match(stem)
    stem = frame.group("video") if frame else stem
    if stem in KNOWN_PAIRS or stem in KNOWN_PAIRS.values():
        return "dfdc-" + KNOWN_PAIRS.get(stem, stem)
    ffpp = _FFPP.match(stem)
    if ffpp and {"original_sequences", "manipulated_sequences"} & set(Path(rel).parts):
        return "ffpp-" + ffpp.group("target")
    return f"{_repository(rel)}/{stem}"


def _kind(path: Path) -> str | None:
    major = sniff_media_type(path).split("/", 1)[0]
    return major if major in ("image", "video") else None


def sources_from(labelled: LabelledSet, root: Path, has_group_column: bool) -> list[Source]:
    """Sources of a labelled set; files that are neither image nor video are left out."""
    out = []
    for item in labelled.items:
        kind = _kind(item.path)
        if kind is None:
            continue
        rel = str(item.path.relative_to(root)) if item.path.is_relative_to(root) else item.path.name
        given = has_group_column and item.group != str(item.path)
        group = item.group if given else identity_group(item.path, rel)
        stratum = f"{kind}/{'fake' if item.label else 'real'}/{_repository(rel)}"
        out.append(Source(item.path, rel, item.label, kind, group, stratum))
    return out


def read_sources(
    manifests: Sequence[Path], real: Path | None = None, fake: Path | None = None
) -> tuple[list[Source], list[dict[str, object]]]:
    """Sources from manifests (face categories only) or two folders, and what was read.

    The second value describes each input for the model card: name, SHA-256 of the
    manifest file, digest of the labelled listing, counts.
    """
    sources: list[Source] = []
    inputs: list[dict[str, object]] = []
    for manifest in manifests:
        header = manifest.open(encoding="utf-8").readline().rstrip("\n").split("\t")
        has_group = "group" in header
        categories = FACE_CATEGORIES if "category" in header else ()
        labelled = read_manifest(
            manifest, categories=categories, group_column="group" if has_group else None
        )
        sources += sources_from(labelled, manifest.parent, has_group)
        inputs.append({
            "manifest": manifest.name,
            "manifest_sha256": hashlib.sha256(manifest.read_bytes()).hexdigest(),
            "categories": list(categories),
            "listing_digest": labelled.digest,
            "counts": labelled.counts,
        })  # fmt: skip
    if real is not None and fake is not None:
        labelled = read_folders(real, fake)
        sources += sources_from(labelled, real.parent, False)
        inputs.append({"folders": [real.name, fake.name], "listing_digest": labelled.digest,
                       "counts": labelled.counts})  # fmt: skip
    sources.sort(key=lambda s: s.rel)
    return sources, inputs


def split(
    sources: Sequence[Source], hold_out: Sequence[str] = (), share: float = 0.25
) -> tuple[list[int], list[int]]:
    """Indices of the (train, test) sources, by group (see the module docstring)."""
    groups: dict[str, list[int]] = {}
    for i, source in enumerate(sources):
        groups.setdefault(source.group, []).append(i)
    unknown = set(hold_out) - set(groups)
    if unknown:
        raise ValueError(f"--hold-out names no group of the data: {', '.join(sorted(unknown))}")
    strata: dict[str, list[str]] = {}
    for group, members in groups.items():
        if group not in hold_out:
            first = min(members, key=lambda i: sources[i].rel)
            strata.setdefault(sources[first].stratum, []).append(group)
    test_groups = set(hold_out)
    for names in strata.values():
        order = sorted(names, key=lambda g: hashlib.sha256(g.encode("utf-8")).hexdigest())
        test_groups.update(order[: round(share * len(order))])
    test = sorted(i for g in test_groups for i in groups[g])
    train = sorted(set(range(len(sources))) - set(test))
    return train, test


def listing_digest(sources: Sequence[Source], indices: Sequence[int]) -> str:
    """Digest of (relative path, label, group) of the chosen sources."""
    return digest(sorted([sources[i].rel, sources[i].label, sources[i].group] for i in indices))


# -- face crops --------------------------------------------------------------------


def extract_faces(
    sources: Sequence[Source],
    indices: Sequence[int],
    *,
    size: int,
    frames_per_video: int,
    on_source: Callable[[int], None] | None = None,
) -> tuple[list[FaceSample], list[str]]:
    """Face crops of the chosen sources, in order; and the sources that gave none.

    A source without a face (or unreadable) adds nothing; its relative path and the
    reason are listed so the model card can say what was left out.
    """
    samples: list[FaceSample] = []
    missing: list[str] = []
    with StillFaces() as faces:
        for i in indices:
            source = sources[i]
            # the detector's own media reading (no SHA-256 needed: nothing is recorded)
            evidence = EvidenceInput(source.path, "", f"{source.kind}/*", source.rel)
            media = ItemMedia(evidence, [crop_needs(frames_per_video)], faces)
            try:
                if source.kind == "video":
                    crops = video_crops(media, size, frames_per_video)
                else:
                    crops = [image_crop(media, size)]
            except EvidenceError as exc:
                missing.append(f"{source.rel}: {exc.reason}")
                crops = []
            found = [c for c in crops if c.pixels is not None]
            if crops and not found:
                missing.append(f"{source.rel}: no face found")
            samples += [FaceSample(i, c.frame_index, c.time_s, c.pixels)
                        for c in crops if c.pixels is not None]
            if on_source is not None:
                on_source(i)
    return samples, missing


# -- augmentation ------------------------------------------------------------------


@dataclass(frozen=True)
class Augmentation:
    """Random degradations applied alike to both classes, so that how a source was
    stored (size, compression, sharpness) cannot tell the classes apart."""

    flip: float = 0.5  #: probability of a horizontal flip
    resize: float = 0.7  #: probability of a down- then up-scale
    min_scale: float = 0.35  #: smallest down-scale factor
    blur: float = 0.3  #: probability of a Gaussian blur
    max_blur_sigma: float = 1.5
    jpeg: float = 0.8  #: probability of a JPEG re-compression
    jpeg_quality: tuple[int, int] = (35, 95)  #: inclusive quality range


_FILTERS = (Image.Resampling.BILINEAR, Image.Resampling.BICUBIC, Image.Resampling.LANCZOS)


def augment(rng: np.random.Generator, pixels: np.ndarray, aug: Augmentation) -> np.ndarray:
    """One random degradation of a crop (order: flip, resize, blur, JPEG)."""
    img = Image.fromarray(pixels)
    size = img.size
    if rng.random() < aug.flip:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if rng.random() < aug.resize:
        side = max(16, round(size[0] * rng.uniform(aug.min_scale, 1.0)))
        down = _FILTERS[int(rng.integers(len(_FILTERS)))]
        up = _FILTERS[int(rng.integers(len(_FILTERS)))]
        img = img.resize((side, side), down).resize(size, up)
    if rng.random() < aug.blur:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, aug.max_blur_sigma)))
    if rng.random() < aug.jpeg:
        buffer = io.BytesIO()
        lo, hi = aug.jpeg_quality
        img.save(buffer, "JPEG", quality=int(rng.integers(lo, hi + 1)))
        buffer.seek(0)
        img = Image.open(buffer).convert("RGB")
    return np.asarray(img)
