"""The report's sections as reportlab flowables, in reading order.

Cover (scope and questions), 1 summary of conclusions, 2 evidence, 3 methods,
4 findings with figures, 5 limitations, 6 custody log, 7 certification. Every
section is a pure function of the ``ReportContent``; findings of any detector are
shown from their data (``forensics.reports.figures`` draws the artifacts).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    ListFlowable,
    ListItem,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
)

from forensics.reports.embedded import EMBEDDED_NAME
from forensics.reports.figures import render_artifact, validation_figures
from forensics.reports.model import FindingEntry, ReportContent, registered_method
from forensics.reports.styles import (
    FRAME_WIDTH,
    KEY_VALUE,
    MONO_CELL,
    STYLES,
    TABLE,
    mono,
    printable,
    safe,
)

MAX_DETAIL_ROWS = 30  # the complete details are in the embedded data
MAX_VALUE_CHARS = 300
GRID_CHUNK = 25  # rows per table chunk


def build_story(content: ReportContent, data_digest: str) -> list[Flowable]:
    story: list[Flowable] = []
    for section in (cover, summary, evidence, methods, findings, limitations, custody,
                    certification):
        story.extend(section(content, data_digest))
    return story


def _p(text: str, style: str = "BodyText") -> Paragraph:
    return Paragraph(text, STYLES[style])


def _cell(text: object, *, markup: bool = False) -> Paragraph:
    return Paragraph(str(text) if markup else safe(text), STYLES["Cell"])


def _key_values(rows: Sequence[tuple[str, str]], key_width: float = 120) -> Table:
    """A two-column table; values are markup (already made safe)."""
    table = Table([[printable(k), Paragraph(v, STYLES["Cell"])] for k, v in rows],
                  colWidths=[key_width, FRAME_WIDTH - key_width])
    table.setStyle(KEY_VALUE)
    return table


def _grid(header: Sequence[str], rows: list[list[Any]], widths: Sequence[float],
          mono: Sequence[int] = ()) -> list[Flowable]:
    """A table with a header row; cells are Paragraphs (wrapped) or plain strings (one
    line each, columns ``mono`` in Courier). Built in chunks: reportlab re-measures every
    remaining row at each page split, so one long table costs time quadratic in its rows."""
    chunks = []
    for start in range(0, max(len(rows), 1), GRID_CHUNK):
        table = Table([list(header), *rows[start:start + GRID_CHUNK]],
                      colWidths=list(widths), repeatRows=1)
        table.setStyle(TABLE)
        table.setStyle([("FONT", (c, 1), (c, -1), *MONO_CELL) for c in mono])
        chunks.append(table)
    return chunks


def _signature_line(content: ReportContent) -> str:
    if content.signer is None:
        return "<b>UNSIGNED DRAFT</b>: no digital signature; not certified"
    return (f"digitally signed (PAdES, ETSI.CAdES.detached, SHA-256) by "
            f"{safe(content.signer.subject)}; certificate SHA-256 "
            f"{mono(content.signer.fingerprint_sha256)}")


# -- cover ------------------------------------------------------------------------------


def cover(content: ReportContent, data_digest: str) -> Iterator[Flowable]:
    case = content.case
    yield Spacer(1, 30)
    yield _p("Forensic Examination Report", "CoverTitle")
    yield _p("Authenticity of digital media: synthetic generation and manipulation", "CoverSub")
    yield Spacer(1, 24)
    seq, head = content.chain_head
    yield _key_values([
        ("Report ID", mono(content.report_id, 8)),
        ("Case", f"{safe(case.number)}: {safe(case.title)}"),
        ("Requesting party", safe(content.requested_by or "(not recorded)")),
        ("Examiner", safe(content.examiner)),
        ("Date of report (UTC)", safe(content.generated_at)),
        ("Status", _signature_line(content)),
        ("Evidence items / findings", f"{len(content.evidence)} / {len(content.findings)}"),
        ("Custody chain head", f"seq {seq}, hash {mono(head)}"),
        ("Embedded case data", f"{EMBEDDED_NAME}, SHA-256 {mono(data_digest)}"),
        ("Software", safe(f"deepfake-forensics {content.tool_version}")),
    ])
    yield Spacer(1, 14)
    yield _p("Scope", "Heading2")
    yield _p(safe(content.scope))
    yield _p("Questions addressed", "Heading2")
    yield ListFlowable([ListItem(_p(safe(q))) for q in content.questions], bulletType="1")
    if case.description:
        yield _p("Case description", "Heading2")
        yield _p(safe(case.description))
    yield Spacer(1, 10)
    yield _p("The PDF carries its case data as the embedded file named above, so that its hash "
             "values can be re-verified from the PDF alone (<i>forensics verify --report</i>).",
             "Small")
    yield PageBreak()


# -- 1 summary --------------------------------------------------------------------------


def summary(content: ReportContent, data_digest: str) -> Iterator[Flowable]:
    yield _p("1 Summary of conclusions", "Heading1")
    yield _p(
        "Each method's result is stated on the ENFSI (2015) verbal scale of the likelihood "
        "ratio (LR) for the proposition that the file was synthetically generated or "
        "manipulated against the proposition that it is an unaltered recording: LR 2-10 weak, "
        "10-100 moderate, 100-1,000 moderately strong, 1,000-10,000 strong, 10,000-1,000,000 "
        "very strong, above that extremely strong support (mirrored below 1 for support of "
        "authenticity). A method without a validation record gives no LR: its result is "
        "marked <b>not validated</b>; where a method could not decide, the result is "
        "<b>inconclusive</b> with the reason.")
    if content.verification_problems:
        yield _p(f"<b>Warning:</b> re-verification of the case at report time found "
                 f"{len(content.verification_problems)} problem(s); see sections 2 and 5.")
    else:
        yield _p("Re-verification at report time: every stored evidence file matched its "
                 "SHA-256, every finding its digest, and the custody chain held.")
    for item in content.summaries:
        rows = [[printable(method), _cell(text)] for method, text in item.conclusions]
        rows.append(["Combined statement", _cell(item.combined)])
        # KeepTogether still splits a block taller than a page.
        yield KeepTogether([
            _p(f"<b>{safe(item.label)}</b> {safe(item.original_name)}", "Heading3"),
            *_grid(["Method", "Conclusion"], rows, [110, FRAME_WIDTH - 110]),
        ])
    yield PageBreak()


# -- 2 evidence -------------------------------------------------------------------------


def evidence(content: ReportContent, data_digest: str) -> Iterator[Flowable]:
    yield _p("2 Evidence items", "Heading1")
    yield _p(
        "Each file was copied at acquisition into a content-addressed, read-only store and "
        "identified by its SHA-256 (MD5 given for tools that still use it). \"Re-verified\" "
        "means the stored copy was hashed again when this report was made and matched.")
    rows = []
    for entry in content.evidence:
        item = entry.item
        rows.append([
            item.label,
            _cell(f"{safe(item.original_name)}<br/>{safe(item.media_type)}<br/>"
                  f"{item.size:,} bytes", markup=True),
            f"SHA-256\n{item.sha256}\nMD5 {item.md5}",
            _cell(f"{item.acquired_at.isoformat(' ', 'seconds')}<br/>by {safe(item.acquired_by)}",
                  markup=True),
            "yes" if entry.reverified else "NO (*)",
        ])
    yield from _grid(["ID", "Original name, type, size", "Hash values", "Acquired (UTC)",
                      "Re-verified"], rows, [20, 96, 244, 70, FRAME_WIDTH - 430], mono=[2])
    for entry in content.evidence:
        if not entry.reverified:
            yield _p(f"(*) <b>{safe(entry.item.label)}</b>: {safe(entry.problem)}", "Small")


# -- 3 methods --------------------------------------------------------------------------


def methods(content: ReportContent, data_digest: str) -> Iterator[Flowable]:
    yield _p("3 Methods", "Heading1")
    yield _p("Each method is identified by its name, version, the digest of its configuration "
             "and, where it uses a trained model, the SHA-256 of the model weights. Its "
             "validation record gives its known error rates on labelled data.")
    if not content.methods:
        yield _p("No method was applied: the case has no findings.")
    for m in content.methods:
        if m.validation:
            validation = "<br/>".join(f"{safe(k)}: {safe(v)}" for k, v in m.validation)
        else:
            validation = ("<b>NOT VALIDATED</b>: no validation record applies to this build "
                          "(name, major version, configuration, weights), so its results carry "
                          "no likelihood ratio and no known error rate.")
        block: list[Flowable] = [
            _p(f"{safe(m.name)} {safe(m.version)}", "Heading3"),
            _key_values([
                ("Description", safe(m.description or "(no description registered)")),
                ("Configuration digest", mono(m.config_digest)),
                ("Weights digest", mono(m.weights_digest) if m.weights_digest
                 else "none (rule-based or analytic method)"),
                ("Validation", validation),
                ("Limitations", safe(m.limitations or "(none stated by the method)")),
                ("Findings in this report", str(m.findings)),
            ]),
        ]
        plots = validation_figures(m.validation_plots, FRAME_WIDTH)
        if plots is not None:
            block += [plots, _p(f"Validation of {safe(m.name)} {safe(m.version)}: ROC curve and "
                                "Tippett plot on the metric split.", "Caption")]
        yield KeepTogether(block)


# -- 4 findings -------------------------------------------------------------------------


def findings(content: ReportContent, data_digest: str) -> Iterator[Flowable]:
    yield PageBreak()
    yield _p("4 Findings", "Heading1")
    yield _p("Each finding is identified by the SHA-256 of its canonical JSON (no time inside, "
             "so re-running the same method version on the same file reproduces it). Its "
             "complete details are in the embedded case data.")
    figure_no = 0
    for entry in content.evidence:
        item = entry.item
        yield CondPageBreak(120)
        yield _p(f"{safe(item.label)} {safe(item.original_name)}", "Heading2")
        yield _p(f"SHA-256 {mono(item.sha256)}", "Small")
        own = content.findings_for(item.label)
        if not own:
            yield _p("No finding is recorded for this item.")
        for finding in own:
            flowables, figure_no = _finding(finding, figure_no)
            yield from flowables


def _finding(f: FindingEntry, figure_no: int) -> tuple[list[Flowable], int]:
    rows = [
        ("Conclusion", safe(f.conclusion)),
        ("Verdict", safe(f.verdict)),
        ("Score", "-" if f.score is None else safe(f"{f.score:.6g}")),
        ("log10 LR", "-" if f.log10_lr is None else safe(f"{f.log10_lr:+.3f}")),
        ("Finding digest", mono(f.digest)),
        ("Configuration digest", mono(f.config_digest)),
    ]
    if f.weights_digest:
        rows.append(("Weights digest", mono(f.weights_digest)))
    out: list[Flowable] = [KeepTogether([
        _p(f"{safe(f.detector)} {safe(f.detector_version)}: {safe(f.verdict.replace('_', ' '))}",
           "Heading3"),
        _key_values(rows),
    ])]
    details = list(_flatten(f.details))
    if details:
        shown = details[:MAX_DETAIL_ROWS]
        table_rows = [[_cell(k), _cell(v)] for k, v in shown]
        out.append(Spacer(1, 3))
        out.extend(_grid(["Detail", "Value"], table_rows, [150, FRAME_WIDTH - 150]))
        if len(details) > len(shown):
            out.append(_p(f"... {len(details) - len(shown)} more details in the embedded "
                          "case data.", "Caption"))
    method = registered_method(f.detector)
    for artifact in f.artifacts:
        figure_no += 1
        figure = render_artifact(artifact, FRAME_WIDTH, method)
        said = f" {safe(figure.caption)}" if figure.caption else ""
        out.append(Spacer(1, 4))
        out.append(KeepTogether([
            figure.flowable,
            _p(f"Figure {figure_no}: {safe(artifact.name)} ({safe(artifact.media_type)}) of "
               f"{safe(f.evidence_label)} by {safe(f.detector)}.{said} SHA-256 "
               f"{mono(artifact.sha256)}", "Caption"),
        ]))
    out.append(Spacer(1, 8))
    return out, figure_no


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Details as (dotted key, text) rows; lists of scalars joined, long text clipped."""
    if isinstance(value, Mapping):
        for key in value:
            yield from _flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
        return
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        text = ", ".join("null" if v is None else str(v) for v in value)
    elif isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = "null" if value is None else str(value)
    if len(text) > MAX_VALUE_CHARS:
        text = text[:MAX_VALUE_CHARS] + " ... (clipped)"
    yield prefix or "value", text


