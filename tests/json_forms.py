"""What a ``to_dict()`` must give: plain JSON data only (shared by the JSON-form tests)."""

from __future__ import annotations


def json_only(value: object, where: str = "$") -> None:
    """Only the JSON types (no subclass: a FrozenDict, a tuple, a datetime would slip through
    ``json.dumps`` or not, but are not plain data)."""
    kind = type(value)
    assert kind in (str, int, float, bool, type(None), list, dict), (where, kind)
    if kind is dict:
        for key, item in value.items():  # type: ignore[attr-defined]
            assert type(key) is str, (where, type(key))
            json_only(item, f"{where}.{key}")
    elif kind is list:
        for i, item in enumerate(value):  # type: ignore[arg-type]
            json_only(item, f"{where}[{i}]")
