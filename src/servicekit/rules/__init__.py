"""The rule engine: typed, safe conditions and decision tables that explain themselves.

Conditions have a text form (``'severity >= 5 or scope == "widespread"'``) and an equivalent
data form (JSON objects); both round-trip. Decision tables apply rules with the DMN hit
policies ``first``, ``unique``, ``priority`` and ``collect``. Nothing is ever ``eval``-ed:
text is parsed by a small hand-written parser with depth, size and length limits, and
evaluated by closures compiled from the syntax tree.
"""

from servicekit.rules._condition import Condition
from servicekit.rules._duration import Duration, not_negative, read_duration
from servicekit.rules._table import Decision, DecisionTable, HitPolicy, Rule
from servicekit.rules._values import MISSING, format_duration, format_hours, parse_duration

__all__ = [
    "MISSING",
    "Condition",
    "Decision",
    "DecisionTable",
    "Duration",
    "HitPolicy",
    "Rule",
    "format_duration",
    "format_hours",
    "not_negative",
    "parse_duration",
    "read_duration",
]