# -- 5 limitations ----------------------------------------------------------------------


def limitations(content: ReportContent, data_digest: str) -> Iterator[Flowable]:
    yield _p("5 Limitations", "Heading1")
    yield ListFlowable([ListItem(_p(safe(note))) for note in content.limitations],
                       bulletType="bullet")


# -- 6 custody --------------------------------------------------------------------------


def custody(content: ReportContent, data_digest: str) -> Iterator[Flowable]:
    yield PageBreak()
    yield _p("6 Custody log", "Heading1")
    yield _p("Every action on the case, in order. Each event's hash is SHA-256(previous hash "
             "|| canonical event), so changing or removing any event changes every later "
             "hash and the chain head below.")
    rows = []
    for event in content.events:
        rows.append([
            str(event.seq),
            event.time.replace("T", "\n"),
            _cell(event.examiner),
            _cell(f"<b>{safe(event.action)}</b>{_payload_summary(event.payload)}", markup=True),
            f"{event.subject_digest}\n{event.hash}",
        ])
    yield from _grid(["Seq", "Time (UTC)", "Examiner", "Action", "Subject digest / event hash"],
                rows, [24, 64, 52, FRAME_WIDTH - 384, 244], mono=[4])
    seq, head = content.chain_head
    yield Spacer(1, 6)
    yield _p(f"<b>Chain head covered by this report:</b> seq {seq}, hash {mono(head, 8)}")


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
    yield CondPageBreak(300)
    yield _p("7 Certification", "Heading1")
    seq, head = content.chain_head
    total = len(content.evidence)
    matched = sum(e.reverified for e in content.evidence)
    statements = [
        (f"I, {safe(content.examiner)}, am the examiner who prepared this report and am "
         "familiar with the process described here."),
        ("Each evidence file listed in section 2 was, at acquisition, copied into a read-only "
         "store and identified by its SHA-256 hash value, a process of digital identification "
         "by which any later change to the file is detected."),
        (f"On {safe(content.generated_at)} each stored copy was hashed again: {matched} of "
         f"{total} matched the hash value recorded at acquisition."),
        ("Each finding is identified by the SHA-256 of its canonical content, and every action "
         "on the evidence is recorded in a hash-chained custody log whose head at the time of "
         f"this report was seq {seq}, hash {mono(head)}."),
        (f"The case data embedded in this PDF ({EMBEDDED_NAME}, SHA-256 {mono(data_digest)}) "
         "holds these hash values so that any party can re-verify them."),
    ]
    if content.signer is not None:
        statements.append(
            "This report is signed with a PAdES digital signature; any change to the file "
            f"after signing invalidates it. Signing certificate: {safe(content.signer.subject)}, "
            f"SHA-256 fingerprint {mono(content.signer.fingerprint_sha256)}.")
    yield _p("Certification of data identified by hash values, in the style of Federal Rule "
             "of Evidence 902(14):", "Statement")
    yield ListFlowable([ListItem(_p(s, "Statement")) for s in statements], bulletType="1")
    yield Spacer(1, 10)
    if content.signer is None:
        yield _p("<b>UNSIGNED DRAFT</b>: this document is not signed and this statement is "
                 "not certified.", "Statement")
    else:
        yield _p(f"Signed: {safe(content.examiner)}, {safe(content.generated_at)} "
                 "(by the digital signature of this document).", "Statement")
    yield _p("Whether this statement meets Rule 902(14), and the notice required with it, in a "
             "given proceeding is for counsel and the court to decide.", "Small")
