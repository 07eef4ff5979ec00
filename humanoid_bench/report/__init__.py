"""Reports. v0: ``summary.json`` and the printed results table (the HTML pilot report comes later)."""

from humanoid_bench.report.summary import SUMMARY_NAME, load_summary, results_table, write_summary

__all__ = ["SUMMARY_NAME", "load_summary", "results_table", "write_summary"]
