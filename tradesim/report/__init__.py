"""Run reports: one self-contained HTML page of figures and tables for a replay, a paper
portfolio or a comparison, read from the ledger alone.

    from tradesim.report import write_report
    write_report("tradesim.db", [7], "report.html", png_dir="figures")   # one run
    write_report("tradesim.db", [5, 6, 7], "compare.html")               # runs overlaid

Figures are drawn on matplotlib's Agg canvas without pyplot; importing ``tradesim``
(or its CLI) does not import matplotlib at all, only making a report does.
"""

from tradesim.report.build import FIGURES, SECTIONS, Report, Written, render_report, resolve_runs, write_report
from tradesim.report.ledger import ReportError

__all__ = ["FIGURES", "SECTIONS", "Report", "ReportError", "Written", "render_report", "resolve_runs", "write_report"]
