"""Policy text: reading JSON, TOML and YAML into plain data, bounded, and finding lines.

The private half of :mod:`servicekit.policy`: that module holds the ``Policy`` model; this one
turns policy *text* into the data it validates (issue 10's bounds on reading: length, YAML
aliases and expanded size on the node graph, duplicate keys, long integers, non-finite
numbers) and maps a problem's location back to a line of the text. It imports nothing of the
model, so it sits in the layer below it.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from servicekit.errors import PolicyError, Problem
from servicekit.rules._values import MAX_INT_DIGITS

if TYPE_CHECKING:
    from yaml.nodes import Node


#: Policy text (JSON, TOML or YAML) longer than this many characters is refused before it is
#: parsed; bytes are refused unread beyond four times as many. The handbook preset, the largest
#: policy servicekit ships, is about 35,000 characters as JSON (``to_json()``): this is 28 times
#: that. (A policy at :data:`~servicekit.policy.MAX_EXPORT_LENGTH`, the preset's tables 86
#: times over, loads in about 0.3 s of CPU from JSON, 0.5 s with an error, 0.8 s from YAML.)
MAX_TEXT_LENGTH = 1_000_000
#: The most alias uses (``*name``, merge keys included) a YAML policy may have. Aliases are
#: counted, and the document's size with every alias written out is held to
#: :data:`MAX_TEXT_LENGTH`, on the node graph, before any value is built: an "alias bomb"
#: (aliases of aliases, 9 of them 8 levels deep: 43 million strings from 413 bytes) is
#: refused in microseconds. A recursive alias (a node inside itself) is refused too.
MAX_YAML_ALIASES = 1_000
#: The most values (every mapping, list and scalar; with YAML aliases written out) a policy
#: document may have: validation's work grows with them, and with the errors they can hold.
#: The handbook preset has 1,107; no policy within
#: :data:`~servicekit.policy.MAX_EXPORT_LENGTH` has half as many (its export takes 11
#: characters or more per value), unless it writes many conditions of thousands of nodes in
#: their data form.
MAX_DOCUMENT_VALUES = 100_000

Format = Literal["json", "toml", "yaml"]
Loc = tuple[int | str, ...]


def _whole(problem_type: str, message: str) -> PolicyError:
    """An error about the document as a whole (it does not parse, or is not a mapping)."""
    return PolicyError(message, problems=[Problem((), problem_type, message)])


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
