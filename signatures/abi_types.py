"""Parsing text signatures (``name(type,...)``) into ABI type lists, with a whitelist grammar.

Signature strings come from public lists that anyone can write to; Clef crashed on malformed
ones (NCC-EF-Clef-010). Here eth-abi's grammar parses them; anything it rejects is None.
"""

from __future__ import annotations

import re
from functools import lru_cache

from eth_abi.exceptions import ABITypeError, ParseError
from eth_abi.grammar import TupleType, parse

_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


@lru_cache(maxsize=4096)
def signature_types(signature: str) -> tuple[str, ...] | None:
    """The top-level argument types of ``name(t1,t2,...)``, or None if malformed."""
    open_at = signature.find("(")
    if open_at <= 0 or not signature.endswith(")") or not _NAME.match(signature[:open_at]):
        return None
    inner = signature[open_at:]
    if inner == "()":
        return ()
    try:
        parsed = parse(inner)
        if not isinstance(parsed, TupleType) or parsed.arrlist:
            return None
        parsed.validate()  # type: ignore[no-untyped-call]  # eth-abi leaves this one method unannotated
    except (ParseError, ABITypeError, ValueError, RecursionError):
        return None
    return tuple(c.to_type_str() for c in parsed.components)
