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
that loads is written out as text that loads again.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
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
from servicekit.calendar import BusinessCalendar
from servicekit.errors import PolicyError, Problem, ServiceKitError
from servicekit.processes import ProcessDefinition
from servicekit.rules import DecisionTable
from servicekit.rules._condition import MAX_POLICY_CONDITION_TEXT, condition_budget
from servicekit.rules._values import MAX_INT_DIGITS
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

#: Policy text (JSON, TOML or YAML) longer than this many characters is refused before it is
#: parsed; bytes are refused unread beyond four times as many. The handbook preset, the largest
#: policy servicekit ships, is about 35,000 characters as JSON (``to_json()``): this is 28 times
#: that. (A policy at :data:`MAX_EXPORT_LENGTH`, the preset's tables 86 times over, loads in
#: about 0.3 s of CPU from JSON, 0.5 s with an error, 0.8 s from YAML.)
MAX_TEXT_LENGTH = 1_000_000
#: The longest JSON export (``to_json()``, indented by 2) a policy may have; a larger policy is
#: refused however it is given. Half of :data:`MAX_TEXT_LENGTH`, so that what a policy writes
#: (compact JSON, JSON indented by up to 4, YAML) is never refused for its length when read
#: back: indentation is what makes an export longer than the document it came from.
MAX_EXPORT_LENGTH = MAX_TEXT_LENGTH // 2
#: The most alias uses (``*name``, merge keys included) a YAML policy may have. Aliases are
#: counted, and the document's size with every alias written out is held to
#: :data:`MAX_TEXT_LENGTH`, on the node graph, before any value is built: an "alias bomb"
#: (aliases of aliases, 9 of them 8 levels deep: 43 million strings from 413 bytes) is
#: refused in microseconds. A recursive alias (a node inside itself) is refused too.
MAX_YAML_ALIASES = 1_000
#: The most values (every mapping, list and scalar; with YAML aliases written out) a policy
#: document may have: validation's work grows with them, and with the errors they can hold.
#: The handbook preset has 1,107; no policy within :data:`MAX_EXPORT_LENGTH` has half as many
#: (its export takes 11 characters or more per value), unless it writes many conditions of
#: thousands of nodes in their data form.
MAX_DOCUMENT_VALUES = 100_000
#: The most problems a :class:`PolicyError` lists; beyond them, one more problem counts the
#: rest (a document can hold a hundred thousand errors; reading them all helps no one).
MAX_PROBLEMS = 100

Format = Literal["json", "toml", "yaml"]
Loc = tuple[int | str, ...]


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


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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

    @field_validator("calendars", "tables", "sla", "processes")
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
    def from_json(cls, text: str | bytes) -> Policy:
        """Load a policy from JSON text (or UTF-8 bytes)."""
        return cls._parse_and_load(text, "json")

    @classmethod
    def from_toml(cls, text: str | bytes) -> Policy:
        """Load a policy from TOML text."""
        return cls._parse_and_load(text, "toml")

    @classmethod
    def from_yaml(cls, text: str | bytes) -> Policy:
        """Load a policy from YAML text (safe loader: plain data only)."""
        return cls._parse_and_load(text, "yaml")

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
    def _parse_and_load(cls, raw: str | bytes, fmt: Format) -> Self:
        text = _as_text(raw)
        data, node = _PARSERS[fmt](text)
        return cls._load(data, text, fmt, node)

    @classmethod
    def _load(cls, data: Any, text: str, fmt: Format, node: Node | None = None) -> Self:
        if not isinstance(data, dict):
            raise _whole(
                "dict_type",
                f"a policy document is a mapping at the top level, got {type(data).__name__}",
            )
        found = _document_problems(data)
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
        return self.model_dump_json(indent=indent, exclude_defaults=True)

    def to_yaml(self) -> str:
        """The policy as YAML: block style, lines never folded; in flow style (one line,
        about as long as compact JSON) if block style would be longer than
        :data:`MAX_TEXT_LENGTH`, so every policy's YAML export loads again (issue 10: a long
        string nested 60 lists deep, 49 KB of JSON, was written as 2.6 MB of YAML)."""
        import yaml

        data = json.loads(self.model_dump_json(exclude_defaults=True))
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
        """What changes from this policy to ``other``, path by path (rules matched by id)."""
        old = json.loads(self.model_dump_json())
        new = json.loads(other.model_dump_json())
        return list(_diff(old, new, ""))



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


