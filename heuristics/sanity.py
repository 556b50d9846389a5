"""Transaction format and fee sanity, the checks Clef and careful wallets run on every request.

Deliberately not reported: calldata that is not standard ABI (packed encodings are common in
routers and bots); fees within the cap (the market decides them); a missing gas limit (the wallet
estimates it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from txfirewall.heuristics.rule import Hit, NoParams, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.primitives import to_address
from txfirewall.model.text import format_units

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_MAX_WALK = 10_000
INTRINSIC_GAS = 21_000


def _strings(value: Any, path: str, budget: list[int]) -> Iterator[tuple[str, str]]:
    if budget[0] <= 0:
        return
    budget[0] -= 1
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}" if path else str(k), budget)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]", budget)


def bad_checksums(raw: Any) -> list[tuple[str, str]]:
    """(path, spelling) of every address written in mixed case whose EIP-55 checksum is wrong.
    All-lowercase and all-uppercase spellings carry no checksum and are fine."""
    out = []
    for path, text in _strings(raw, "", [_MAX_WALK]):
        if not _ADDRESS.fullmatch(text):
            continue
        digits = text[2:]
        if digits == digits.lower() or digits == digits.upper():
            continue
        if to_address(text) != text:
            out.append((path, text))
    return out


@rule(
    id="broken-address-checksum",
    title="Address with a broken EIP-55 checksum",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.REQUEST,),
)
def broken_address_checksum(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """A mixed-case address whose capitals do not match its EIP-55 checksum was edited by hand or
    tampered with (one changed digit keeps the look): Clef warns. The address may not be the one
    intended."""
    found = bad_checksums(ctx.request.raw.get("params", ctx.request.raw))
    if not found:
        return None
    path, spelling = found[0]
    return Hit(
        message=f"The address {spelling} (at {path or 'the request'}) is written with a broken checksum: its capital "
        f"letters do not match the address. It may have been mistyped or altered; the correct spelling is "
        f"{to_address(spelling)}. Copy it again from a trusted source.",
        evidence={"path": path, "given": spelling, "checksummed": to_address(spelling), "count": len(found)},
    )


@dataclass(frozen=True)
class FeeParams:
    max_fee_wei: int = 10**18
    """The most a transaction may cost in fees (gas limit x fee cap, plus the blobs' maximum fee)
    before it warns; geth and reth refuse to send above 1 ETH of fee by default (``--rpc.txfeecap``)."""


@rule(
    id="excessive-fee",
    title="The transaction may cost an excessive fee",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.REQUEST,),
    params=FeeParams,
)
def excessive_fee(ctx: AnalysisContext, params: FeeParams) -> Hit | None:
    """The most the transaction can cost in fees above the cap: gas x maxFeePerGas (or gasPrice),
    plus blobs x 131,072 x maxFeePerBlobGas for a blob transaction; for unsigned requests and raw
    signed transactions alike. A fat-fingered or malicious fee burns the user's ETH; geth's and
    reth's RPC refuse above 1 ETH (RELIABILITY A8 case 38). Not reported: a request without a gas
    limit or a fee cap (the wallet fills them in within its own cap)."""
    tx = ctx.request.transaction
    if tx is None or tx.max_fee is None:
        return None
    raw = ctx.request.raw_tx
    blob_fee = raw.max_blob_fee if raw is not None else 0
    total = tx.max_fee + blob_fee
    if total <= params.max_fee_wei:
        return None
    blobs = f" plus {format_units(blob_fee, 18)} ETH for {len(raw.blob_hashes)} blob(s)" if raw and blob_fee else ""
    return Hit(
        message=f"This transaction may cost up to {format_units(total, 18)} ETH in fees alone (gas limit {tx.gas:,} x "
        f"{format_units(tx.fee_cap or 0, 9)} gwei{blobs}), above the {format_units(params.max_fee_wei, 18)} ETH cap "
        "(policy: [rules.excessive-fee] params.max_fee_wei). Lower the fee unless you mean it.",
        evidence={
            "max_fee_wei": str(total),
            "gas": tx.gas,
            "fee_cap_wei": str(tx.fee_cap),
            "blob_fee_wei": str(blob_fee),
            "cap_wei": str(params.max_fee_wei),
        },
    )


@rule(
    id="gas-limit-below-minimum",
    title="Gas limit below what any transaction needs",
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    requires=(Fact.REQUEST,),
)
def gas_limit_below_minimum(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """Every transaction costs at least 21,000 gas: a lower limit cannot be mined (Rabby)."""
    tx = ctx.request.transaction
    if tx is None or tx.gas is None or tx.gas >= INTRINSIC_GAS:
        return None
    return Hit(
        message=f"The gas limit {tx.gas:,} is below the 21,000 every transaction needs: it cannot be mined.",
        evidence={"gas": tx.gas},
    )


@rule(
    id="creation-without-code",
    title="Contract creation with no code",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    requires=(Fact.REQUEST,),
)
def creation_without_code(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """A transaction with no recipient creates a contract from its data; with too little data to be
    init code (under 40 bytes; none at all is refused by the parser) it creates nothing useful and
    any ETH sent is locked forever (Clef: critical with value, warning under 40 bytes)."""
    tx = ctx.request.transaction
    if tx is None or tx.to is not None or len(tx.data) >= 40:
        return None
    return Hit(
        message="This transaction has no recipient, so it deploys a contract, but it carries "
        f"{len(tx.data)} bytes of code: nothing useful is created"
        + (f" and the {tx.value / 10**18:g} ETH sent with it is lost." if tx.value else ".")
        + " A missing 'to' is usually a wallet or app error.",
        evidence={"data_length": len(tx.data), "value": str(tx.value)},
        severity=Severity.CRITICAL if tx.value else Severity.HIGH,
    )
