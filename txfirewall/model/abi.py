"""ABI encoding and decoding behind a lazy, typed seam.

eth-abi (with eth-utils under it) costs about 120 ms to import. A plain ETH transfer, a message or
typed data needs none of it, so it loads on the first call here, not when txfirewall is imported.
eth-abi's own failures come out as ``AbiError`` (a ``ValueError``), so callers catch one type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from types import ModuleType
from typing import Any


class AbiError(ValueError):
    """Bytes that do not decode as the types say, or values that do not encode."""


@cache
def _eth_abi() -> tuple[ModuleType, ModuleType, tuple[type[Exception], ...]]:
    import eth_abi.abi
    import eth_abi.packed
    from eth_abi.exceptions import DecodingError, EncodingError

    return eth_abi.abi, eth_abi.packed, (DecodingError, EncodingError)


def _translated(call: Callable[[], Any]) -> Any:
    errors = _eth_abi()[2]
    try:
        return call()
    except errors as exc:
        raise AbiError(f"{type(exc).__name__}: {exc}") from exc


def abi_decode(types: Sequence[str], data: bytes, *, strict: bool = True) -> tuple[Any, ...]:
    """Decode ``data`` as the ABI ``types`` (strict: no short or trailing garbage in dynamic data)."""
    codec = _eth_abi()[0]
    return tuple(_translated(lambda: codec.decode(list(types), data, strict=strict)))


def abi_encode(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """Encode ``values`` as the ABI ``types``."""
    codec = _eth_abi()[0]
    return bytes(_translated(lambda: codec.encode(list(types), list(values))))


def abi_encode_packed(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """``abi.encodePacked``: no padding, no length prefixes (EIP-712 legacy hashing uses it)."""
    packed = _eth_abi()[1]
    return bytes(_translated(lambda: packed.encode_packed(list(types), list(values))))


def parse_tuple_type(text: str) -> tuple[str, ...] | None:
    """The component types of an ABI tuple type ``(t1,t2,...)``, canonical; None if ``text`` is not
    a valid, non-array tuple type in eth-abi's grammar."""
    from eth_abi.exceptions import ABITypeError, ParseError
    from eth_abi.grammar import TupleType, parse

    try:
        parsed = parse(text)
        if not isinstance(parsed, TupleType) or parsed.arrlist:
            return None
        parsed.validate()  # type: ignore[no-untyped-call]  # eth-abi leaves this one method unannotated
    except (ParseError, ABITypeError, ValueError, RecursionError):
        return None
    return tuple(c.to_type_str() for c in parsed.components)
