"""Episode accounting and statistics: records, the per-step accumulator, summaries with CIs, comparisons."""

from humanoid_bench.scoring.record import EpisodeAccumulator, EpisodeRecord
from humanoid_bench.scoring.stats import (
    barnard_p,
    bootstrap_diff_ci,
    bootstrap_mean_ci,
    compare_groups,
    fisher_p,
    group_stats,
    newcombe_diff_ci,
    summarize,
    wilson_ci,
)

__all__ = ["EpisodeAccumulator", "EpisodeRecord", "barnard_p", "bootstrap_diff_ci", "bootstrap_mean_ci",
           "compare_groups", "fisher_p", "group_stats", "newcombe_diff_ci", "summarize", "wilson_ci"]
