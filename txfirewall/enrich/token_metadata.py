"""Token symbol, name and decimals, read with one batched ``eth_call`` round trip.

Symbols and names are untrusted: kept raw here and escaped wherever they are shown. A token that
answers nonsense (a decimals beyond 255, bytes that are not UTF-8) keeps ``None`` for that field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from txfirewall.errors import RpcCallError
from txfirewall.model.abi import AbiError, abi_decode
from txfirewall.model.facts import TokenInfo
from txfirewall.model.primitives import Address, parse_data

if TYPE_CHECKING:
    from collections.abc import Iterable

    from txfirewall.chain.rpc_client import RpcClient

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
    except (AbiError, UnicodeDecodeError, ValueError, OverflowError):
        return None
    return text if len(text.encode()) <= MAX_TEXT_BYTES else None


def _decode_decimals(raw: bytes) -> int | None:
    if len(raw) != 32:
        return None
    value = int.from_bytes(raw, "big")
    return value if value <= 77 else None


class TokenCache:
    """Token metadata per chain, kept for the life of a Firewall: symbols and decimals of a
    deployed token do not change between blocks in practice, and re-reading them costs a
    round trip per analysis."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._entries: dict[Address, TokenInfo] = {}
        self.max_entries = max_entries

    def get(self, token: Address) -> TokenInfo | None:
        return self._entries.get(token)

    def put(self, info: TokenInfo) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[info.address] = info

    def __len__(self) -> int:
        return len(self._entries)


async def fetch_token_info(
    client: RpcClient, tokens: Iterable[Address], block: str = "latest", cache: TokenCache | None = None
) -> dict[Address, TokenInfo]:
    """Metadata for ``tokens``; cached entries are served without a call, misses in one batch."""
    wanted = list(dict.fromkeys(tokens))
    cached = {t: hit for t in wanted if cache is not None and (hit := cache.get(t)) is not None}
    ordered = [t for t in wanted if t not in cached]
    if not ordered:
        return cached
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
        if cache is not None and (symbol is not None or decimals is not None):
            cache.put(info[token])
    return {**cached, **info}
