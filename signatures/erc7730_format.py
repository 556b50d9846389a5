"""ERC-7730 field formats rendered offline: paths walked over decoded values, values formatted.

What cannot be known offline is said, never guessed: a token amount whose decimals are unknown
is shown in base units with the token address; an address name is shown as the address (names
come from the wallet's contacts or ENS, which need a lookup).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from txfirewall.model.intent import LabelledField
from txfirewall.model.primitives import Address, to_address
from txfirewall.model.text import format_units, safe_text

NATIVE_SYMBOLS = {
    1: "ETH",
    10: "ETH",
    56: "BNB",
    100: "xDAI",
    137: "POL",
    8453: "ETH",
    42161: "ETH",
    43114: "AVAX",
    59144: "ETH",
    324: "ETH",
    42220: "CELO",
    14: "FLR",
    1329: "SEI",
    11155111: "ETH",
    17000: "ETH",
}
MAX_ITEMS = 32
"""Cap on values a ``[]`` path expands to: a hostile message can hold huge arrays."""
_SEGMENT = re.compile(r"\[(-?\d*)(:?)(-?\d*)\]$")


@dataclass(frozen=True)
class RenderContext:
    """Where paths start (``#`` the decoded data, ``@`` the container) and what is known offline."""

    root: Mapping[str, Any]
    container: Mapping[str, Any]
    chain_id: int | None
    tokens: Mapping[str, tuple[str, int]]
    decode_nested: Callable[[bytes], str] | None = None


def to_int(value: Any) -> int | None:
    """Ints as given; JSON strings (decimal or hex) as EIP-712 wallets send them."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, bytes):
        return int.from_bytes(value, "big") if value else 0
    if isinstance(value, str):
        try:
            return int(value, 0) if value.strip().lower().startswith("0x") else int(value)
        except ValueError:
            return None
    return None


def _as_bytes(value: Any) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value.to_bytes(32, "big") if value < 2**256 else None
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            return None
    return None


def _step(values: list[Any], seg: str) -> list[Any]:
    out: list[Any] = []
    match = _SEGMENT.fullmatch(seg)
    for value in values:
        if match is None:
            if isinstance(value, Mapping) and seg in value:
                out.append(value[seg])
            continue
        lo, colon, hi = match.groups()
        if not colon and not lo:  # "[]": every element
            if isinstance(value, list):
                out.extend(value[:MAX_ITEMS])
            continue
        seq: Any = value if isinstance(value, list) else _as_bytes(value)
        if seq is None:
            continue
        if colon:
            out.append(seq[int(lo) if lo else None : int(hi) if hi else None])
        elif -len(seq) <= int(lo) < len(seq):
            out.append(seq[int(lo)])
    return out


def resolve(path: str, node: Any, ctx: RenderContext) -> list[Any]:
    """Every value ``path`` names (several when it crosses a ``[]``)."""
    if path.startswith("#."):
        node, path = ctx.root, path[2:]
    elif path.startswith("@."):
        node, path = ctx.container, path[2:]
    values = [node]
    for part in path.split("."):
        if not part:
            continue
        name, bracket, rest = part.partition("[")
        if name:
            values = _step(values, name)
        if bracket:
            for seg in re.findall(r"\[[^\]]*\]", "[" + rest):
                values = _step(values, seg)
    return values


def _address(value: Any) -> Address | None:
    raw = _as_bytes(value)
    if isinstance(value, str) and len(value) == 42:
        raw = _as_bytes(value)
    if raw is None or len(raw) not in (20, 32):
        return None
    if len(raw) == 32 and any(raw[:12]):
        return None
    return to_address("0x" + raw[-20:].hex())


def render_raw(value: Any) -> str:
    """Values as a user reads them: ints in decimal, bytes in hex, addresses checksummed."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list):
        return ", ".join(render_raw(v) for v in value[:MAX_ITEMS])
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {render_raw(v)}" for k, v in list(value.items())[:MAX_ITEMS]) + "}"
    text = str(value)
    if len(text) == 42 and text.startswith("0x"):
        addr = _address(text)
        if addr:
            return addr
    return safe_text(text, limit=256)


def _native(amount: int, ctx: RenderContext) -> str:
    symbol = NATIVE_SYMBOLS.get(ctx.chain_id or 0, "native units")
    return f"{format_units(amount, 18)} {symbol}"


