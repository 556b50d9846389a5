"""Calldata to a ``DecodedCall``: strict ABI decoding, accepted only if it re-encodes exactly."""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_abi.exceptions import DecodingError, EncodingError

from txfirewall.model.intent import Argument, DecodedCall
from txfirewall.model.primitives import Selector, to_address
from txfirewall.signatures.known_functions import BY_SELECTOR, SHARED_WITH_ERC721, KnownFunction


@dataclass(frozen=True)
class CallDecoding:
    """The outcome: the call (or None), its role, and notes for the user."""

    call: DecodedCall | None
    role: str | None
    selector: Selector | None
    notes: tuple[str, ...] = ()


def _decode_with(fn: KnownFunction, data: bytes) -> DecodedCall | None:
    body = data[4:]
    try:
        values = abi_decode(list(fn.types), body, strict=True)
        if abi_encode(list(fn.types), list(values)) != body:
            return None
    except (DecodingError, EncodingError, ValueError, OverflowError):
        return None
    args = []
    for name, typ, value in zip(fn.names, fn.types, values, strict=True):
        if typ == "address":
            value = to_address(value)
        args.append(Argument(name=name, type=typ, value=value))
    return DecodedCall(
        selector=fn.selector,
        signature=fn.signature,
        name=fn.name,
        arguments=tuple(args),
        source="txfirewall-core",
    )


def decode_calldata(data: bytes) -> CallDecoding:
    """Decode calldata against the curated table; never guess between candidates."""
    if len(data) < 4:
        note = "calldata shorter than a 4-byte selector" if data else None
        return CallDecoding(None, None, None, (note,) if note else ())
    selector = Selector("0x" + data[:4].hex())
    candidates = BY_SELECTOR.get(selector, ())
    matches = [(fn, call) for fn in candidates if (call := _decode_with(fn, data)) is not None]
    if not matches:
        notes: tuple[str, ...] = ()
        if candidates:
            notes = (f"selector {selector} matches {candidates[0].signature} but the arguments do not decode "
                     "canonically (wrong length, dirty padding or trailing bytes)",)
        return CallDecoding(None, None, selector, notes)
    fn, call = matches[0]
    notes = ()
    names = tuple(f.signature for f, _ in matches)
    if len(matches) > 1:
        notes = (f"selector {selector} decodes as several functions: {', '.join(names)}",)
    shared = SHARED_WITH_ERC721.get(fn.signature)
    if shared:
        names = (*names, shared)
    call = DecodedCall(call.selector, call.signature, call.name, call.arguments, call.source, names)
    return CallDecoding(call, fn.role, selector, notes)
