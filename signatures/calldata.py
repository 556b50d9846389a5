"""Calldata to a ``DecodedCall``: strict ABI decoding, accepted only if it re-encodes exactly.

The security core and ABI registry win; otherwise every signature the selector databases hold
for the selector (the shipped one, then the user's own imports) is tried, and when more than one
decodes cleanly the ambiguity is reported (``ambiguous``), never resolved silently. A call decoded
from a signature only the user's database knows says so in its ``source``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from txfirewall.model.abi import AbiError, abi_decode, abi_encode
from txfirewall.model.intent import Argument, DecodedCall
from txfirewall.model.primitives import Selector, to_address
from txfirewall.signatures.abi_types import signature_types
from txfirewall.signatures.known_functions import BY_SELECTOR, SHARED_WITH_ERC721, KnownFunction
from txfirewall.signatures.selector_db import function_signatures_by_source

MAX_CANDIDATES = 16
SHIPPED_SOURCE = "selector-db"
USER_SOURCE = "user-selector-db"


@dataclass(frozen=True)
class CallDecoding:
    """The outcome: the call (or None), its role, and notes for the user."""

    call: DecodedCall | None
    role: str | None
    selector: Selector | None
    notes: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()


def _decode_with(fn: KnownFunction, data: bytes) -> DecodedCall | None:
    return decode_signature(fn.signature, fn.types, fn.names, data, "txfirewall-core")


def decode_signature(
    signature: str, types: tuple[str, ...], names: tuple[str, ...], data: bytes, source: str
) -> DecodedCall | None:
    """The call if ``data`` decodes strictly and re-encodes to the same bytes, else None."""
    body = data[4:]
    try:
        values = abi_decode(list(types), body, strict=True)
        if abi_encode(list(types), list(values)) != body:
            return None
    except (AbiError, ValueError, OverflowError, TypeError, RecursionError):
        return None
    args = []
    for name, typ, value in zip(names, types, values, strict=True):
        if typ == "address":
            value = to_address(value)
        args.append(Argument(name=name, type=typ, value=value))
    return DecodedCall(
        selector=Selector("0x" + data[:4].hex()),
        signature=signature,
        name=signature.split("(", 1)[0],
        arguments=tuple(args),
        source=source,
    )


def _decode_from_db(selector: Selector, data: bytes) -> CallDecoding:
    shipped, user = function_signatures_by_source(data[:4])
    signatures = (shipped + user)[:MAX_CANDIDATES]
    matches = []
    for n, sig in enumerate(signatures):
        types = signature_types(sig)
        if types is None:
            continue
        source = SHIPPED_SOURCE if n < len(shipped) else USER_SOURCE
        call = decode_signature(sig, types, tuple(f"arg{i}" for i in range(len(types))), data, source)
        if call is not None:
            matches.append(call)
    if not matches:
        note = (
            f"selector {selector} is not in the database"
            if not signatures
            else f"selector {selector} is known as {', '.join(signatures[:3])} but the arguments do not decode "
            "canonically"
        )
        return CallDecoding(None, None, selector, (note,))
    names = tuple(sorted(c.signature for c in matches))
    if len(matches) == 1:
        call = matches[0]
        return CallDecoding(replace(call, candidates=names), "call", selector)
    call = next(c for c in matches if c.signature == names[0])
    note = (
        f"selector {selector} decodes as several functions: {', '.join(names)}; which one runs depends on the contract"
    )
    return CallDecoding(replace(call, candidates=names), "call", selector, (note,), ambiguous=names)


def decode_calldata(data: bytes) -> CallDecoding:
    """Decode calldata against the curated table; never guess between candidates."""
    if len(data) < 4:
        note = "calldata shorter than a 4-byte selector" if data else None
        return CallDecoding(None, None, None, (note,) if note else ())
    selector = Selector("0x" + data[:4].hex())
    candidates = BY_SELECTOR.get(selector, ())
    if not candidates:
        return _decode_from_db(selector, data)
    matches = [(fn, call) for fn in candidates if (call := _decode_with(fn, data)) is not None]
    if not matches:
        note = (
            f"selector {selector} matches {candidates[0].signature} but the arguments do not decode "
            "canonically (wrong length, dirty padding or trailing bytes)"
        )
        return CallDecoding(None, None, selector, (note,))
    fn, call = matches[0]
    notes: tuple[str, ...] = ()
    names = tuple(f.signature for f, _ in matches)
    ambiguous: tuple[str, ...] = ()
    if len(matches) > 1:
        notes = (f"selector {selector} decodes as several functions: {', '.join(names)}",)
        ambiguous = names
    shared = SHARED_WITH_ERC721.get(fn.signature)
    if shared:
        names = (*names, shared)
    call = DecodedCall(call.selector, call.signature, call.name, call.arguments, call.source, names)
    return CallDecoding(call, fn.role, selector, notes, ambiguous)
