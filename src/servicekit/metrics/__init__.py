"""Metrics (M-01 … M-16): CSAT, NPS, FCR and the handbook's KPIs, with honest statistics.

Every share comes with n, what was missing and a confidence interval (Wilson by default, equal
to statsmodels'); ``meets(target)`` says "not enough data" while the interval straddles the
target; ``compare(a, b)`` tests two periods. See ``docs/metrics.md``.
"""

from servicekit.metrics._by import csat_by, fcr_by, mean_by, nps_by, proportion_by, survey_by
from servicekit.metrics._intervals import METHODS
from servicekit.metrics._kpis import (
    CHINESE_NEGATIVE_WORDS,
    SERVQUAL_DIMENSIONS,
    SLA_STATES,
    automation_rate,
    negative_word_rate,
    resolution_rate,
    self_service_rate,
    servqual,
    sla_attainment,
    weighted_csat,
)
from servicekit.metrics._nps import NPS_METHODS
from servicekit.metrics._results import Comparison, Mean, NpsResult, Proportion, verdict
from servicekit.metrics._scales import SCALES, Scale, normalise, scale_of
from servicekit.metrics._survey import (
    compare,
    csat,
    fcr,
    nps,
    nps_result,
    nps_sample_size,
    proportion,
    sample_size,
    weighted_score,
)
from servicekit.metrics._targets import Scorecard, ScorecardRow, Target, Targets, scorecard
from servicekit.metrics._tickets import (
    FCR_DEFINITIONS,
    BacklogAge,
    afrt,
    afrt_from_tickets,
    backlog_age,
    fcr_from_tickets,
    first_contact_resolution,
    reopen_rate,
)

__all__ = [
    "CHINESE_NEGATIVE_WORDS",
    "FCR_DEFINITIONS",
    "METHODS",
    "NPS_METHODS",
    "SCALES",
    "SERVQUAL_DIMENSIONS",
    "SLA_STATES",
    "BacklogAge",
    "Comparison",
    "Mean",
    "NpsResult",
    "Proportion",
    "Scale",
    "Scorecard",
    "ScorecardRow",
    "Target",
    "Targets",
    "afrt",
    "afrt_from_tickets",
    "automation_rate",
    "backlog_age",
    "compare",
    "csat",
    "csat_by",
    "fcr",
    "fcr_by",
    "fcr_from_tickets",
    "first_contact_resolution",
    "mean_by",
    "negative_word_rate",
    "normalise",
    "nps",
    "nps_by",
    "nps_result",
    "nps_sample_size",
    "proportion",
    "proportion_by",
    "reopen_rate",
    "resolution_rate",
    "sample_size",
    "scale_of",
    "scorecard",
    "self_service_rate",
    "servqual",
    "sla_attainment",
    "survey_by",
    "verdict",
    "weighted_csat",
    "weighted_score",
]
