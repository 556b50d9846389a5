"""Parsing text signatures (``name(type,...)``) into ABI type lists, with a whitelist grammar.

Signature strings come from public lists that anyone can write to; Clef crashed on malformed
ones (NCC-EF-Clef-010). Here eth-abi's grammar parses them; anything it rejects is None.
"""

from __future__ import annotations

import re
from functools import lru_cache

from txfirewall.model.abi import parse_tuple_type

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
    return parse_tuple_type(inner)
