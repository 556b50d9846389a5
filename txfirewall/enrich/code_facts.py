"""Code facts for the enrich stage: every touched address's code, the sender's own code, and one
hop further where code points elsewhere, each scanned once per code hash.

One ``eth_getCode`` batch reads the touched addresses and the sender; a second, only when needed,
reads what that code points to: the current delegate of an EIP-7702 delegated account (its code is
``0xef0100 || delegate``) and the implementation of an EIP-1167 minimal proxy. Contracts the
simulation created do not exist on chain: their code comes from the simulation's state diff.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from txfirewall.enrich.bytecode import BytecodeScanner
from txfirewall.errors import RpcCallError
from txfirewall.model.code import CodeFeatures
from txfirewall.model.hashing import keccak256
from txfirewall.model.primitives import ZERO_ADDRESS, Address, parse_data

if TYPE_CHECKING:
    from txfirewall.chain.rpc_client import RpcClient

CURRENT_DELEGATE_ROLE = "current-delegate"
"""The delegate an account (the sender, or a counterparty) is delegated to before the request."""
IMPLEMENTATION_ROLE = "implementation"
"""The implementation behind a minimal proxy the request touches."""


@dataclass
class CodeFacts:
    """What the code reads found. ``codes`` holds every code read (empty bytes: no code)."""

    codes: dict[Address, bytes] = field(default_factory=dict)
    features: dict[Address, CodeFeatures] = field(default_factory=dict)
    followed: dict[Address, list[str]] = field(default_factory=dict)
    """Addresses found one hop away, with their roles."""
    sender_code: CodeFeatures | None = None


async def _get_codes(client: RpcClient, addresses: Sequence[Address], block: str) -> dict[Address, bytes]:
    if not addresses:
        return {}
    replies = await client.batch([("eth_getCode", [a, block]) for a in addresses])
    codes: dict[Address, bytes] = {}
    for address, reply in zip(addresses, replies, strict=True):
        if isinstance(reply, RpcCallError) or not isinstance(reply, str):
            continue
        try:
            codes[address] = parse_data(reply)
        except ValueError:
            continue
    return codes


async def scan_codes(codes: Mapping[Address, bytes], scanner: BytecodeScanner) -> dict[Address, CodeFeatures]:
    """Features of every non-empty code; cache misses are walked in a worker thread (the first
    walk of a process compiles the kernel or loads it from Numba's cache)."""
    hashes = {a: "0x" + keccak256(c).hex() for a, c in codes.items() if c}
    found: dict[Address, CodeFeatures] = {}
    missing: dict[str, bytes] = {}
    for address, code_hash in hashes.items():
        cached = scanner.cached(code_hash)
        if cached is not None:
            found[address] = cached
        else:
            missing[code_hash] = codes[address]
    if missing:
        scanned = {f.code_hash: f for f in await asyncio.to_thread(scanner.scan_many, list(missing.items()))}
        for features in scanned.values():
            scanner.remember(features)
        for address, code_hash in hashes.items():
            if address not in found:
                found[address] = scanned[code_hash]
    return found


def _pointed_to(features: CodeFeatures) -> tuple[Address, str] | None:
    if features.delegation_to is not None and features.delegation_to != ZERO_ADDRESS:
        return features.delegation_to, CURRENT_DELEGATE_ROLE
    if features.minimal_proxy_to is not None:
        return features.minimal_proxy_to, IMPLEMENTATION_ROLE
    return None


async def read_code_facts(
    client: RpcClient,
    addresses: Sequence[Address],
    sender: Address | None,
    *,
    created: Mapping[Address, bytes],
    block: str,
    scanner: BytecodeScanner,
) -> CodeFacts:
    """Read and scan the code of ``addresses`` and of ``sender``, then follow one hop."""
    first = [*addresses, sender] if sender is not None and sender not in addresses else list(addresses)
    out = CodeFacts(codes=await _get_codes(client, first, block))
    for address, code in created.items():
        if not out.codes.get(address):
            out.codes[address] = code
    out.features = await scan_codes(out.codes, scanner)
    follow: dict[Address, list[str]] = {}
    for features in out.features.values():
        pointed = _pointed_to(features)
        if pointed is not None:
            follow.setdefault(pointed[0], []).append(pointed[1])
    out.followed = follow
    fetch = [a for a in follow if a not in out.codes]
    if fetch:
        more = await _get_codes(client, fetch, block)
        out.codes.update(more)
        out.features.update(await scan_codes(more, scanner))
    if sender is not None:
        out.sender_code = out.features.get(sender)
        if sender not in addresses:
            out.features.pop(sender, None)
    return out
