"""What a complaint checks before it runs: its defaults, its process and policy, its inputs.

The checks of a process and a policy are made once per pair of objects (a host passes the same
ones again and again); the input checks name the argument and its type, never its value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from servicekit.complaint_policy import ComplaintPolicy
from servicekit.complaints._commitments import Commitments, commitments_of
from servicekit.complaints._kind import COMPLAINT
from servicekit.engine import check_process, check_text
from servicekit.errors import InvalidInputError, PolicyError
from servicekit.processes import ProcessDefinition

__all__ = ["check_choice", "check_satisfaction", "default_complaint_policy",
           "default_complaint_process", "setup"]

_DEFAULTS: dict[str, Any] = {}
#: the transitions the complaint fires by itself: a process without them cannot run it
_AUTOMATIC = ("owe_remedy", "escalate", "close_loop")


def default_complaint_process() -> ProcessDefinition:
    """The handbook's complaint process (:func:`servicekit.presets.processes.complaint_process`),
    built once."""
    if "process" not in _DEFAULTS:
        from servicekit.presets.processes import complaint_process

        _DEFAULTS["process"] = complaint_process()
    return _DEFAULTS["process"]  # type: ignore[no-any-return]


def default_complaint_policy() -> ComplaintPolicy:
    """The handbook's complaint policy (:func:`servicekit.presets.handbook.complaint_policy`),
    built once."""
    if "policy" not in _DEFAULTS:
        from servicekit.presets.handbook import complaint_policy

        _DEFAULTS["policy"] = complaint_policy()
    return _DEFAULTS["policy"]  # type: ignore[no-any-return]


def _check_policy(command: str, policy: object) -> None:
    if policy is not None and not isinstance(policy, ComplaintPolicy):
        raise InvalidInputError(
            f"{command}: policy must be a ComplaintPolicy (got {type(policy).__name__})"
        )


_SETUPS: dict[tuple[int, int],
              tuple[object, object, ProcessDefinition, ComplaintPolicy, Commitments]] = {}


def setup(command: str, policy: object, process: object
           ) -> tuple[ProcessDefinition, ComplaintPolicy, Commitments]:
    """The process a complaint runs on, the policy it runs by and its commitments, all
    checked (once per pair: a host passes the same objects again and again)."""
    found = _SETUPS.get((id(policy), id(process)))
    if found is not None and found[0] is policy and found[1] is process:
        return found[2], found[3], found[4]
    _check_policy(command, policy)
    check_process(command, process)
    definition = process if isinstance(process, ProcessDefinition) else (
        default_complaint_process())
    _runs_complaints(definition)
    chosen = policy if isinstance(policy, ComplaintPolicy) else default_complaint_policy()
    commitments = commitments_of(chosen.sla, definition)
    if len(_SETUPS) >= 64:
        _SETUPS.clear()
    _SETUPS[id(policy), id(process)] = (policy, process, definition, chosen, commitments)
    return definition, chosen, commitments


def _runs_complaints(process: ProcessDefinition) -> None:
    """A process runs complaints if it has the transitions the complaint fires itself and
    sends each command whose event names a stage to that stage."""
    events = {t.event for t in process.transitions}
    problems = [f"it has no {e} transition (the complaint fires it itself)"
                for e in _AUTOMATIC if e not in events]
    for i, t in enumerate(process.transitions):
        spec = COMPLAINT.commands.get(t.event)
        stage = spec.event.implies if spec is not None else None
        if stage is not None and t.target != stage:
            problems.append(f"transitions[{i}] ({t.event}) must lead to {stage!r}, the stage "
                            f"{spec.event.__name__} records")  # type: ignore[union-attr]
    if problems:
        raise PolicyError(f"process {process.name!r} cannot run complaints: "
                          + "; ".join(problems))


def check_satisfaction(command: str, value: object, *, optional: bool = False) -> float | None:
    if type(value) is float and 0.0 <= value <= 1.0:  # the common case (NaN fails here)
        return value
    if value is None and optional:
        return None
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or not 0 <= value <= 1):
        raise InvalidInputError(
            f"{command}: satisfaction must be a number from 0 to 1 (got {type(value).__name__}; "
            "M-16: normalise other scales first)"
        )
    return float(value)


def check_choice(command: str, name: str, value: object, allowed: Sequence[str]) -> None:
    """A text argument, and one of the policy's names when the policy lists some."""
    if allowed and value in allowed and type(value) is str:
        return  # one of the policy's (non-empty) names
    check_text(command, name, value)
    if allowed and value not in allowed:
        raise InvalidInputError(f"{command}: {name} must be one of {', '.join(allowed)} "
                                "(the policy's)")