def _whole(problem_type: str, message: str) -> PolicyError:
    """An error about the document as a whole (it does not parse, or is not a mapping)."""
    return PolicyError(message, problems=[Problem((), problem_type, message)])


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


Parsed = tuple[Any, "Node | None"]


class _Repeated(dict[str, Any]):
    """A JSON object that had a key more than once (reported with its location)."""

    __slots__ = ()


class _Refused:
    """A value a format reads and a policy refuses (reported with its location)."""

    __slots__ = ("msg", "type")

    def __init__(self, type: str, msg: str) -> None:
        self.type = type
        self.msg = msg


_LONG_INT = _Refused("int_too_long", f"integers have at most {MAX_INT_DIGITS} digits")
_NON_FINITE = _Refused("finite_number", "numbers must be finite (NaN and infinities are refused)")


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    return out if len(out) == len(pairs) else _Repeated(out)


def _json_int(text: str) -> int | _Refused:
    try:
        return int(text)
    except ValueError:  # more digits than int() reads
        return _LONG_INT


def _json_constant(name: str) -> _Refused:  # NaN, Infinity, -Infinity
    return _NON_FINITE


def _parse_json(text: str) -> Parsed:
    try:
        return json.loads(text, object_pairs_hook=_json_object, parse_int=_json_int,
                          parse_constant=_json_constant), None
    except json.JSONDecodeError as exc:  # its .doc is the whole text: not kept as a context
        message = f"policy JSON does not parse: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    except RecursionError:
        message = ""
    if not message:
        raise _whole("recursion_loop", "policy document nested too deeply")
    raise _whole("json_invalid", message)


# tomllib's messages that repeat the document's keys or characters, and what is said instead
_TOML_ECHOES = (
    ("Found invalid character", "invalid character"),
    ("Illegal character", "illegal character in a string"),
    ("Cannot declare", "a table is declared twice"),
    ("Cannot mutate immutable namespace", "a key or table is defined twice"),
    ("Cannot redefine namespace", "a table is redefined"),
    ("Duplicate inline table key", "an inline table has a key twice"),
    ("Cannot overwrite a value", "a key is defined twice"),
)
_QUOTED_TEXT = re.compile(r"'[^']{3,}'|\"")
_TOML_WHERE = re.compile(r" \((at (?:line \d+, column \d+|end of document))\)\Z")


def _toml_reason(message: str) -> str:
    """tomllib's message without the input it quotes, with its line and column."""
    where = _TOML_WHERE.search(message)
    head = message[: where.start()] if where else message
    for prefix, said in _TOML_ECHOES:
        if head.startswith(prefix):
            head = said
            break
    else:  # the other messages quote the grammar only ('=', ']]'); anything else is not shown
        head = head if head.isascii() and not _QUOTED_TEXT.search(head) else "invalid syntax"
    return f"{head} ({where.group(1)})" if where else head


def _parse_toml(text: str) -> Parsed:
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as exc:
        message = f"policy TOML does not parse: {_toml_reason(str(exc))}"
    except ValueError:  # an integer with more digits than int() reads
        message = f"policy TOML does not parse: {_long_int_reason(text)}"
    except RecursionError:
        message = ""
    if not message:
        raise _whole("recursion_loop", "policy document nested too deeply")
    raise _whole("toml_invalid", message)


#: A run of digits (and underscores), matched once each: ``finditer`` resumes after a run, so
#: the scan is linear. (A search for a run of 4,301 rescanned every run from each of its
#: digits: 225 runs of 4,299 digits took 5 s.)
_DIGIT_RUN = re.compile(r"[0-9][0-9_]*")


def _long_int_reason(text: str) -> str:
    found = next((run for run in _DIGIT_RUN.finditer(text)
                  if run.end() - run.start() > MAX_INT_DIGITS
                  and len(run.group().replace("_", "")) > MAX_INT_DIGITS), None)
    line = f" (line {text.count(chr(10), 0, found.start()) + 1})" if found else ""
    return f"an integer has more than {MAX_INT_DIGITS} digits{line}"


def _yaml_loader(text: str) -> Any:
    import yaml

    # libyaml's parser when it is there (it is also bounded: 1,000 levels of nesting)
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)


