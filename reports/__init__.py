"""The court report: content from the case database, PDF rendering (reportlab), the
embedded machine-readable case data, PAdES signing and verification (pyHanko).

Layers (DESIGN.md, convention 5): ``generate_report`` is the thin function for the
common case; ``forensics.reports.generate.produce_pdf`` the orchestrator; ``forensics.reports.render``,
``forensics.reports.embedded`` and ``forensics.reports.sign`` the swappable parts.
"""

from forensics.reports.generate import GeneratedReport, generate_report
from forensics.reports.verify import ReportVerification, verify_report

__all__ = ["GeneratedReport", "ReportVerification", "generate_report", "verify_report"]