def _token_amount(value: int, params: Mapping[str, Any], node: Any, ctx: RenderContext) -> tuple[str, Address | None]:
    token: Address | None = None
    if "token" in params:
        token = _address(params["token"])
    elif "tokenPath" in params:
        found = resolve(str(params["tokenPath"]), node, ctx)
        token = _address(found[0]) if found else None
    natives = params.get("nativeCurrencyAddress", [])
    natives = [natives] if isinstance(natives, str) else natives
    if token is not None and any(str(n).lower() == token.lower() for n in natives):
        return _native(value, ctx), None
    threshold = to_int(params.get("threshold"))
    info = ctx.tokens.get(f"{ctx.chain_id}:{token.lower()}") if token else None
    if threshold is not None and value >= threshold:
        message = str(params.get("message") or "Unlimited")
        return f"{message} {safe_text(info[0], limit=24)}" if info else f"{message} (token {token})", token
    if info is not None:
        return f"{format_units(value, info[1])} {safe_text(info[0], limit=24)}", token
    if token is None:
        return f"{value} base units of an unknown token", None
    return f"{value} base units of token {token}", token


def _unit(value: int, params: Mapping[str, Any]) -> str:
    decimals = to_int(params.get("decimals")) or 0
    base = str(params.get("base", ""))
    return f"{format_units(value, decimals)}{' ' if base and base != '%' else ''}{base}".strip()


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def _date(value: int, params: Mapping[str, Any]) -> str:
    if params.get("encoding") == "blockheight":
        return f"block {value}"
    try:
        return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%d %I:%M:%S %p UTC")
    except (OverflowError, OSError, ValueError):
        return f"{value} (not a valid date)"


def render_value(
    fmt: str, value: Any, params: Mapping[str, Any], node: Any, ctx: RenderContext
) -> tuple[str, Address | None]:
    """One value in one format, and the token it counts when it is a token amount."""
    number = to_int(value) if fmt in ("amount", "tokenAmount", "date", "duration", "unit", "nftName") else None
    if fmt == "addressName":
        addr = _address(value)
        return (addr, None) if addr else (render_raw(value), None)
    if fmt == "amount" and number is not None:
        return _native(number, ctx), None
    if fmt == "tokenAmount" and number is not None:
        return _token_amount(number, params, node, ctx)
    if fmt == "date" and number is not None:
        return _date(number, params), None
    if fmt == "duration" and number is not None:
        return _duration(number), None
    if fmt == "unit" and number is not None:
        return _unit(number, params), None
    if fmt == "enum":
        names = params.get("enum") or {}
        key = str(to_int(value)) if to_int(value) is not None else str(value)
        return str(names.get(key, render_raw(value))), None
    if fmt == "nftName" and number is not None:
        found = resolve(str(params["collectionPath"]), node, ctx) if "collectionPath" in params else []
        collection = _address(found[0]) if found else _address(params.get("collection"))
        return f"#{number} of collection {collection or 'unknown'}", collection
    if fmt == "calldata" and ctx.decode_nested is not None:
        raw = _as_bytes(value)
        if raw is not None:
            return ctx.decode_nested(raw), None
    return render_raw(value), None


def _hidden(visible: Any, value: Any) -> bool:
    if isinstance(visible, Mapping):
        if "ifNotIn" in visible:
            return render_raw(value).lower() in {render_raw(v).lower() for v in visible["ifNotIn"]}
        return "mustMatch" in visible
    return False


def render_fields(
    fields: list[Mapping[str, Any]], node: Any, ctx: RenderContext, prefix: str = ""
) -> list[LabelledField]:
    """Every visible field, groups expanded (each ``[]`` element renders its own fields)."""
    out: list[LabelledField] = []
    for field in fields:
        path = str(field.get("path", ""))
        if "fields" in field:
            for sub in resolve(path, node, ctx) if path else [node]:
                out.extend(render_fields(field["fields"], sub, ctx, f"{prefix}{path}."))
            continue
        values = [field["value"]] if "value" in field else resolve(path, node, ctx)
        for value in values:
            if _hidden(field.get("visible"), value):
                continue
            text, token = render_value(str(field.get("format", "raw")), value, field.get("params", {}), node, ctx)
            raw = value if isinstance(value, (int, str)) and not isinstance(value, bool) else None
            out.append(
                LabelledField(
                    label=str(field.get("label", path)),
                    text=text,
                    format=str(field.get("format", "raw")),
                    path=prefix + path,
                    value=raw,
                    token=token,
                )
            )
            if len(out) >= 4 * MAX_ITEMS:
                return out
    return out
