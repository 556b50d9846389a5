"""Token symbol, name and decimals, read with one batched ``eth_call`` round trip.

Symbols and names are untrusted: kept raw here and escaped wherever they are shown. A token that
answers nonsense (a decimals beyond 255, bytes that are not UTF-8) keeps ``None`` for that field.
"""

from __future__ import annotations

from collections.abc import Iterable

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError

from txfirewall.model.facts import TokenInfo
from txfirewall.model.primitives import Address, parse_data
from txfirewall.rpc_client import RpcCallError, RpcClient

_SYMBOL = "0x95d89b41"
_NAME = "0x06fdde03"
_DECIMALS = "0x313ce567"
MAX_TEXT_BYTES = 256


def _decode_text(raw: bytes) -> str | None:
    try:
        if len(raw) == 32:  # old tokens (MKR, SAI) return bytes32
            text = raw.rstrip(b"\x00").decode("utf-8")
        else:
            (text,) = abi_decode(["string"], raw)
    except (DecodingError, UnicodeDecodeError, ValueError, OverflowError):
        return None
    return text if len(text.encode()) <= MAX_TEXT_BYTES else None


def _decode_decimals(raw: bytes) -> int | None:
    if len(raw) != 32:
        return None
    value = int.from_bytes(raw, "big")
    return value if value <= 77 else None


async def fetch_token_info(client: RpcClient, tokens: Iterable[Address], block: str = "latest") -> dict[Address, TokenInfo]:
    ordered = list(dict.fromkeys(tokens))
    calls = [
        ("eth_call", [{"to": token, "data": selector}, block])
        for token in ordered
        for selector in (_SYMBOL, _NAME, _DECIMALS)
    ]
    results = await client.batch(calls)
    info: dict[Address, TokenInfo] = {}
    for i, token in enumerate(ordered):
        raw = []
        for result in results[3 * i : 3 * i + 3]:
            try:
                raw.append(None if isinstance(result, RpcCallError) else parse_data(result))
            except ValueError:
                raw.append(None)
        symbol = _decode_text(raw[0]) if raw[0] else None
        name = _decode_text(raw[1]) if raw[1] else None
        decimals = _decode_decimals(raw[2]) if raw[2] else None
        info[token] = TokenInfo(token, symbol, name, decimals)
    return info
