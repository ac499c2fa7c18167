"""Policy overlays and references (issue 19): a document that says only what differs.

A policy document may say ``extends = "handbook"`` (a preset's name) or ``extends =
"base.toml"`` (a file beside it) and then give only its overrides. The base's data and the
overlay's are merged as plain data, before validation:

* mappings merge key by key (SLA targets by metric and priority, calendars, tables and every
  other section by name, a calendar's hours by weekday); any other value replaces the base's;
* a list whose items are mappings keyed by ``id``, ``name``, ``metric``, ``level`` or ``event``
  (unique in the base: table rules, custom metrics, tiers, metric targets, escalation levels)
  merges item by item: an item with a key the base has is merged into the base's item
  (``_replace = true``: replaces it), ``_remove = true`` removes it, a new key is added at the
  end or where ``_before`` / ``_after`` (a key of the list) put it; any other list replaces the
  base's.

References let a section name what another section holds, so an overlay that changes a
calendar or a table changes it everywhere it is used: an SLA policy's ``calendar``,
``metric_calendars`` values, ``target_table`` and ``remedy_table``, and a complaint policy's
``sla`` and ``priority_table``, may be names (of ``calendars``, ``tables``, ``sla``). The
calendars ``"24x7"`` (open all the time, UTC) and ``"china"`` (``BusinessCalendar.china()``)
need no entry. Exports write the names back wherever a section holds exactly what a named
entry holds (:func:`compact`), so the handbook preset, exported, is a document whose SLA
policy names ``calendar = "china"``.

This module works on plain data (what the text parsers return) and knows nothing of the
models.
"""

from __future__ import annotations

import copy
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from servicekit._policy_text import _PARSERS, Format, _as_text, _document_problems
from servicekit.errors import PolicyError, Problem

__all__ = ["DIRECTIVES", "LIST_KEYS", "MAX_CHAIN", "Resolver", "Source", "assemble", "base_name",
           "compact", "key_of", "merge", "resolve"]

#: the keys that identify an item of a list, tried in this order
LIST_KEYS = ("id", "name", "metric", "level", "event")
#: what an overlay's list item may say about itself (never fields of a model)
DIRECTIVES = ("_remove", "_replace", "_before", "_after")
#: the longest chain of ``extends`` a document may have
MAX_CHAIN = 16

Loc = tuple[int | str, ...]


def key_of(items: list[Any]) -> str | None:
    """The key that identifies every item of ``items`` once, or None (not a keyed list)."""
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for key in LIST_KEYS:
        values = [item.get(key) for item in items]
        if all(isinstance(v, str | int) and not isinstance(v, bool) for v in values) and len(
                set(values)) == len(values):
            return key
    return None


