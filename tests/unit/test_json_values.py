"""JSON rendering of internal values: numbers stay numbers unless a client could mangle them."""

from __future__ import annotations

import json

from txfirewall.model.json_values import to_json_value


def test_numbers() -> None:
    assert to_json_value(0.25) == 0.25 and isinstance(to_json_value(0.25), float)
    assert to_json_value(float("nan")) == "nan" and to_json_value(float("inf")) == "inf"
    assert to_json_value(2**53 - 1) == 2**53 - 1 and to_json_value(2**53) == str(2**53)
    assert to_json_value(True) is True


def test_containers_and_bytes_round_trip_through_strict_json() -> None:
    value = {"score": 0.5, "amount": 2**255, "raw": b"\x01\x02", "ids": (1, 2), "tags": frozenset({"b", "a"})}
    rendered = to_json_value(value)
    assert rendered == {"score": 0.5, "amount": str(2**255), "raw": "0x0102", "ids": [1, 2], "tags": ["a", "b"]}
    assert json.loads(json.dumps(rendered, allow_nan=False)) == rendered
