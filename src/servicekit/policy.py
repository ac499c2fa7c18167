"""``Policy``: the single document a host keeps, with every rule servicekit applies.

A policy is data: calendars, decision tables (priority, routing, remedies) and, as later
capabilities land, SLA policies, tier ladders, metric targets and process definitions. Hosts
keep it in git, in a database or behind an admin page, and pass its *text* in: the library reads
no files. It loads from TOML, JSON or YAML, exports its JSON Schema, and two versions can be
diffed to show what an edit changes.

Validation reports every problem at once, each with its location in the document and, where the
format gives one (JSON, YAML, and TOML by a key scan), its line.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationError, field_validator

from servicekit._model import ValueModel, describe_validation_error
from servicekit.calendar import BusinessCalendar
from servicekit.errors import PolicyError, Problem, ServiceKitError
from servicekit.processes import ProcessDefinition
from servicekit.rules import DecisionTable
from servicekit.sla import SlaPolicy

__all__ = ["Policy", "PolicyChange"]

Format = Literal["json", "toml", "yaml"]


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

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: object) -> object:
        # YAML and TOML read `version: 3` or `version = 2026.11` as numbers; keep the text.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return value

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
    def _parse_and_load(cls, raw: str | bytes, fmt: Format) -> Policy:
        text = _as_text(raw)
        try:
            data = _PARSERS[fmt](text)
        except RecursionError:
            raise _whole("recursion_loop", "policy document nested too deeply") from None
        return cls._load(data, text, fmt)

    @classmethod
    def _load(cls, data: Any, text: str, fmt: Format) -> Policy:
        if not isinstance(data, dict):
            raise _whole(
                "dict_type",
                f"a policy document is a mapping at the top level, got {type(data).__name__}",
            )
        try:
            return cls.__pydantic_validator__.validate_python(data)  # type: ignore[no-any-return]
        except RecursionError:
            raise _whole("recursion_loop", "policy document nested too deeply") from None
        except ValidationError as exc:
            lines = _lines_for(text, fmt)
            problems = []
            for problem in describe_validation_error(exc):
                line = _nearest(lines, problem.loc)
                problems.append(Problem(problem.loc, problem.type, f"{problem.msg} (line {line})")
                                if line else problem)
            if len(problems) == 1:
                message = f"invalid policy: {problems[0]}"
            else:
                message = "invalid policy:\n  " + "\n  ".join(problems)
            raise PolicyError(message, problems=problems) from None

    # -- exporting --------------------------------------------------------------------------

    def to_json(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent, exclude_defaults=True)

    def to_yaml(self) -> str:
        import yaml

        data = json.loads(self.model_dump_json(exclude_defaults=True))
        return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))

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



def _whole(problem_type: str, message: str) -> PolicyError:
    """An error about the document as a whole (it does not parse, or is not a mapping)."""
    return PolicyError(message, problems=[Problem((), problem_type, message)])


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _whole(
            "json_invalid",
            f"policy JSON does not parse: {exc.msg} (line {exc.lineno}, column {exc.colno})",
        ) from None


def _parse_toml(text: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _whole("toml_invalid", f"policy TOML does not parse: {exc}") from None


def _parse_yaml(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise _whole("yaml_invalid", f"policy YAML does not parse{where}") from None


_PARSERS = {"json": _parse_json, "toml": _parse_toml, "yaml": _parse_yaml}


def _as_text(text: object) -> str:
    if isinstance(text, (bytes, bytearray)):
        try:
            return bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _whole("string_unicode",
                         f"policy text is not valid UTF-8 (byte {exc.start})") from None
    if not isinstance(text, str):
        raise _whole("string_type", f"policy text must be str or bytes, got {type(text).__name__}")
    return text


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

Loc = tuple[int | str, ...]


def _lines_for(text: str, fmt: Format) -> dict[Loc, int]:
    """Map document locations to 1-based line numbers, as far as the format allows."""
    try:
        if fmt == "toml":
            return _toml_lines(text)
        return _yaml_lines(text)  # JSON is (for this purpose) YAML flow syntax
    except Exception:  # line numbers are a courtesy, never a failure
        return {}


def _yaml_lines(text: str) -> dict[Loc, int]:
    import yaml

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    out: dict[Loc, int] = {}
    todo: list[tuple[Any, Loc]] = [(root, ())]
    while todo:
        node, loc = todo.pop()
        out.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*loc, key.value)
                out[sub] = key.start_mark.line + 1
                todo.append((value, sub))
        elif isinstance(node, yaml.SequenceNode):
            for i, value in enumerate(node.value):
                todo.append((value, (*loc, i)))
    return out


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
