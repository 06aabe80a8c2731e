"""Conclusions in the form the ENFSI guideline for evaluative reporting (2015) asks for.

Per evidence item: the pair of propositions the findings are evaluated against, stated
for that item (an image or a video recording; allowing for the processing the file's
own history shows, e.g. a re-encoding, which both propositions then share), the
background information they rest on, and what the findings support in words:
"the findings are about N times more probable if H1 than if H2". The likelihood ratio
is the fusion's where one was applied, else each validated method's on its own; several
methods' ratios are never multiplied (they are not independent). Where no validated
method gave a ratio, the report says that no evaluative statement can be made.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from forensics.model import EvidenceItem, verbal_scale
from forensics.reports.wording import times_more_probable

NEUTRAL_LOG10 = 0.30103  # |LR| < 2: the ENFSI scale's "no support either way"


@dataclass(frozen=True)
class Evaluation:
    """One method's (or the fusion's) result about one item, as the wording needs it."""

    method: str  #: "frequency 1.2.0"
    log10_lr: float | None
    verdict: str
    reason: str
    combined: bool  #: the fusion's statement over the methods


@dataclass(frozen=True)
class ItemPropositions:
    """What the report evaluates about one item and what the findings support."""

    h1: str  #: the prosecution-style proposition: generated or manipulated
    h2: str  #: the alternative: an unaltered recording (with the processing the background shows)
    background: tuple[str, ...]  #: the facts the propositions rest on
    statements: tuple[str, ...]  #: what the findings support, ENFSI wording

    def as_json(self) -> dict[str, object]:
        return {"h1": self.h1, "h2": self.h2, "background": list(self.background),
                "statements": list(self.statements)}


def _noun(item: EvidenceItem) -> str:
    return {"image": "image", "video": "video recording"}.get(item.kind, "file")


def propositions(item: EvidenceItem, evaluations: Sequence[Evaluation],
                 history: Sequence[str] = ()) -> ItemPropositions:
    """The propositions, background and statements for ``item``; ``history``: what the
    methods found about the file's history ("metadata: encoder tags name FFmpeg ...")."""
    noun = _noun(item)
    background = [
        f"{item.label} is {'an' if noun[0] in 'aeiou' else 'a'} {noun} ({item.media_type}) of "
        f"{item.size:,} bytes, received as "
        f"\"{item.original_name}\" on {item.acquired_at:%Y-%m-%d}"
        + (f" (note at acquisition: {item.note})" if item.note else "") + ".",
        "Nothing is known here about how it was made beyond what the file itself shows; "
        "the examiner was given no account of its recording.",
        *(f"The file's history, as a method found it (no evidence either way by itself): {fact}"
          for fact in history),
    ]
    h1 = (f"H1: the {noun} {item.label} was wholly or partly made by synthetic generation (e.g. "
          "a GAN or diffusion model), or the scene or faces it shows were manipulated (e.g. a "
          "face swapped or re-enacted).")
    h2 = (f"H2: {item.label} is a {'camera ' if item.kind != 'other' else ''}{noun} of a real "
          "scene whose depicted content was neither synthetically generated nor manipulated"
          + ("; like H1, it allows for the processing the background information records "
             "(e.g. re-encoding, re-saving, edited metadata)." if history else "."))
    return ItemPropositions(h1, h2, tuple(background), _statements(item, evaluations))


def support_sentence(log10_lr: float, label: str) -> str:
    """"The findings are about N times more probable if H1 than if H2" (or the reverse)."""
    if abs(log10_lr) < NEUTRAL_LOG10:
        return (f"The findings are about as probable if H1 as if H2 for {label} (likelihood "
                "ratio near 1): they support neither proposition.")
    favoured, other = ("H1", "H2") if log10_lr > 0 else ("H2", "H1")
    return (f"The findings are about {times_more_probable(log10_lr)} times more probable if "
            f"{favoured} is true than if {other} is true ({verbal_scale(log10_lr)}, ENFSI scale).")


def _statements(item: EvidenceItem, evaluations: Sequence[Evaluation]) -> tuple[str, ...]:
    combined = next((e for e in evaluations if e.combined and e.log10_lr is not None), None)
    if combined is not None:
        assert combined.log10_lr is not None
        return (f"{support_sentence(combined.log10_lr, item.label)} This is the combined "
                f"statement of {combined.method} over the validated methods.",)
    rated = [e for e in evaluations if e.log10_lr is not None and not e.combined]
    if not rated:
        return (f"No evaluative statement can be made about {item.label}: no validated method "
                "gave a likelihood ratio for it. What the methods found is reported as "
                "investigative information only (section 4).",)
    lines = []
    for e in rated:
        assert e.log10_lr is not None
        sentence = support_sentence(e.log10_lr, item.label)
        lines.append(f"By {e.method} alone, {sentence[0].lower()}{sentence[1:]}")
    if len(rated) > 1:
        lines.append("These likelihood ratios are not multiplied into one: the methods are not "
                     "independent, and no validated fusion was applied to them.")
    return tuple(lines)


def items_asked(question: str, labels: Sequence[str]) -> list[str]:
    """The items a question names ("E1", "E2" ...), in case order; every item when it names none."""
    named = set(re.findall(r"\bE\d+\b", question))
    return [label for label in labels if label in named] or list(labels)
