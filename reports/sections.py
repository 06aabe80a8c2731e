"""The report's sections as reportlab flowables, in reading order.

Cover (scope and questions), 1 conclusions, 2 evidence, 3 methods, 4 findings with
figures, 5 limitations, 6 custody log, 7 certification; then the appendices
(``forensics.reports.appendices``): hash values, digests, raw details and the custody
hashes, where a reader who checks them finds them without the body carrying them.
Every section is a pure function of the ``ReportContent``; findings of any detector are
shown from their data (``forensics.reports.figures`` draws the artifacts).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    ListFlowable,
    ListItem,
    PageBreak,
    Spacer,
)

from forensics.reports.appendices import appendices, finding_number
from forensics.reports.embedded import EMBEDDED_NAME
from forensics.reports.examiner import ExaminerProfile
from forensics.reports.figures import render_artifact, validation_figures
from forensics.reports.layout import (
    SignatureSpot,
    cell,
    grid,
    key_values,
    para,
    picture,
    side_by_side,
)
from forensics.reports.model import (
    EvidenceEntry,
    FindingEntry,
    ItemSummary,
    ReportContent,
    registered_method,
)
from forensics.reports.propositions import items_asked
from forensics.reports.styles import BODY, FRAME_WIDTH, mono, printable, safe
from forensics.reports.wording import likelihood_ratio, log10_lr_text, significant

THUMB_SIDE = 90.0  # points
SIGNATURE_WIDTH, SIGNATURE_HEIGHT = 330.0, 78.0  # the visible signature block, points


def build_story(content: ReportContent, data_digest: str) -> list[Flowable]:
    story: list[Flowable] = []
    for section in (cover, summary, evidence, methods, findings, limitations, custody,
                    certification, appendices):
        story.extend(section(content, data_digest))
    return story


def numbered(paragraphs: list[Flowable]) -> ListFlowable:
    """A numbered list in the body font (reportlab's default bullet font is Helvetica)."""
    return ListFlowable([ListItem(p) for p in paragraphs], bulletType="1", bulletFontName=BODY)


def _signature_line(content: ReportContent) -> str:
    if content.signer is None:
        return "<b>UNSIGNED DRAFT</b>: no digital signature; not certified"
    return (f"digitally signed (PAdES) by {safe(content.signer.common_name or content.signer.subject)}; "
            "see section 7")


def thumbnail(entry: EvidenceEntry, side: float = THUMB_SIDE) -> Flowable:
    """The item's thumbnail, or why there is none."""
    if entry.thumbnail.jpeg is None:
        return cell(entry.thumbnail.what)
    return picture(entry.thumbnail.jpeg, side, side)


# -- cover ------------------------------------------------------------------------------


def cover(content: ReportContent, data_digest: str) -> Iterator[Flowable]:
    case = content.case
    yield Spacer(1, 30)
    yield para("Forensic Examination Report", "CoverTitle")
    yield para("Authenticity of digital media: synthetic generation and manipulation", "CoverSub")
    yield Spacer(1, 24)
    yield key_values([
        ("Report ID", safe(content.report_id)),
        ("Case", f"{safe(case.number)}: {safe(case.title)}"),
        ("Requesting party", safe(content.requested_by or "(not recorded)")),
        *((f"{what} (UTC)", safe(when)) for what, when in content.dates),
        ("Status", _signature_line(content)),
        ("Evidence items / findings", f"{len(content.evidence)} / {len(content.findings)}"),
        ("Software", safe(f"deepfake-forensics {content.tool_version}")),
    ])
    yield para("Examiner and laboratory", "Heading2")
    yield _person(content.examiner_profile)
    if content.reviewer is not None:
        yield para("Technical reviewer", "Heading2")
        yield _person(content.reviewer)
    yield para("Scope", "Heading2")
    yield para(safe(content.scope))
    yield para("Questions addressed", "Heading2")
    yield numbered([para(safe(q)) for q in content.questions])
    if case.description:
        yield para("Case description", "Heading2")
        yield para(safe(case.description))
    yield Spacer(1, 10)
    yield para("Conclusions come first (section 1), in plain words; the methods, findings and "
               "limitations they rest on follow. Hash values, digests and raw measurements are in "
               "the appendices. The PDF carries its case data, including the whole custody log, as "
               f"the embedded file {EMBEDDED_NAME}, so that anyone can re-verify it from the PDF "
               "alone (<i>forensics verify --report</i>).", "Small")
    yield PageBreak()


def _person(profile: ExaminerProfile) -> Flowable:
    rows = [(label, safe(value)) for label, value in profile.rows()]
    rows.append(("Source", safe(profile.source)))
    return key_values(rows)


# -- 1 conclusions ----------------------------------------------------------------------


def summary(content: ReportContent, data_digest: str) -> Iterator[Flowable]:
    yield para("1 Conclusions", "Heading1")
    yield para(
        "For each item, the questions on the cover are answered by weighing the findings "
        "against two propositions stated for that item, given the background information "
        "listed with them. Following the ENFSI guideline for evaluative reporting (2015), "
        "what the findings support is said as a likelihood ratio (LR): how many times more "
        "probable the findings are if one proposition is true than if the other is; the "
        "verbal scale is LR 2-10 weak, 10-100 moderate, 100-1,000 moderately strong, "
        "1,000-10,000 strong, 10,000-1,000,000 very strong, above that extremely strong "
        "support. The LR is about the findings, not the probability that a proposition is "
        "true: that also depends on other information in the case, which is for the court.")
    if content.verification_problems:
        yield para(f"<b>Warning:</b> re-verification of the case at report time found "
                   f"{len(content.verification_problems)} problem(s); see sections 2 and 5.")
    else:
        yield para("Re-verification at report time: every stored evidence file matched its "
                   "SHA-256, every finding its digest, and the custody chain held.")
    yield from _answers(content)
    if content.interpretation.general:
        yield from _opinion(content.interpretation.general, content)
    entries = {e.item.label: e for e in content.evidence}
    for item in content.summaries:
        yield from _item_conclusions(item, entries[item.label], content)
    yield PageBreak()


def _answers(content: ReportContent) -> Iterator[Flowable]:
    """Each question of the cover, answered per item it names (every item when it names none)."""
    statements = {s.label: s.propositions.statements for s in content.summaries}
    rows = []
    for number, question in enumerate(content.questions, start=1):
        for label in items_asked(question, list(statements)):
            rows.append([str(number), label, cell(" ".join(statements[label]))])
    if rows:
        yield para("<b>The questions, answered per item</b> (the propositions and the background "
                   "they rest on follow for each item)")
        yield from grid(["Q", "Item", "What the findings support"], rows, [24, 36, FRAME_WIDTH - 60])
        yield Spacer(1, 8)


def _item_conclusions(item: ItemSummary, entry: EvidenceEntry,
                      content: ReportContent) -> Iterator[Flowable]:
    props = item.propositions
    head = side_by_side([thumbnail(entry, 70),
                         para(f"<b>{safe(item.label)}</b> {safe(item.original_name)}", "Heading2")],
                        [80, FRAME_WIDTH - 80], valign="MIDDLE")
    yield KeepTogether([
        head,
        para("<b>What the findings support</b>", "BodyText"),
        *(para(f"<b>{safe(line)}</b>") for line in props.statements),
        para("<b>Propositions</b>"),
        para(safe(props.h1)), para(safe(props.h2)),
    ])
    yield para("<b>Background information</b>")
    yield ListFlowable([ListItem(para(safe(b), "Small")) for b in props.background],
                       bulletType="bullet", bulletFontName=BODY, start="\u2022")
    rows = [[printable(method), cell(text)] for method, text in item.conclusions]
    rows.append(["Combined statement", cell(item.combined)])
    yield from grid(["Method", "Result (section 4)"], rows, [120, FRAME_WIDTH - 120])
    if item.interpretation:
        yield from _opinion(item.interpretation, content)
    yield Spacer(1, 10)


def _opinion(paragraphs: Sequence[str], content: ReportContent) -> Iterator[Flowable]:
    yield para(f"<b>Examiner's interpretation</b> (the opinion of {safe(content.examiner)}, "
               "not a result of the methods)", "Small")
    for text in paragraphs:
        yield para(safe(text), "Opinion")


# -- 2 evidence -------------------------------------------------------------------------


def evidence(content: ReportContent, data_digest: str) -> Iterator[Flowable]:
    yield para("2 Evidence items", "Heading1")
    yield para(
        "Each file was copied at acquisition into a content-addressed, read-only store and "
        "identified by its SHA-256 (the full hash values, with SHA-1 and MD5, are in Appendix A). "
        "\"Re-verified\" means the stored copy was hashed again when this report was made and "
        "matched.")
    rows = []
    for entry in content.evidence:
        item = entry.item
        rows.append([
            item.label,
            thumbnail(entry),
            cell(f"{safe(item.original_name)}<br/>{safe(item.media_type)}, {item.size:,} bytes<br/>"
                 f"SHA-256 {mono(item.sha256[:16])}...<br/>{safe(entry.thumbnail.what)}", markup=True),
            cell(f"{item.acquired_at.isoformat(' ', 'seconds')}<br/>by {safe(item.acquired_by)}",
                 markup=True),
            "yes" if entry.reverified else "NO (*)",
        ])
    yield from grid(["ID", "Thumbnail", "File", "Acquired (UTC)", "Re-verified"], rows,
                    [26, THUMB_SIDE + 8, FRAME_WIDTH - 270 - THUMB_SIDE, 118, 58])
    for entry in content.evidence:
        if not entry.reverified:
            yield para(f"(*) <b>{safe(entry.item.label)}</b>: {safe(entry.problem)}", "Small")


# -- 3 methods --------------------------------------------------------------------------


def methods(content: ReportContent, data_digest: str) -> Iterator[Flowable]:
    yield PageBreak()
    yield para("3 Methods", "Heading1")
    yield para("Each method is identified by its name and version (the digests of its "
               "configuration and model weights are in Appendix B). Its validation record gives "
               "its known error rates on labelled data.")
    if not content.methods:
        yield para("No method was applied: the case has no findings.")
    for m in content.methods:
        if m.validation:
            validation = "<br/>".join(f"{safe(k)}: {safe(v)}" for k, v in m.validation
                                      if k != "Record")
        else:
            validation = ("<b>NOT VALIDATED</b>: no validation record applies to this build "
                          "(name, major version, configuration, weights), so its results carry "
                          "no likelihood ratio and no known error rate.")
        block: list[Flowable] = [
            para(f"{safe(m.name)} {safe(m.version)}", "Heading2"),
            key_values([
                ("Description", safe(m.description or "(no description registered)")),
                ("Validation", validation),
                *([("Assumptions", safe(m.assumptions))] if m.assumptions else []),
                ("Limitations", safe(m.limitations or "(none stated by the method)")),
                ("Findings in this report", str(m.findings)),
            ]),
        ]
        plots = validation_figures(m.validation_plots, FRAME_WIDTH)
        if plots is not None:
            block += [plots, para(f"Validation of {safe(m.name)} {safe(m.version)}: ROC curve "
                                  "(dashed: chance) and Tippett plot (share of validation LRs at "
                                  "or above each value; dashed: LR = 1) on the metric split.",
                                  "Caption")]
        yield KeepTogether(block)


# -- 4 findings -------------------------------------------------------------------------


def findings(content: ReportContent, data_digest: str) -> Iterator[Flowable]:
    yield PageBreak()
    yield para("4 Findings", "Heading1")
    yield para("Each finding below is numbered (F1, F2, ...); its digest, configuration and every "
               "measured detail are in Appendix C under the same number. Numbers are rounded "
               "to what they can support; the embedded case data keeps them exactly.")
    figure_no = 0
    numbers = finding_number(content)
    for entry in content.evidence:
        item = entry.item
        yield CondPageBreak(140)
        yield para(f"{safe(item.label)} {safe(item.original_name)}", "Heading2")
        own = content.findings_for(item.label)
        if not own:
            yield para("No finding is recorded for this item.")
        for finding in own:
            flowables, figure_no = _finding(finding, numbers[finding.digest], figure_no)
            yield from flowables


def _finding(f: FindingEntry, number: str, figure_no: int) -> tuple[list[Flowable], int]:
    rows = [("Conclusion", safe(f.conclusion)), ("Verdict", safe(f.verdict.replace("_", " ")))]
    if f.score is not None:
        rows.append(("Score", safe(significant(f.score))))
    if f.log10_lr is not None:
        rows.append(("Likelihood ratio", f"about {safe(likelihood_ratio(f.log10_lr))} "
                                         f"(log10 LR {safe(log10_lr_text(f.log10_lr))})"))
    rows.append(("Details", f"Appendix C, {number}"))
    out: list[Flowable] = [KeepTogether([
        para(f"{number} {safe(f.detector)} {safe(f.detector_version)}: "
             f"{safe(f.verdict.replace('_', ' '))}", "Heading3"),
        key_values(rows),
    ])]
    method = registered_method(f.detector)
    for artifact in f.artifacts:
        figure = render_artifact(artifact, FRAME_WIDTH, method)
        if figure is None:
            continue  # data, not a figure: listed in Appendix C by its SHA-256
        figure_no += 1
        said = f" {safe(figure.caption)}" if figure.caption else ""
        out.append(Spacer(1, 4))
        out.append(KeepTogether([
            figure.flowable,
            para(f"Figure {figure_no}: {safe(artifact.name)} of {safe(f.evidence_label)} by "
                 f"{safe(f.detector)} ({number}).{said}", "Caption"),
        ]))
    out.append(Spacer(1, 8))
    return out, figure_no


# -- 5 limitations ----------------------------------------------------------------------


def limitations(content: ReportContent, data_digest: str) -> Iterator[Flowable]:
    yield CondPageBreak(160)
    yield para("5 Limitations", "Heading1")
    yield ListFlowable([ListItem(para(safe(note))) for note in content.limitations],
                       bulletType="bullet", bulletFontName=BODY, start="\u2022")


# -- 6 custody --------------------------------------------------------------------------


def custody(content: ReportContent, data_digest: str) -> Iterator[Flowable]:
    yield PageBreak()
    yield para("6 Custody log", "Heading1")
    yield para("Every action on the case, in order. Each event's hash is SHA-256(previous hash "
               "|| canonical event), so changing or removing any event changes every later "
               "hash and the chain head; the hashes are in Appendix D, and the events themselves "
               "in the embedded case data, from which the chain can be recomputed.")
    rows = []
    for event in content.events:
        rows.append([
            str(event.seq),
            event.time[:19].replace("T", " "),
            cell(event.examiner),
            cell(f"<b>{safe(event.action)}</b>{_payload_summary(event.payload)}", markup=True),
        ])
    yield from grid(["Seq", "Time (UTC)", "Examiner", "Action"], rows,
                    [30, 96, 110, FRAME_WIDTH - 236])
    seq, head = content.chain_head
    yield Spacer(1, 6)
    yield para(f"<b>Chain head covered by this report:</b> seq {seq}, hash {mono(head)}")


def _payload_summary(payload: str) -> str:
    """A line naming what an event was about (item, method and verdict, report id)."""
    try:
        data = json.loads(payload)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    def words(*keys: str) -> str:
        return " ".join(str(data[k]) for k in keys if data.get(k))
    parts = [words("item", "original_name"), words("detector", "detector_version"),
             words("verdict").replace("_", " "), words("report_id")]
    text = "; ".join(p for p in parts if p)
    return f"<br/>{safe(text[:160])}" if text else ""


# -- 7 certification --------------------------------------------------------------------


def certification(content: ReportContent, data_digest: str) -> Iterator[Flowable]:
    yield PageBreak()
    yield para("7 Certification", "Heading1")
    seq, head = content.chain_head
    total = len(content.evidence)
    matched = sum(e.reverified for e in content.evidence)
    statements = [
        (f"I, {safe(content.examiner)}, am the examiner who prepared this report and am "
         "familiar with the process described here."),
        ("Each evidence file listed in section 2 was, at acquisition, copied into a read-only "
         "store and identified by its SHA-256 hash value (Appendix A), a process of digital "
         "identification by which any later change to the file is detected."),
        (f"On {safe(content.generated_at)} each stored copy was hashed again: {matched} of "
         f"{total} matched the hash value recorded at acquisition."),
        ("Each finding is identified by the SHA-256 of its canonical content (Appendix C), and "
         "every action on the evidence is recorded in a hash-chained custody log whose head at "
         f"the time of this report was seq {seq}, hash {mono(head)}."),
        (f"The case data embedded in this PDF ({EMBEDDED_NAME}, SHA-256 {mono(data_digest)}) "
         "holds these hash values and the custody events so that any party can re-verify them."),
    ]
    if content.signer is not None:
        statements.append(
            "This report is signed with a PAdES digital signature; any change to the file "
            f"after signing invalidates it. Signing certificate: {safe(content.signer.subject)}, "
            f"SHA-256 fingerprint {mono(content.signer.fingerprint_sha256)}.")
    yield para("Certification of data identified by hash values, in the style of Federal Rule "
               "of Evidence 902(14):", "Statement")
    yield numbered([para(s, "Statement") for s in statements])
    yield Spacer(1, 10)
    if content.signer is None:
        yield para("<b>UNSIGNED DRAFT</b>: this document is not signed and this statement is "
                   "not certified.", "Statement")
    else:
        yield para(f"Signed: {safe(content.examiner)}, {safe(content.generated_at)} "
                   "(by the digital signature of this document, shown below).", "Statement")
    yield Spacer(1, 6)
    yield SignatureSpot(SIGNATURE_WIDTH, SIGNATURE_HEIGHT, draft=content.signer is None)
    yield Spacer(1, 8)
    yield para("Whether this statement meets Rule 902(14), and the notice required with it, in a "
               "given proceeding is for counsel and the court to decide.", "Small")
