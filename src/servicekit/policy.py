"""``Policy``: the single document a host keeps, with every rule servicekit applies.

A policy is data: calendars, decision tables (priority, routing, remedies) and, as later
capabilities land, SLA policies, tier ladders, metric targets and process definitions. Hosts
keep it in git, in a database or behind an admin page, and pass its *text* in: the library reads
no files. It loads from TOML, JSON or YAML, exports its JSON Schema, and two versions can be
diffed to show what an edit changes.

Validation reports every problem at once, each with its location in the document and, where the
format gives one (JSON, YAML, and TOML by a key scan), its line.

Policy text may come from less trusted authors, so reading it is bounded (issue 10): text longer
than :data:`MAX_TEXT_LENGTH` is refused unread; YAML aliases are counted and expanded sizes
checked on the node graph, before any object is built (:data:`MAX_YAML_ALIASES`); duplicate
keys, integers over 4,300 digits and non-finite numbers are refused in every format; and a
policy whose JSON export would exceed :data:`MAX_EXPORT_LENGTH` is refused, so every policy
that loads is written out as text that loads again. (Reading the text, with those bounds,
and finding a problem's line are in :mod:`servicekit._policy_text`; this module is the model.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, PydanticSerializationError

from servicekit._model import ValueModel, describe_validation_error
from servicekit._payload import FrozenDict
from servicekit._policy_overlay import Resolver, Source, assemble, compact, key_of
from servicekit._policy_text import (
    _PARSERS,
    MAX_DOCUMENT_VALUES,
    MAX_TEXT_LENGTH,
    MAX_YAML_ALIASES,
    Format,
    Loc,  # noqa: F401 -- importable from here, as before the loaders moved
    Parsed,  # noqa: F401 -- likewise
    _as_text,
    _document_problems,
    _line_finder,
    _whole,
)
from servicekit.calendar import BusinessCalendar
from servicekit.complaint_policy import ComplaintPolicy
from servicekit.customers import TierLadder
from servicekit.errors import PolicyError, Problem, ServiceKitError
from servicekit.metrics import Targets
from servicekit.processes import ProcessDefinition
from servicekit.rules import DecisionTable
from servicekit.rules._condition import MAX_POLICY_CONDITION_TEXT, condition_budget
from servicekit.sla import SlaPolicy

if TYPE_CHECKING:
    from yaml.nodes import Node

__all__ = [
    "MAX_DOCUMENT_VALUES",
    "MAX_EXPORT_LENGTH",
    "MAX_POLICY_CONDITION_TEXT",
    "MAX_PROBLEMS",
    "MAX_TEXT_LENGTH",
    "MAX_YAML_ALIASES",
    "Policy",
    "PolicyChange",
]

#: The longest JSON export (``to_json()``, indented by 2) a policy may have; a larger policy is
#: refused however it is given. Half of :data:`MAX_TEXT_LENGTH`, so that what a policy writes
#: (compact JSON, JSON indented by up to 4, YAML) is never refused for its length when read
#: back: indentation is what makes an export longer than the document it came from.
MAX_EXPORT_LENGTH = MAX_TEXT_LENGTH // 2
_NO_SOURCE = Source()

#: The most problems a :class:`PolicyError` lists; beyond them, one more problem counts the
#: rest (a document can hold a hundred thousand errors; reading them all helps no one).
MAX_PROBLEMS = 100


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """One difference between two policies.

    ``path`` locates it, e.g. ``tables.remedy.rules[id=K-06:apology].then``.
    """

    path: str
    kind: Literal["added", "removed", "changed"]
    old: Any = None
    new: Any = None

    def __str__(self) -> str:
        if self.kind == "added":
            return f"+ {self.path}: {_short(self.new)}"
        if self.kind == "removed":
            return f"- {self.path}: {_short(self.old)}"
        return f"~ {self.path}: {_short(self.old)} -> {_short(self.new)}"


def _short(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class Policy(ValueModel):
    """Every rule a host configures, as one validated, versioned document."""

    error_class: ClassVar[type[ServiceKitError]] = PolicyError

    version: str = Field(min_length=1, description="the host's version of this document")
    name: str = ""
    description: str = ""
    calendars: dict[str, BusinessCalendar] = Field(
        default_factory=dict, description="business calendars by name"
    )
    tables: dict[str, DecisionTable] = Field(
        default_factory=dict, description="decision tables by name (priority, routing, remedy…)"
    )
    sla: dict[str, SlaPolicy] = Field(
        default_factory=dict, description="SLA policies by name (targets, clocks, escalation)"
    )
    processes: dict[str, ProcessDefinition] = Field(
        default_factory=dict,
        description="process definitions by name (ticket, complaint, repair…: P-01 … P-08)",
    )
    complaints: dict[str, ComplaintPolicy] = Field(
        default_factory=dict,
        description="complaint policies by name (K-02, K-03, K-06, M-05, P-04 thresholds)",
    )
    tiers: dict[str, TierLadder] = Field(
        default_factory=dict,
        description="customer tier ladders by name (R-02 … R-07 conditions and entitlements)",
    )

    targets: dict[str, Targets] = Field(
        default_factory=dict,
        description="metric targets by name (M-01 … M-14 bounds, judged by their intervals)",
    )

    @field_validator("calendars", "tables", "sla", "processes", "complaints", "tiers",
                     "targets")
    @classmethod
    def _read_only(cls, value: dict[str, Any]) -> dict[str, Any]:
        """The maps cannot change under the document (what ``to_json`` writes is what the host
        reads; issue 10, item 7)."""
        return FrozenDict(value)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> object:
        # YAML and TOML read `version: 3` or `version = 2026.11` as numbers; keep the text.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _bounded_conditions(cls, data: Any, handler: ModelWrapValidatorHandler[Policy]) -> Policy:
        """The document's conditions are held to :data:`MAX_POLICY_CONDITION_TEXT` characters
        in all, each distinct text parsed once (a YAML alias of a long condition was parsed
        again at each of its uses: 11 KB took 19 s)."""
        with condition_budget():
            return handler(data)

    @model_validator(mode="after")
    def _exportable(self) -> Policy:
        """Every policy is written out as JSON that loads again (issue 10, item 4)."""
        try:
            size = len(self.to_json())
        except PydanticSerializationError:  # e.g. a lone surrogate in free text
            size = -1
        if size < 0:
            raise PydanticCustomError("json_unserializable",
                                      "the policy cannot be written as JSON")
        if size > MAX_EXPORT_LENGTH:
            raise PydanticCustomError(
                "policy_too_large",
                f"the policy's JSON export would be longer than {MAX_EXPORT_LENGTH:,} "
                "characters",
            )
        return self

    # -- loading ----------------------------------------------------------------------------

    @classmethod
    def from_json(cls, text: str | bytes, *, resolver: Resolver | None = None) -> Policy:
        """Load a policy from JSON text (or UTF-8 bytes).

        A document may ``extends`` a preset (``"handbook"``) or another document; a document
        is read by the host's ``resolver`` (its name, a relative path from this document's
        folder -> its text; :func:`servicekit.adapters.files.folder_resolver` reads files).
        """
        return cls._parse_and_load(text, "json", Source(resolver))

    @classmethod
    def from_toml(cls, text: str | bytes, *, resolver: Resolver | None = None) -> Policy:
        """Load a policy from TOML text (``resolver``: as :meth:`from_json`)."""
        return cls._parse_and_load(text, "toml", Source(resolver))

    @classmethod
    def from_yaml(cls, text: str | bytes, *, resolver: Resolver | None = None) -> Policy:
        """Load a policy from YAML text (safe loader: plain data only; ``resolver``: as
        :meth:`from_json`)."""
        return cls._parse_and_load(text, "yaml", Source(resolver))

    @classmethod
    def model_validate_json(
        cls,
        json_data: str | bytes | bytearray,
        *,
        strict: bool | None = None,
        extra: Any = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> Self:
        """As :meth:`from_json` (its limits and checks: duplicate keys, NaN…) unless pydantic's
        options are given."""
        if strict is None and extra is None and context is None and by_alias is None and (
                by_name is None):
            return cls._parse_and_load(bytes(json_data) if isinstance(json_data, bytearray)
                                       else json_data, "json")
        return super().model_validate_json(json_data, strict=strict, extra=extra,
                                           context=context, by_alias=by_alias, by_name=by_name)

    @classmethod
    def _parse_and_load(cls, raw: str | bytes, fmt: Format, source: Source = _NO_SOURCE
                        ) -> Self:
        text = _as_text(raw)
        data, node = _PARSERS[fmt](text)
        return cls._load(data, text, fmt, node, source)

    @classmethod
    def _load(cls, data: Any, text: str, fmt: Format, node: Node | None = None,
              source: Source = _NO_SOURCE) -> Self:
        if not isinstance(data, dict):
            raise _whole(
                "dict_type",
                f"a policy document is a mapping at the top level, got {type(data).__name__}",
            )
        found = _document_problems(data)
        if not found:  # its bases merged under it, its references resolved (issue 19)
            data, found = assemble(data, source, _preset_document)
        total = len(found)
        if not found:
            too_deep = False
            try:
                return cls.__pydantic_validator__.validate_python(data)  # type: ignore[no-any-return]
            except RecursionError:
                too_deep = True
            except ValidationError as exc:
                found, total = _describe(exc)
            # raised here, not in the handler: pydantic's error holds the input, and would be
            # left on the new error's __context__ (issue 10, item 15)
            if too_deep:
                raise _whole("recursion_loop", "policy document nested too deeply")
        more = total - min(len(found), MAX_PROBLEMS)
        found = found[:MAX_PROBLEMS]
        line_of = _line_finder(text, fmt, node)
        problems = []
        for found_problem in found:
            line = line_of(found_problem.loc)
            problem = _public(found_problem)
            problems.append(Problem(problem.loc, problem.type, f"{problem.msg} (line {line})")
                            if line else problem)
        if more > 0:
            problems.append(Problem((), "more_problems", f"… and {more:,} more problems"))
        if len(problems) == 1:
            message = f"invalid policy: {problems[0]}"
        else:
            message = "invalid policy:\n  " + "\n  ".join(problems)
        raise PolicyError(message, problems=problems)

    @classmethod
    def _raise(cls, exc: ValidationError) -> ServiceKitError:
        """As every value model's, with the locations and keys a message may show."""
        found, total = _describe(exc)
        problems = [_public(p) for p in found]
        if total > len(found):
            problems.append(Problem((), "more_problems",
                                    f"… and {total - len(found):,} more problems"))
        head = "invalid policy: " if len(problems) == 1 else "invalid policy:\n  "
        return PolicyError(head + "\n  ".join(problems), problems=problems)

    # -- exporting --------------------------------------------------------------------------

    def to_json(self, *, indent: int | None = 2) -> str:
        """The policy as JSON: defaults left out, and a name wherever a section holds what a
        named calendar, table or SLA policy of the document holds (the references a document
        may write, see :mod:`servicekit._policy_overlay`). ``model_dump_json()`` writes every
        section out in full."""
        return json.dumps(self._document(), indent=indent, ensure_ascii=False,
                          separators=(",", ": ") if indent is not None else (",", ":"))

    def _document(self) -> dict[str, Any]:
        """The plain data of :meth:`to_json` (compact: references, short hours)."""
        return compact(json.loads(self.model_dump_json(exclude_defaults=True)))

    def to_toml(self) -> str:
        """The policy as TOML (as :meth:`to_json`: defaults left out, references written)."""
        import tomli_w

        try:
            return tomli_w.dumps(self._document(), multiline_strings=False)
        except (TypeError, ValueError):  # a None TOML cannot write (no field holds one today)
            raise PolicyError("the policy cannot be written as TOML (a value is null)") from None

    def to_yaml(self) -> str:
        """The policy as YAML: block style, lines never folded; in flow style (one line,
        about as long as compact JSON) if block style would be longer than
        :data:`MAX_TEXT_LENGTH`, so every policy's YAML export loads again (issue 10: a long
        string nested 60 lists deep, 49 KB of JSON, was written as 2.6 MB of YAML)."""
        import yaml

        data = self._document()
        # width: PyYAML folds long scalars over lines, each indented as deep as the value
        text = str(yaml.dump(data, Dumper=_yaml_dumper(), allow_unicode=True, sort_keys=False,
                             width=_YAML_WIDTH))
        if len(text) <= MAX_TEXT_LENGTH:
            return text
        return str(yaml.dump(data, Dumper=_yaml_dumper(), allow_unicode=True, sort_keys=False,
                             width=_YAML_WIDTH, default_flow_style=True))

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema of policy documents (for editors and admin pages)."""
        schema = cls.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = "servicekit policy"
        return schema

    # -- comparing --------------------------------------------------------------------------

    def diff(self, other: Policy) -> list[PolicyChange]:
        """What changes from this policy to ``other``, entry by entry, never cut: mappings key
        by key, list items matched by their ``id`` (or ``name``, ``metric``, ``level``,
        ``event``), other lists of one length item by item; sections compared as
        :meth:`to_json` writes them, so a calendar or table that others name changes once.
        ``base.diff(overlay)`` lists what an overlay overrides, old value first."""
        return list(_diff(self._document(), other._document(), ""))



#: PyYAML's line width for exports: no line is folded (beyond every text a policy can hold)
_YAML_WIDTH = 2**31 - 1


@cache
def _yaml_dumper() -> Any:
    """PyYAML's safe dumper, writing text with a NEL (U+0085) double-quoted: unquoted or in
    single quotes, PyYAML writes it as it is, and reads it back as a line break."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> Any:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value,
                                       style='"' if "\x85" in value else None)

    Dumper.add_representer(str, text)
    return Dumper


