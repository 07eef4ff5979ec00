"""Episode accounting and statistics: records, the per-step accumulator, summaries with CIs."""

from humanoid_bench.scoring.record import EpisodeAccumulator, EpisodeRecord
from humanoid_bench.scoring.stats import bootstrap_mean_ci, group_stats, summarize, wilson_ci

__all__ = ["EpisodeAccumulator", "EpisodeRecord", "bootstrap_mean_ci", "group_stats", "summarize", "wilson_ci"]
