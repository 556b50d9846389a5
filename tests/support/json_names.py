"""Where a model object's JSON keys differ from its attribute names, found on real objects."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any


def name_differences(obj: Any) -> dict[str, set[str]]:
    """``{class name: {"attr -> (not in JSON)", "(not an attribute) <- key", ...}}`` for every
    dataclass with ``to_json`` reachable from ``obj`` (a verdict)."""
    found: dict[str, set[str]] = {}
    seen: set[int] = set()

    def walk(value: Any) -> None:
        if id(value) in seen:
            return
        seen.add(id(value))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            if hasattr(value, "to_json"):
                data = value.to_json()
                if isinstance(data, Mapping):
                    fields = {f.name for f in dataclasses.fields(value)}
                    keys = set(data)
                    diff = {f"{f} (not in JSON)" for f in fields - keys} | {f"{k} (JSON only)" for k in keys - fields}
                    if diff:
                        found.setdefault(type(value).__name__, set()).update(diff)
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, Mapping):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple | set | frozenset):
            for v in value:
                walk(v)

    walk(obj)
    return found
