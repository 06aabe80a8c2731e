"""The court report: content from the case database, PDF rendering (reportlab), the
embedded machine-readable case data, PAdES signing and verification (pyHanko).

Layers (DESIGN.md, convention 5): ``generate_report`` is the thin function for the
common case; ``reports.generate.produce_pdf`` the orchestrator; ``reports.render``,
``reports.embedded`` and ``reports.sign`` the swappable parts.
"""

from reports.generate import GeneratedReport, generate_report
from reports.verify import ReportVerification, verify_report

__all__ = ["GeneratedReport", "ReportVerification", "generate_report", "verify_report"]