def _parse_yaml(text: str) -> Parsed:
    """Compose the node graph, check it, then build the values (safe loader: plain data)."""
    import yaml

    loader = _yaml_loader(text)
    try:
        problem: Problem | None = None
        message = ""
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            message = f"policy YAML does not parse{_yaml_where(exc)}"
        except RecursionError:  # the pure-Python composer, without libyaml
            message = "policy document nested too deeply"
        if message:
            raise _whole("recursion_loop" if "nested" in message else "yaml_invalid", message)
        if node is None:
            return None, None
        problem = _yaml_graph_problem(node)
        if problem is not None:
            raise PolicyError(f"invalid policy: {problem}", problems=[problem])
        try:
            return loader.construct_document(node), node
        except yaml.YAMLError as exc:
            message = f"policy YAML does not parse{_yaml_where(exc)}"
        except ValueError:  # a value that does not convert (a timestamp out of range…)
            message = "policy YAML does not parse: a value is out of range"
        except RecursionError:
            message = "policy document nested too deeply"
        raise _whole("recursion_loop" if "nested" in message else "yaml_invalid", message)
    finally:
        loader.dispose()


def _yaml_where(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f" (line {mark.line + 1})" if mark is not None else ""


_YAML_INT = "tag:yaml.org,2002:int"
_YAML_MERGE = "tag:yaml.org,2002:merge"


def _yaml_graph_problem(root: Node) -> Problem | None:
    """The first reason to refuse a YAML node graph, found without building any value.

    The composer shares one node for an anchor and all its aliases, so the graph is walked
    once, node by node (aliases of aliases cost nothing here). Alias uses are counted; the
    document's size with every alias written out is summed, in values and in characters (a
    scalar's text and one, two for a collection: never more than the text of a document
    without aliases); a node reached again while inside itself is a recursive alias; mappings
    with a key twice and decimal integers too long to convert are refused too.
    """
    problem = _yaml_node_problem(root, ())
    if problem is not None:
        return problem
    sizes: dict[int, tuple[int, int]] = {}  # expanded (characters, values) of each node walked
    inside: set[int] = {id(root)}  # the nodes on the path to the one walked
    aliases = 0
    # frames: [node, children, next child, expanded characters, expanded values] so far
    stack: list[list[Any]] = [[root, _yaml_children(root, ()), 0, _yaml_own(root), 1]]
    while stack:
        frame = stack[-1]
        node, kids, index = frame[:3]
        if index == len(kids):
            stack.pop()
            inside.discard(id(node))
            sizes[id(node)] = (frame[3], frame[4])
            if stack:
                stack[-1][3] += frame[3]
                stack[-1][4] += frame[4]
            continue
        frame[2] += 1
        child, loc = kids[index]
        if id(child) in inside:
            return Problem(loc, "yaml_recursive_alias",
                           f"an alias refers to a node that contains it "
                           f"(line {child.start_mark.line + 1})")
        if id(child) in sizes:  # an alias of a node walked already
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                return Problem(loc, "yaml_too_many_aliases",
                               f"more than {MAX_YAML_ALIASES:,} aliases "
                               f"(line {child.start_mark.line + 1})")
            characters, values = sizes[id(child)]
            frame[3] += characters
            frame[4] += values
            continue
        problem = _yaml_node_problem(child, loc)
        if problem is not None:
            return problem
        inside.add(id(child))
        stack.append([child, _yaml_children(child, loc), 0, _yaml_own(child), 1])
    characters, values = sizes[id(root)]
    if characters > MAX_TEXT_LENGTH:
        return Problem((), "policy_too_large",
                       f"with its aliases written out, the document is longer than "
                       f"{MAX_TEXT_LENGTH:,} characters")
    if values > MAX_DOCUMENT_VALUES:
        return _too_many_values()
    return None


def _yaml_node_problem(node: Node, loc: Loc) -> Problem | None:
    """A mapping with a key twice, or an integer too long to convert (on a first visit)."""
    from yaml.nodes import MappingNode, ScalarNode

    if isinstance(node, MappingNode):
        keys: set[tuple[str, str]] = set()
        for key, _ in node.value:
            if isinstance(key, ScalarNode):
                if (key.tag, key.value) in keys:
                    return Problem(loc, "duplicate_key",
                                   f"a mapping has a key twice; keys are unique "
                                   f"(line {key.start_mark.line + 1})")
                keys.add((key.tag, key.value))
    elif isinstance(node, ScalarNode) and node.tag == _YAML_INT:
        digits = node.value.lstrip("+-").replace("_", "")
        if len(digits) > MAX_INT_DIGITS and digits.isdigit():
            return Problem(loc, "int_too_long", f"integers have at most {MAX_INT_DIGITS} "
                                                f"digits (line {node.start_mark.line + 1})")
    return None


def _yaml_children(node: Node, loc: Loc) -> list[tuple[Node, Loc]]:
    """A node's children in document order (keys too), with their locations."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    if isinstance(node, MappingNode):
        out: list[tuple[Node, Loc]] = []
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) and key.tag != _YAML_MERGE else "<key>"
            out.append((key, loc))
            out.append((value, (*loc, str(name))))
        return out
    if isinstance(node, SequenceNode):
        return [(child, (*loc, i)) for i, child in enumerate(node.value)]
    return []


def _yaml_own(node: Node) -> int:
    """A node's own characters: a scalar's text and one, two for a collection's brackets."""
    from yaml.nodes import ScalarNode

    return len(node.value) + 1 if isinstance(node, ScalarNode) else 2


_PARSERS = {"json": _parse_json, "toml": _parse_toml, "yaml": _parse_yaml}


def _document_problems(data: Any) -> list[Problem]:
    """Values every format may read but a policy refuses, each at its location.

    Objects with a key twice (JSON), integers too long to convert (JSON), NaN and infinities
    (every format). Walked without recursion, each shared value (a YAML alias) once.
    """
    problems: list[Problem] = []
    seen: set[int] = set()
    todo: list[tuple[Any, Loc]] = [(data, ())]
    values = 1
    while todo:
        item, loc = todo.pop()
        if isinstance(item, (dict, list)):
            if id(item) in seen:
                continue
            seen.add(id(item))
            values += len(item)
            if values > MAX_DOCUMENT_VALUES:  # before building a location for each of them
                return [_too_many_values()]
            if isinstance(item, _Repeated):
                problems.append(Problem(loc, "duplicate_key",
                                        "an object has a key twice; keys are unique"))
            if isinstance(item, dict):
                pairs = [((*loc, key if isinstance(key, str) else "<key>"), value)
                         for key, value in item.items()]
            else:
                pairs = [((*loc, i), value) for i, value in enumerate(item)]
            todo.extend((value, where) for where, value in reversed(pairs))
        elif isinstance(item, _Refused):
            problems.append(Problem(loc, item.type, item.msg))
        elif isinstance(item, float) and not math.isfinite(item):
            problems.append(Problem(loc, _NON_FINITE.type, _NON_FINITE.msg))
    return problems


def _as_text(text: object) -> str:
    if isinstance(text, (bytes, bytearray)):
        if len(text) > 4 * MAX_TEXT_LENGTH:  # more bytes than that many characters can take
            raise _too_long()
        try:
            decoded = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            start = exc.start
            decoded = None
        if decoded is None:  # raised here: the decode error holds the bytes
            raise _whole("string_unicode", f"policy text is not valid UTF-8 (byte {start})")
        text = decoded
    if not isinstance(text, str):
        raise _whole("string_type", f"policy text must be str or bytes, got {type(text).__name__}")
    if len(text) > MAX_TEXT_LENGTH:
        raise _too_long()
    return text


def _too_many_values() -> Problem:
    return Problem((), "policy_too_large",
                   f"the document has more than {MAX_DOCUMENT_VALUES:,} values (mappings, lists "
                   "and scalars, with YAML aliases written out)")


def _too_long() -> PolicyError:
    return _whole("policy_too_large",
                  f"policy text is longer than {MAX_TEXT_LENGTH:,} characters (refused unread)")


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
        if _keyed(old) and _keyed(new):
            old_by = {item["id"]: item for item in old}
            new_by = {item["id"]: item for item in new}
            for key in list(old_by) + [k for k in new_by if k not in old_by]:
                sub = f"{path}[id={key}]"
                if key not in new_by:
                    yield PolicyChange(sub, "removed", old=old_by[key])
                elif key not in old_by:
                    yield PolicyChange(sub, "added", new=new_by[key])
                else:
                    yield from _diff(old_by[key], new_by[key], sub)
            if [i["id"] for i in old if i["id"] in new_by] != [
                i["id"] for i in new if i["id"] in old_by
            ]:
                yield PolicyChange(f"{path} (order)", "changed",
                                   old=[i["id"] for i in old], new=[i["id"] for i in new])
            return
        if old != new:
            yield PolicyChange(path, "changed", old=old, new=new)
        return
    if old != new:
        yield PolicyChange(path, "changed", old=old, new=new)


def _keyed(items: list[Any]) -> bool:
    ids = [i.get("id") for i in items if isinstance(i, dict)]
    return len(ids) == len(items) and all(isinstance(i, str) for i in ids) and len(set(ids)) == len(
        ids
    )


# -- locating problems in the source text ------------------------------------------------------


def _line_finder(text: str, fmt: Format, node: Node | None) -> Callable[[Loc], int | None]:
    """The 1-based line of a location in the document (or of the nearest place above it), as
    far as the format allows. Line numbers are a courtesy, never a failure."""
    if fmt == "toml":
        try:
            lines = _toml_lines(text)
        except Exception:
            lines = {}
        return lambda loc: _nearest(lines, loc)
    found: list[_NodeLines | None] = []

    def line(loc: Loc) -> int | None:
        if not loc:  # the document as a whole
            return None
        if not found:  # composed once, and only if a location is asked for
            root = node
            if root is None:  # JSON is (for this purpose) YAML flow syntax
                try:
                    root = _compose(text)
                except Exception:
                    root = None
            found.append(None if root is None else _NodeLines(root))
        finder = found[0]
        return None if finder is None else finder.line(loc)

    return line


def _compose(text: str) -> Node | None:
    """The node graph of JSON text read as YAML, for its marks only: libyaml's parser with
    the base resolver (no tag is resolved, which costs more than the parse)."""
    import yaml

    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)(text)
    try:
        node: Node | None = loader.get_single_node()
    finally:
        loader.dispose()
    return node