def merge(base: Any, overlay: Any, problems: list[Problem], loc: Loc = ()) -> Any:
    """``overlay`` merged onto ``base`` (neither is changed), problems appended."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        out = dict(base)
        for name, value in overlay.items():
            out[name] = (merge(base[name], value, problems, (*loc, name)) if name in base
                         else value)
        return out
    if isinstance(base, list) and isinstance(overlay, list):
        key = key_of(base)
        if key is not None and overlay and all(isinstance(i, dict) for i in overlay) and any(
                key in i or _directed(i) for i in overlay):
            return _merge_items(base, overlay, key, problems, loc)
    return overlay


def _directed(item: dict[str, Any]) -> bool:
    return any(d in item for d in DIRECTIVES)


def _merge_items(base: list[Any], overlay: list[Any], key: str, problems: list[Problem],
                 loc: Loc) -> list[Any]:
    items: list[dict[str, Any]] = [dict(i) for i in base]
    for n, raw in enumerate(overlay):
        where = (*loc, n)
        item = dict(raw)
        flags = {d: item.pop(d) for d in DIRECTIVES if d in item}
        if key not in item:
            problems.append(Problem(where, "overlay_item_key",
                                    f"an overlay's item of this list names its {key!r}"))
            continue
        ident = item[key]
        keys = [i[key] for i in items]
        bad = [d for d in ("_remove", "_replace") if d in flags and flags[d] is not True]
        if bad:
            problems.append(Problem((*where, bad[0]), "overlay_directive",
                                    f"{bad[0]} is true or absent"))
            continue
        if "_before" in flags and "_after" in flags:
            problems.append(Problem(where, "overlay_directive",
                                    "an item goes _before or _after another, not both"))
            continue
        if flags.get("_remove"):
            if ident not in keys:
                problems.append(Problem((*where, key), "overlay_unknown_item",
                                        f"_remove: the base has no item with this {key}"))
            else:
                del items[keys.index(ident)]
            continue
        if ident in keys:
            at = keys.index(ident)
            merged = item if flags.get("_replace") else merge(items[at], item, problems, where)
            items[at] = merged
        else:
            if flags.get("_replace"):
                problems.append(Problem((*where, key), "overlay_unknown_item",
                                        f"_replace: the base has no item with this {key}"))
                continue
            at = len(items)
            items.append(item)
        place = next(((d, flags[d]) for d in ("_before", "_after") if d in flags), None)
        if place is not None:
            moved = items.pop(at)
            others = [i[key] for i in items]
            if place[1] not in others:
                problems.append(Problem((*where, place[0]), "overlay_unknown_item",
                                        f"{place[0]}: the list has no item with this {key}"))
                items.insert(at, moved)
                continue
            target = others.index(place[1]) + (place[0] == "_after")
            items.insert(target, moved)
    return items


# -- references -----------------------------------------------------------------------------

#: the calendar names every document knows (a document's own calendars come first)
BUILTIN_CALENDARS = ("24x7", "china")


@cache
def _builtin_calendars() -> dict[str, dict[str, Any]]:
    import json

    from servicekit.calendar import BusinessCalendar

    out: dict[str, dict[str, Any]] = {
        name: json.loads(BusinessCalendar.named(name).model_dump_json(exclude_defaults=True))
        for name in BUILTIN_CALENDARS}
    out["24x7"]["hours"] = "24x7"  # as compact() writes it
    return out


def builtin_calendar(name: str) -> dict[str, Any] | None:
    """The plain data of a built-in calendar name, or None."""
    found = _builtin_calendars().get(name)
    return None if found is None else copy.deepcopy(found)


#: (section holding the named entries, what it is called in a message)
_CALENDARS = ("calendars", "calendar")
_TABLES = ("tables", "decision table")
_SLA = ("sla", "SLA policy")


def _sla_places(sla: dict[str, Any]) -> Iterator[tuple[Any, Any, tuple[str, str]]]:
    """(container, key, what it names) of each place of an SLA policy that may hold a name."""
    yield sla, "calendar", _CALENDARS
    calendars = sla.get("metric_calendars")
    if isinstance(calendars, dict):
        for metric in calendars:
            yield calendars, metric, _CALENDARS
    for table in ("target_table", "remedy_table"):
        yield sla, table, _TABLES


def resolve(document: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """``document`` with every reference replaced by what it names (a copy where changed)."""
    doc = dict(document)

    def named(section: str, name: str, loc: Loc, what: str) -> Any:
        entries = doc.get(section)
        if isinstance(entries, dict) and name in entries:
            return entries[name]
        if section == "calendars":
            builtin = builtin_calendar(name)
            if builtin is not None:
                return builtin
        problems.append(Problem(loc, "unknown_reference",
                                f"names no {what} of the document's {section}"
                                + (" (nor '24x7' or 'china')" if section == "calendars"
                                   else "")))
        return name

    def fill(container: Any, place: Any, target: tuple[str, str], loc: Loc) -> None:
        if isinstance(container, dict) and isinstance(container.get(place), str):
            container[place] = named(target[0], container[place], loc, target[1])

    def resolve_sla(value: Any, loc: Loc) -> Any:
        if not isinstance(value, dict):
            return value
        sla = dict(value)
        if isinstance(sla.get("metric_calendars"), dict):
            sla["metric_calendars"] = dict(sla["metric_calendars"])
        for container, place, target in list(_sla_places(sla)):
            where = (*loc, place) if container is sla else (*loc, "metric_calendars", place)
            fill(container, place, target, where)
        return sla

    for section, resolve_one in (("sla", resolve_sla), ("complaints", None)):
        entries = doc.get(section)
        if not isinstance(entries, dict):
            continue
        doc[section] = dict(entries)
        for name, value in entries.items():
            loc = (section, name)
            if resolve_one is not None:
                doc[section][name] = resolve_one(value, loc)
                continue
            if not isinstance(value, dict):
                continue
            complaint = dict(value)
            if "sla" in complaint:
                sla = complaint["sla"]
                # the sla section is resolved first: a name gives a resolved policy
                complaint["sla"] = (named("sla", sla, (*loc, "sla"), _SLA[1])
                                    if isinstance(sla, str) else resolve_sla(sla, (*loc, "sla")))
            fill(complaint, "priority_table", _TABLES, (*loc, "priority_table"))
            doc[section][name] = complaint
    return doc


# -- exports --------------------------------------------------------------------------------

_ALWAYS = "00:00-24:00"
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def compact(document: dict[str, Any]) -> dict[str, Any]:
    """A policy's plain data with names written wherever a section holds exactly what a
    named entry holds (the first such name), and 24 × 7 or Monday-to-Friday hours as text.
    Loading the result gives the same policy."""
    doc = copy.deepcopy(document)
    calendars = doc.get("calendars", {})
    for calendar in calendars.values():
        _compact_hours(calendar)

    def name_for(value: Any, section: str) -> str | None:
        entries = doc.get(section, {})
        found = next((n for n, v in entries.items() if v == value), None)
        if found is None and section == "calendars" and isinstance(value, dict):
            plain = dict(value)
            _compact_hours(plain)
            found = next((n for n in BUILTIN_CALENDARS if n not in entries
                          and plain == _builtin_calendars()[n]), None)
        return found

    def compact_sla(sla: Any) -> Any:
        if not isinstance(sla, dict):
            return sla
        for container, place, (section, _) in list(_sla_places(sla)):
            value = container.get(place)
            if isinstance(value, dict):
                if section == "calendars":
                    _compact_hours(value)
                name = name_for(value, section)
                if name is not None:
                    container[place] = name
        return sla

    for sla in doc.get("sla", {}).values():
        compact_sla(sla)
    for complaint in doc.get("complaints", {}).values():
        if isinstance(complaint.get("sla"), dict):
            compact_sla(complaint["sla"])
            name = name_for(complaint["sla"], "sla")
            if name is not None:
                complaint["sla"] = name
        if isinstance(complaint.get("priority_table"), dict):
            name = name_for(complaint["priority_table"], "tables")
            if name is not None:
                complaint["priority_table"] = name
    return doc


def _compact_hours(calendar: Any) -> None:
    if not isinstance(calendar, dict) or not isinstance(calendar.get("hours"), dict):
        return
    hours = calendar["hours"]
    if len(hours) == 7 and all(hours.get(d) == _ALWAYS for d in _WEEKDAYS):
        calendar["hours"] = "24x7"
    elif set(hours) == set(_WEEKDAYS[:5]) and len(set(hours.values())) == 1:
        calendar["hours"] = hours["mon"]



# -- the chain of bases ---------------------------------------------------------------------

#: a preset's plain data by name (None: no such preset)
Presets = Callable[[str], dict[str, Any] | None]
#: the host's reader of a base document: its name (a relative path from the folder of the
#: document loaded, ``/``-separated, normalised) -> its text. servicekit reads no files itself:
#: ``servicekit.adapters.files.folder_resolver(folder)`` reads them from a folder.
Resolver = Callable[[str], str | bytes]

_SUFFIXES: dict[str, Format] = {".toml": "toml", ".json": "json", ".yaml": "yaml",
                                ".yml": "yaml"}


@dataclass(frozen=True, slots=True)
class Source:
    """How a document's bases are read: the host's ``resolver`` (None: presets only)."""

    resolver: Resolver | None = None


def assemble(data: dict[str, Any], source: Source, presets: Presets
             ) -> tuple[dict[str, Any], list[Problem]]:
    """The document ``data`` with its chain of bases merged under it and its references
    resolved, and the problems met on the way (each base's located under ``extends``)."""
    problems: list[Problem] = []
    merged = _with_bases(data, "", source=source, presets=presets, seen=(), problems=problems)
    return resolve(merged, problems), problems


def _with_bases(data: dict[str, Any], name_of_data: str, *, source: Source, presets: Presets,
                seen: tuple[str, ...], problems: list[Problem]) -> dict[str, Any]:
    if "extends" not in data:
        return data
    doc = dict(data)
    name = doc.pop("extends")
    where: Loc = ("extends",)
    if not isinstance(name, str) or not name:
        problems.append(Problem(where, "extends_type",
                                "extends names a preset (such as 'handbook') or a document"))
        return doc
    base, ident = _read_base(name, name_of_data, source, presets, problems)
    if base is None:
        return doc
    if ident in seen or len(seen) >= MAX_CHAIN:
        problems.append(Problem(where, "extends_cycle",
                                "the chain of bases comes back to a document it holds"
                                if ident in seen else
                                f"the chain of bases is longer than {MAX_CHAIN} documents"))
        return doc
    inner: list[Problem] = []
    base = _with_bases(base, ident, source=source, presets=presets, seen=(*seen, ident),
                       problems=inner)
    problems.extend(_in_base(inner))
    return merge(base, doc, problems) if not inner else doc


def _in_base(found: list[Problem]) -> list[Problem]:
    return [Problem(("extends", *p.loc), p.type, f"in the base document: {p.msg}")
            for p in found]


def base_name(name: str, referrer: str) -> str | None:
    """``name`` as a path from the root document's folder (``referrer``: the name of the
    document that wrote it, "" for the root), or None when it leaves that folder."""
    if name.startswith(("/", "\\")) or "\\" in name or ":" in name:
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(referrer), name))
    if joined.startswith("../") or joined in ("..", "."):
        return None
    return joined


