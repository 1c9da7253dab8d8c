"""The allocator's toolkit on a policy mix: stress scenarios, mix statistics and constraint checks.

Pure functions on dicts of asset class -> weight; ``tradesim stress`` and ``tradesim mix``
are their command lines.
"""

from tradesim.allocation.mix import COURSE_LIMITS, Check, Limit, MixStats, check_constraints, mix_stats
from tradesim.allocation.stress import (
    COURSE_ENDOWMENT, COURSE_ENDOWMENT_VALUE, COURSE_GROUPS, COURSE_SCENARIOS, SCENARIO_SETS, StressResult,
    stress_test,
)

__all__ = [
    "COURSE_ENDOWMENT", "COURSE_ENDOWMENT_VALUE", "COURSE_GROUPS", "COURSE_LIMITS", "COURSE_SCENARIOS",
    "SCENARIO_SETS", "Check", "Limit", "MixStats", "StressResult", "check_constraints", "mix_stats", "stress_test",
]
