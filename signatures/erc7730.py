"""ERC-7730 clear-signing descriptors (Ledger's registry, CC0-1.0) as a source of intent text.

A descriptor matches calldata by (chain id, contract address, selector) and EIP-712 messages by
(chain id, verifying contract, primary type), or by (domain name, primary type) only when the
message names no verifying contract. What matched is display text from the descriptor, never a
verdict: the built-in decoders still decide what a request does, and a phishing site can copy
any domain name. The index is read lazily from the package, once (``data/erc7730/``).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from txfirewall.model.intent import Intent, LabelledField
from txfirewall.model.primitives import Address
from txfirewall.model.request import Request, TypedDataRequest
from txfirewall.model.text import safe_text
from txfirewall.signatures.erc7730_abi import decode_named
from txfirewall.signatures.erc7730_format import RenderContext, render_fields

INDEX_FILE = "index.json.gz"


@dataclass(frozen=True)
class ClearSigning:
    """What a matching descriptor says: its intent, whose descriptor it is, the labelled fields."""

    intent: str
    owner: str
    fields: tuple[LabelledField, ...]
    signature: str


@cache
def load_index() -> dict[str, Any]:
    """The compact descriptor index shipped with the package (built by ``tools/build_erc7730.py``)."""
    data = resources.files("txfirewall.signatures").joinpath("data", "erc7730", INDEX_FILE).read_bytes()
    index: dict[str, Any] = json.loads(gzip.decompress(data))
    return index


def descriptor_owner(chain_id: int | None, address: Address) -> str | None:
    """Who publishes a clear-signing descriptor for the contract at ``address`` on ``chain_id``
    (``1inch Network``, ``Uniswap Labs``...): a deployment the registry names is a contract."""
    if chain_id is None:
        return None
    index = load_index()
    key = f"{chain_id}:{address.lower()}"
    ids = [*index["calls"].get(key, {}).values(), *(i for v in index["typed"].get(key, {}).values() for i in v)]
    if ids:
        return str(index["formats"][ids[0]].get("owner") or "ERC-7730 descriptor")
    token = index["tokens"].get(key)
    return f"token {token[0]}" if token else None


@cache
def _typed_deployments() -> dict[int, frozenset[str]]:
    """Format id -> the lowercase addresses (any chain) whose typed-data descriptors use it."""
    out: dict[int, set[str]] = {}
    for key, by_type in load_index()["typed"].items():
        address = key.split(":", 1)[1]
        for ids in by_type.values():
            for fid in ids:
                out.setdefault(fid, set()).add(address)
    return {fid: frozenset(addresses) for fid, addresses in out.items()}


def domain_name_deployments(name: str) -> frozenset[str] | None:
    """The contracts (lowercase addresses, on any chain) that the ERC-7730 registry describes for
    EIP-712 messages whose domain is called ``name``; None when no descriptor uses that name."""
    by_type = load_index()["typed_by_domain_name"].get(name)
    if not by_type:
        return None
    deployments = _typed_deployments()
    return frozenset(a for ids in by_type.values() for fid in ids for a in deployments.get(fid, ()))


def _nested_text(data: bytes) -> str:
    from txfirewall.signatures.calldata import decode_calldata  # late: calldata imports are heavy

    call = decode_calldata(data).call
    if call is not None:
        return call.signature
    return f"unknown function 0x{data[:4].hex()}" if len(data) >= 4 else "0x" + data.hex()


def _tokens(index: Mapping[str, Any]) -> dict[str, tuple[str, int]]:
    return {k: (str(v[0]), int(v[1])) for k, v in index["tokens"].items()}


def match_calldata(
    chain_id: int | None, to: Address, data: bytes, value: int = 0, sender: Address | None = None
) -> ClearSigning | None:
    """The descriptor display for a call, or None when no descriptor covers it or it does not decode."""
    if len(data) < 4 or chain_id is None:
        return None
    index = load_index()
    fid = index["calls"].get(f"{chain_id}:{to.lower()}", {}).get("0x" + data[:4].hex())
    if fid is None:
        return None
    fmt = index["formats"][fid]
    decoded = decode_named(fmt["abi"], data)
    if decoded is None:
        return None
    container = {"to": to, "value": value, "from": sender, "chainId": chain_id}
    ctx = RenderContext(
        root=decoded, container=container, chain_id=chain_id, tokens=_tokens(index), decode_nested=_nested_text
    )
    fields = render_fields(fmt["fields"], decoded, ctx)
    return ClearSigning(fmt["intent"], fmt["owner"], tuple(fields), fmt["signature"])


def _typed_candidates(td: TypedDataRequest) -> list[int]:
    index = load_index()
    if td.verifying_contract is not None and td.domain_chain_id is not None:
        key = f"{td.domain_chain_id}:{td.verifying_contract.lower()}"
        return list(index["typed"].get(key, {}).get(td.primary_type, []))
    name = td.domain.get("name")
    if isinstance(name, str):
        return list(index["typed_by_domain_name"].get(name, {}).get(td.primary_type, []))
    return []


def _fields_of(key: str) -> tuple[tuple[str, str], ...]:
    """``Permit(address owner,uint256 value)`` -> ``(("owner", "address"), ("value", "uint256"))``."""
    inner = key[key.index("(") + 1 : key.rindex(")")] if "(" in key else ""
    pairs = (p.split() for p in inner.split(",") if p.strip())
    return tuple((p[-1], p[0]) for p in pairs if len(p) == 2)


def match_typed_data(td: TypedDataRequest) -> ClearSigning | None:
    """The descriptor display for an EIP-712 message whose primary type is the key's: the same
    fields with the same types in the same order (what the type hash covers). A document that
    reuses the names with other types (a ``uint256 spender``) is another message: no descriptor."""
    index = load_index()
    own = tuple(td.types.get(td.primary_type, ()))
    for fid in _typed_candidates(td):
        fmt = index["formats"][fid]
        if _fields_of(fmt["key"]) != own:
            continue
        chain_id = td.domain_chain_id
        container = {"to": td.verifying_contract, "from": td.signer, "chainId": chain_id, "value": 0}
        ctx = RenderContext(
            root=td.message, container=container, chain_id=chain_id, tokens=_tokens(index), decode_nested=_nested_text
        )
        fields = render_fields(fmt["fields"], td.message, ctx)
        return ClearSigning(fmt["intent"], fmt["owner"], tuple(fields), fmt["key"].split("(", 1)[0])
    return None


def with_clear_signing(intent: Intent, request: Request) -> Intent:
    """``intent`` with the matching descriptor's intent and fields, if any (else unchanged).

    Descriptor data is display text: a malformed index or value never stops the decode."""
    try:
        clear = None
        tx = request.transaction
        if request.typed_data is not None:
            clear = match_typed_data(request.typed_data)
        elif tx is not None and tx.to is not None and request.calls is None:
            clear = match_calldata(tx.chain_id, tx.to, tx.data, tx.value, tx.sender)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError):
        return replace(intent, notes=(*intent.notes, "an ERC-7730 descriptor matched but could not be rendered"))
    if clear is None:
        return intent
    return replace(intent, clear_intent=clear.intent, clear_owner=clear.owner or None, clear_fields=clear.fields)


def clear_summary(intent: Intent, limit: int = 4) -> str | None:
    """One line from a descriptor: ``Swap (1inch Network): Amount to Send 1 ETH; Beneficiary 0x...``."""
    if not intent.clear_intent:
        return None
    fields = intent.clear_fields
    shown = "; ".join(f"{f.label} {f.text}" for f in fields[:limit])
    more = f" (+{len(fields) - limit} more)" if len(fields) > limit else ""
    owner = f" ({safe_text(intent.clear_owner, limit=40)})" if intent.clear_owner else ""
    return f"{intent.clear_intent}{owner}: {shown}{more}" if shown else f"{intent.clear_intent}{owner}"