def _describe(exc: ValidationError) -> tuple[list[Problem], int]:
    """The first :data:`MAX_PROBLEMS` problems of a validation error, and how many it has.

    Only those are described: describing a hundred thousand errors takes seconds.
    """
    count = exc.error_count()
    if count <= MAX_PROBLEMS:
        problems = describe_validation_error(exc)
        return problems, len(problems)
    first: list[InitErrorDetails] = [
        {"type": PydanticCustomError(e["type"], e["msg"]), "loc": e["loc"], "input": e["input"]}
        for e in exc.errors(include_url=False)[:MAX_PROBLEMS]
    ]
    return describe_validation_error(ValidationError.from_exception_data(exc.title, first)), count


#: A key a location names as it is: field names and the names a policy gives its calendars,
#: tables, processes and outputs when they are identifiers (``desk``, ``complaint_priority``).
_SHOWN_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")


def _public(problem: Problem) -> Problem:
    """A problem as a message may show it (issue 10, item 15): an unknown key is not named
    (the problem is located at its mapping), and a key that is not an identifier reads ``*``
    (it is free text, and may be anything: a phone number typed as a calendar's name)."""
    loc, msg = problem.loc, problem.msg
    if problem.type == "extra_forbidden" and loc:
        got = msg[msg.rfind(" (got "):] if " (got " in msg else ""
        loc, msg = loc[:-1], f"a key that is not a field here (extra keys are not permitted){got}"
    shown = tuple(part if isinstance(part, int) or _SHOWN_KEY.match(part) else "*"
                  for part in loc)
    if shown == problem.loc and msg == problem.msg:
        return problem
    return Problem(shown, problem.type, msg)


