"""ERC-7730 format keys (``f(uint256 amount, (address a, bytes b)[] items)``) to ABI trees, and
calldata decoded into the named structure that descriptor paths walk.

A parameter is ``[name, type]`` or, for a tuple, ``[name, "tuple<suffix>", components]``.
"""

from __future__ import annotations

from typing import Any

from txfirewall.model.abi import AbiError, abi_decode
from txfirewall.model.primitives import to_address

_ALIASES = {"uint": "uint256", "int": "int256", "byte": "bytes1"}


def _split_top(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    tail = text[start:]
    if tail.strip() or parts:
        parts.append(tail)
    return [p.strip() for p in parts]


def _param(text: str, index: int) -> list[Any]:
    if text.startswith("("):
        depth, i = 0, len(text) - 1
        for pos, ch in enumerate(text):
            depth += ch == "("
            depth -= ch == ")"
            if depth == 0:
                i = pos
                break
        rest = text[i + 1 :].split()
        suffix = rest[0] if rest and rest[0].startswith("[") else ""
        name = rest[-1] if rest and not rest[-1].startswith("[") else f"arg{index}"
        components = [_param(p, j) for j, p in enumerate(_split_top(text[1:i]))]
        return [name, "tuple" + suffix, components]
    words = text.split()
    base, _, suffix = words[0].partition("[")
    typ = _ALIASES.get(base, base) + ("[" + suffix if suffix else "")
    return [words[-1] if len(words) > 1 else f"arg{index}", typ]


def parse_params(key: str) -> list[list[Any]]:
    """The parameter tree of a format key."""
    inner = key[key.index("(") + 1 : key.rindex(")")]
    return [_param(p, i) for i, p in enumerate(_split_top(inner))]


def abi_type(param: list[Any]) -> str:
    """The canonical ABI type of one parameter."""
    if len(param) == 3:
        return "(" + ",".join(abi_type(c) for c in param[2]) + ")" + str(param[1]).removeprefix("tuple")
    return str(param[1])


def canonical_signature(key: str) -> str:
    """``name(type,...)`` for the selector hash."""
    return key.split("(", 1)[0].strip() + "(" + ",".join(abi_type(p) for p in parse_params(key)) + ")"


def _named(param: list[Any], value: Any) -> Any:
    typ = str(param[1])
    if typ.endswith("]"):
        inner = [param[0], typ[: typ.rindex("[")], *param[2:]]
        return [_named(inner, v) for v in value]
    if len(param) == 3:
        return {c[0]: _named(c, v) for c, v in zip(param[2], value, strict=True)}
    if typ == "address":
        return to_address(value)
    return value


def decode_named(params: list[list[Any]], data: bytes) -> dict[str, Any] | None:
    """Calldata (selector included) as ``{name: value}`` with tuples as dicts, or None.

    Not strict about trailing bytes: routers append referral tags after the arguments, and the
    descriptor's own fields are what a user sees.
    """
    try:
        values = abi_decode([abi_type(p) for p in params], data[4:])
    except (AbiError, ValueError, OverflowError, TypeError, RecursionError):
        return None
    return {p[0]: _named(p, v) for p, v in zip(params, values, strict=True)}
