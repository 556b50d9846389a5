"""What a person pastes or opens, made into a request the Firewall analyses.

Accepted, as for ``txfirewall check`` and more:

* a JSON-RPC request object (any signing method);
* a bare transaction object (``to``, ``data``, ``value``...), analysed as ``eth_sendTransaction``;
* hex only: a signed raw transaction, or an unsigned serialized one (``--from`` names the signer);
* EIP-712 typed data alone (``types``, ``primaryType``, ``domain``, ``message``): analysed as
  ``eth_signTypedData_v4`` by the account (``--from``);
* any other text: a message to sign, analysed as ``personal_sign`` by the account.

The text is parsed strictly (``loads_strict``: duplicate or case-variant keys are refused).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from txfirewall.errors import InputFileError, InvalidParamsError, InvalidRequestError
from txfirewall.model.primitives import is_address, to_address
from txfirewall.model.untrusted_json import loads_strict

MAX_REQUEST_BYTES = 5 * 1024 * 1024


def read_request_file(path: Path) -> bytes:
    """A request file's bytes (``InputFileError`` when it cannot be read or is too large)."""
    try:
        size = path.stat().st_size
        if size > MAX_REQUEST_BYTES:
            raise InputFileError(f"{path} is {size:,} bytes: over the 5 MiB a request may have")
        return path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read request {path}: {exc}") from exc


def _fill_sender(obj: dict[str, Any], account: str | None) -> None:
    """``--from`` fills a transaction's missing ``from`` and must match one that is set."""
    if account is None:
        return
    tx: Any = obj
    if "method" in obj:
        params = obj.get("params")
        tx = params[0] if isinstance(params, list) and params and isinstance(params[0], dict) else None
    if isinstance(tx, dict) and any(k in tx for k in ("to", "data", "value", "from")):
        if "from" not in tx:
            tx["from"] = to_address(account)
        elif not is_address(tx["from"]) or to_address(tx["from"]) != to_address(account):
            raise InvalidParamsError(f"the request is from {tx['from']} but --from is {account}")


def _needs_account(what: str, account: str | None) -> str:
    if account is None:
        raise InputFileError(f"{what} does not say who signs it: give your address (--from, or the From field)")
    return to_address(account)


def to_request(raw: bytes | str, *, account: str | None = None) -> dict[str, Any] | str:
    """The request object (or raw hex) for ``raw``; raises ``InvalidRequestError`` or
    ``InputFileError`` (an account is needed) with what is wrong."""
    if account is not None and not is_address(account):
        raise InputFileError(f"{account!r} is not an address")
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    stripped = text.strip()
    if not stripped:
        raise InvalidRequestError("nothing to analyse: the request is empty")
    if stripped[:2] in ("0x", "0X") and all(c in "0123456789abcdefABCDEF" for c in stripped[2:]):
        return stripped
    if stripped[0] in "{[":
        obj = loads_strict(stripped.encode("utf-8"))
        if not isinstance(obj, dict):
            raise InvalidRequestError(
                "the request must be one JSON object (a JSON-RPC request, a transaction, typed data)"
            )
        if "method" not in obj and {"types", "primaryType", "domain", "message"} <= set(obj):
            who = _needs_account("typed data", account)
            return {"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [who, obj]}
        _fill_sender(obj, account)
        return obj
    who = _needs_account("a message", account)
    return {"jsonrpc": "2.0", "id": 1, "method": "personal_sign", "params": ["0x" + text.encode("utf-8").hex(), who]}
