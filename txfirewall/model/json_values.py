"""Turning internal values into JSON-safe values: big ints become decimal strings, bytes hex."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TypeAlias

JsonValue: TypeAlias = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None

# Integers beyond JavaScript's safe range are emitted as decimal strings so no client
# silently rounds a token amount.
_SAFE_INT = 2**53 - 1


def to_json_value(value: object) -> JsonValue:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if -_SAFE_INT <= value <= _SAFE_INT else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [to_json_value(v) for v in items]
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        converted: JsonValue = to_json()  # the object's own JSON form (a model type's to_json)
        return converted
    if hasattr(value, "value") and isinstance(value.value, (str, int)):
        return to_json_value(value.value)
    return str(value)