class _NodeLines:
    """Lines of locations in a node graph, found by following each location from the root:
    the work is that of the locations asked for, whatever the graph (aliases of aliases,
    recursive aliases) and however large the document."""

    def __init__(self, root: Node) -> None:
        self.root = root
        self.keys: dict[int, dict[str, tuple[Node, Node]]] = {}

    def line(self, loc: Loc) -> int | None:
        from yaml.nodes import MappingNode, SequenceNode

        node = self.root
        line: int = node.start_mark.line + 1
        for part in loc:
            if isinstance(node, MappingNode) and isinstance(part, str):
                found = self._keys(node).get(part)
                if found is None:
                    break
                key, node = found
                line = key.start_mark.line + 1  # a key's location is its line
            elif isinstance(node, SequenceNode) and isinstance(part, int) and (
                    0 <= part < len(node.value)):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line

    def _keys(self, node: Node) -> dict[str, tuple[Node, Node]]:
        found = self.keys.get(id(node))
        if found is None:
            found = {}
            for key, value in node.value:
                if isinstance(key.value, str):
                    found.setdefault(key.value, (key, value))
            self.keys[id(node)] = found
        return found


# No two quantifiers here can take the same characters: an overlap (``\s*([^\]]+?)\s*``) made
# this scan, which runs on every line once a TOML document has an error, cubic in the line.
# Keys and table names are stripped by _toml_key instead.
_TOML_HEADER = re.compile(r"^[ \t]*(\[\[?)([^\]]+)\]\]?[ \t]*(?:#.*)?\Z")
_TOML_KEY = re.compile(r"^[ \t]*([A-Za-z0-9_\-\"'.][A-Za-z0-9_\-\"'. \t]*)=")


def _toml_key(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in text.split("."))


def _toml_lines(text: str) -> dict[Loc, int]:
    out: dict[Loc, int] = {}
    table: Loc = ()
    counts: dict[Loc, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        m = _TOML_HEADER.match(line)
        if m:
            path: Loc = _toml_key(m.group(2))
            if m.group(1) == "[[":
                index = counts.get(path, 0)
                counts[path] = index + 1
                path = (*path, index)
            table = path
            out.setdefault(table, number)
            continue
        k = _TOML_KEY.match(line)
        if k:
            out.setdefault((*table, *_toml_key(k.group(1))), number)
    return out


def _nearest(lines: Mapping[Loc, int], loc: Loc) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None