def _read_base(name: str, referrer: str, source: Source, presets: Presets,
               problems: list[Problem]) -> tuple[dict[str, Any] | None, str]:
    """A base's plain data (None after a problem) and its identity in the chain."""
    where: Loc = ("extends",)
    preset = presets(name)
    if preset is not None:
        return preset, f"preset:{name}"
    fmt = _SUFFIXES.get(posixpath.splitext(name)[1].lower())
    if fmt is None:
        problems.append(Problem(where, "extends_unknown",
                                "extends names no preset, and no document (a name ending in "
                                ".toml, .json, .yaml or .yml)"))
        return None, name
    ident = base_name(name, referrer)
    if ident is None:
        problems.append(Problem(where, "extends_outside",
                                "a base document is named by a relative path inside the "
                                "folder of the document loaded"))
        return None, name
    if source.resolver is None:
        problems.append(Problem(where, "extends_unreadable",
                                "extends names a document: load with resolver= (how to read "
                                "it; servicekit.adapters.files.folder_resolver for files)"))
        return None, ident
    try:
        raw = source.resolver(ident)
    except Exception as exc:  # the host's reader; nothing of it is repeated
        problems.append(Problem(where, "extends_unreadable",
                                f"the base document cannot be read ({type(exc).__name__})"))
        return None, ident
    try:
        data, _ = _PARSERS[fmt](_as_text(raw))
    except PolicyError as exc:
        problems.extend(_in_base(list(exc.problems)))
        return None, ident
    if not isinstance(data, dict):
        problems.append(Problem(where, "dict_type",
                                "a base document is a mapping at the top level"))
        return None, ident
    found = _document_problems(data)
    if found:
        problems.extend(_in_base(found))
        return None, ident
    return data, ident
