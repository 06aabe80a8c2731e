"""Lay out a report with reportlab: page template, "page X of Y", the draft mark, and
the PDF outline (bookmarks): one per section and appendix, one per item below them.

The story (what is on the pages) comes from ``forensics.reports.sections``; this module only
knows pages. Page numbers need the total, so every page is kept until the document
is complete and decorated then (the usual reportlab two-step canvas); the bookmarks are
noted with their page while the story is laid out and written when the page is.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate

from forensics.reports.layout import DRAFT_MARK
from forensics.reports.model import TOOL_NAME, ReportContent
from forensics.reports.sections import build_story
from forensics.reports.sign import SignatureBox
from forensics.reports.styles import BODY, BOLD, MARGIN, PAGE_SIZE

OUTLINE_LEVELS = {"CoverTitle": 0, "Heading1": 0, "Heading2": 1}  #: paragraph style -> bookmark level

DIGEST_KEYWORD = "case_data_sha256="  #: in the document's keywords, before the data's SHA-256


@dataclass(frozen=True)
class PageDecoration:
    """What every page carries besides its content."""

    header: str  #: report id and case, top left
    draft: bool  #: mark every page UNSIGNED DRAFT


class _DecoratedCanvas(Canvas):
    """Holds each finished page until the total is known, then decorates them all."""

    def __init__(self, *args: Any, decoration: PageDecoration, pages_out: list[int],
                 boxes_out: list[SignatureBox], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._decoration = decoration
        self._pages_out = pages_out
        self._held: list[dict[str, Any]] = []
        self._marks: list[tuple[int, str, int]] = []  # (page, title, level), shared by all pages
        self._boxes = boxes_out

    def note_box(self, width: float, height: float) -> None:
        """The visible signature's place: here, on the current page (0-based)."""
        x1, y1 = self.absolutePosition(0, 0)
        x2, y2 = self.absolutePosition(width, height)
        self._boxes.append(SignatureBox(len(self._held), (round(x1), round(y1), round(x2), round(y2))))

    def mark(self, title: str, level: int) -> None:
        """A bookmark to the current page (written when the page is)."""
        self._marks.append((len(self._held) + 1, title, level))

    def showPage(self) -> None:
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._held)
        for number, state in enumerate(self._held, start=1):
            self.__dict__.update(state)
            self._decorate(number, total)
            for index, (page, title, level) in enumerate(self._marks):
                if page == number:
                    self.bookmarkPage(f"s{index}", fit="XYZ")
                    self.addOutlineEntry(title, f"s{index}", level=level, closed=level > 0)
            super().showPage()
        if self._marks:
            self.showOutline()
        self._pages_out.append(total)
        super().save()

    def _decorate(self, number: int, total: int) -> None:
        width, height = PAGE_SIZE
        self.saveState()
        self.setFont(BODY, 8)
        self.setFillColor(colors.Color(0.25, 0.25, 0.25))
        self.drawString(MARGIN, height - MARGIN + 14, self._decoration.header)
        self.drawRightString(width - MARGIN, MARGIN - 20, f"page {number} of {total}")
        self.setStrokeColor(colors.Color(0.6, 0.6, 0.6))
        self.setLineWidth(0.4)
        self.line(MARGIN, height - MARGIN + 10, width - MARGIN, height - MARGIN + 10)
        self.line(MARGIN, MARGIN - 12, width - MARGIN, MARGIN - 12)
        if self._decoration.draft:
            self.setFont(BOLD, 9)
            self.setFillColor(colors.black)
            self.drawString(MARGIN, MARGIN - 20, f"{DRAFT_MARK} - not signed, not certified")
            self.drawRightString(width - MARGIN, height - MARGIN + 14, DRAFT_MARK)
            # A light diagonal mark that prints in grayscale and leaves the text readable.
            self.setFont(BOLD, 64)
            self.setFillColor(colors.Color(0, 0, 0, alpha=0.12))
            self.translate(width / 2, height / 2)
            self.rotate(45)
            self.drawCentredString(0, -20, DRAFT_MARK)
        self.restoreState()


@dataclass(frozen=True)
class RenderedReport:
    """The laid-out report, before its data is embedded and it is signed."""

    pdf: bytes
    pages: int
    signature_box: SignatureBox | None  #: where the visible signature goes


class _OutlinedDoc(SimpleDocTemplate):
    """Notes a bookmark for each section heading as it is laid out."""

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, Paragraph):
            level = OUTLINE_LEVELS.get(flowable.style.name)
            if level is not None and isinstance(self.canv, _DecoratedCanvas):
                self.canv.mark(flowable.getPlainText(), level)


def render_pdf(content: ReportContent, data_digest: str) -> RenderedReport:
    """The report's PDF (not yet holding the embedded data), its page count and the place
    of its visible signature."""
    buffer = io.BytesIO()
    case = content.case
    doc = _OutlinedDoc(
        buffer,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
        # else every page starts by naming Helvetica, a font that is not embedded
        initialFontName=BODY, initialFontSize=9.5,
        title=f"Forensic examination report {content.report_id}",
        author=content.examiner,
        subject=f"Case {case.number}: {case.title}",
        creator=f"{TOOL_NAME} {content.tool_version}",
        keywords=f"report_id={content.report_id} {DIGEST_KEYWORD}{data_digest}",
    )
    header = f"Forensic examination report {content.report_id} - case {case.number}"
    pages: list[int] = []
    boxes: list[SignatureBox] = []

    canvas_maker = functools.partial(
        _DecoratedCanvas,
        decoration=PageDecoration(header=header, draft=not content.signed),
        pages_out=pages,
        boxes_out=boxes,
    )
    doc.build(build_story(content, data_digest), canvasmaker=canvas_maker)
    return RenderedReport(buffer.getvalue(), pages[0], boxes[-1] if boxes else None)
