"""Parsing text signatures (``name(type,...)``) into ABI type lists, with a whitelist grammar.

Signature strings come from public lists that anyone can write to; Clef crashed on malformed
ones (NCC-EF-Clef-010). Here eth-abi's grammar parses them; anything it rejects is None.

eth-abi's parser costs about 0.3 ms per argument list, which a dump of millions of signatures
cannot afford, so a strict fast path accepts the common canonical forms (elementary types, arrays,
nested tuples) first; everything it does not positively accept goes to eth-abi, which has the last
word. The fast path accepts only what eth-abi accepts (a test checks it on the shipped database),
so the answer never depends on which path gave it. Dumps repeat a few thousand argument lists
across millions of names, hence the cache on the argument list, not on the whole signature.
"""

from __future__ import annotations

import re
from functools import lru_cache

from txfirewall.model.abi import parse_tuple_type

SIGNATURE_PATTERN = re.compile(r"([A-Za-z_$][A-Za-z0-9_$]*)(\(.*\))", re.DOTALL)
"""``name(arguments)``: group 1 is the name, group 2 the argument list (checked by ``argument_types``)."""

_BITS = "|".join(str(n) for n in range(256, 0, -8))
_ELEMENTARY = rf"(?:u?int(?:{_BITS})|address|bool|string|bytes(?:3[0-2]|[12][0-9]|[1-9])?|T)"
_ARRAYS = r"(?:\[(?:[1-9][0-9]{0,5})?\])*"
_ITEM = rf"{_ELEMENTARY}{_ARRAYS}"
_FLAT_LIST = re.compile(rf"{_ITEM}(?:,{_ITEM})*")
_INNERMOST_TUPLE = re.compile(r"\(([^()]*)\)")
"""A tuple with no tuple inside; once its components check out it becomes the placeholder ``T``."""


def _fast_accepts(inner: str) -> bool:
    """True only for argument lists made of common canonical types (see the module docstring);
    False means "ask eth-abi", not "invalid"."""
    if "T" in inner:
        return False  # the placeholder must not come from the input
    text = inner
    while text != "T":
        reduced = _INNERMOST_TUPLE.sub(lambda m: "T" if _FLAT_LIST.fullmatch(m.group(1)) else "!", text)
        if reduced == text or "!" in reduced:
            return False
        text = reduced
    return True


@lru_cache(maxsize=1 << 16)
def argument_types(inner: str) -> tuple[str, ...] | None:
    """The types of an argument list ``(t1,t2,...)`` in canonical form, or None if malformed or
    not canonical (spaces, ``uint`` for ``uint256``, a trailing comma...)."""
    if inner == "()":
        return ()
    if _fast_accepts(inner):
        return _split_top_level(inner[1:-1])
    if not inner.isascii():
        return None
    types = parse_tuple_type(inner)
    if types is None or "(" + ",".join(types) + ")" != inner:
        return None
    return types


def _split_top_level(body: str) -> tuple[str, ...]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
    parts.append(body[start:])
    return tuple(parts)


@lru_cache(maxsize=4096)
def signature_types(signature: str) -> tuple[str, ...] | None:
    """The top-level argument types of ``name(t1,t2,...)``, or None if malformed."""
    match = SIGNATURE_PATTERN.fullmatch(signature)
    return None if match is None else argument_types(match.group(2))


def is_canonical_signature(signature: str) -> bool:
    """Whether ``signature`` is a well-formed canonical text signature (what a selector hashes)."""
    match = SIGNATURE_PATTERN.fullmatch(signature)
    return match is not None and argument_types(match.group(2)) is not None