def _diff(old: Any, new: Any, path: str) -> Iterator[PolicyChange]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in new:
                yield PolicyChange(sub, "removed", old=old[key])
            elif key not in old:
                yield PolicyChange(sub, "added", new=new[key])
            else:
                yield from _diff(old[key], new[key], sub)
        return
    if isinstance(old, list) and isinstance(new, list):
        key = key_of(old)
        if key is not None and key_of(new) == key:
            old_by = {item[key]: item for item in old}
            new_by = {item[key]: item for item in new}
            for ident in list(old_by) + [k for k in new_by if k not in old_by]:
                sub = f"{path}[{key}={ident}]"
                if ident not in new_by:
                    yield PolicyChange(sub, "removed", old=old_by[ident])
                elif ident not in old_by:
                    yield PolicyChange(sub, "added", new=new_by[ident])
                else:
                    yield from _diff(old_by[ident], new_by[ident], sub)
            if [i[key] for i in old if i[key] in new_by] != [
                i[key] for i in new if i[key] in old_by
            ]:
                yield PolicyChange(f"{path} (order)", "changed",
                                   old=[i[key] for i in old], new=[i[key] for i in new])
            return
        if len(old) == len(new) and any(isinstance(i, dict | list) for i in old):
            for i, (a, b) in enumerate(zip(old, new, strict=True)):
                yield from _diff(a, b, f"{path}[{i}]")
            return
        if old != new:
            yield PolicyChange(path, "changed", old=old, new=new)
        return
    if old != new:
        yield PolicyChange(path, "changed", old=old, new=new)


#: the preset policies a document may extend by name
_PRESETS: dict[str, str] = {"handbook": "servicekit.presets.handbook"}


def _preset_document(name: str) -> dict[str, Any] | None:
    """A preset policy's plain data (as :meth:`Policy.to_json` writes it), or None."""
    module = _PRESETS.get(name)
    if module is None:
        return None
    data: dict[str, Any] = json.loads(_preset_json(module))  # a fresh copy for each merge
    return data


@cache
def _preset_json(module: str) -> str:
    import importlib

    policy: Policy = importlib.import_module(module).policy()
    return policy.to_json(indent=None)
