"""Reports: ``summary.json``, the printed results table, and the HTML pilot report (``report.pilot``)."""

from humanoid_bench.report.summary import SUMMARY_NAME, load_summary, results_table, write_summary

__all__ = ["SUMMARY_NAME", "load_summary", "results_table", "write_summary"]
