"""One context that must fire and one that must not, for every built-in rule.

Contexts are built from real parsed requests and decoded intents; only the facts a node would
supply (code, simulation results) are written in, in the exact model the pipeline produces.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from pathlib import Path
from types import MappingProxyType

from eth_abi import encode
from eth_utils import keccak

from tests.support.safe_tx import safe_tx_request
from txfirewall.enrich.bytecode import scan_code
from txfirewall.enrich.history import HistoryIndex
from txfirewall.enrich.origin import origin_facts
from txfirewall.intel.delegates import delegate_listing
from txfirewall.intel.domain_lists import DomainEntry, DomainLists
from txfirewall.model.chain_state import ChainState
from txfirewall.model.code import CodeFeatures
from txfirewall.model.context import AnalysisContext, StageFailure
from txfirewall.model.facts import (
    AddressFacts,
    ClusterInfo,
    HistoryEntry,
    Label,
    LabelCategory,
    Proximity,
    Relationship,
    TokenInfo,
)
from txfirewall.model.holdings import Holdings, TokenHolding
from txfirewall.model.intent import AssetAmount, Intent, IntentKind
from txfirewall.model.origin import DomainListKind
from txfirewall.model.primitives import MAX_UINT256, ZERO_ADDRESS, Address, ChainId, to_address
from txfirewall.model.simulation import (
    AssetKind,
    CallFrame,
    CodeChange,
    CodeChangeKind,
    Divergence,
    Simulation,
    SimulationStatus,
    Transfer,
    net_changes,
)
from txfirewall.parse.request import parse_request
from txfirewall.signatures import decode_request

ALICE = to_address("0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4")
BOB = to_address("0x000000000000000000000000000000000000b0B0")
TOKEN = to_address("0x38A41bE4b4161A4d6bb4Facb9151020420D1b769")
DRAINER = to_address("0x3Da56E1e6d91D7c783580b1b8fC2775efa54f8e0")
ROUTER = to_address("0x93e757e078Ad92ABade5a1238931cEB1a15bd53E")


def _calldata(signature: str, types: list[str], args: list[object]) -> str:
    return "0x" + (keccak(text=signature)[:4] + encode(types, args)).hex()


FRIEND = to_address("0x1234567890abcdef1234567890abcdef12345678")
POISON = to_address("0x1234ffffffffffffffffffffffffffffffff5678")
"""Same first 4 and last 4 hex digits as FRIEND: the look-alike a poisoner plants."""


def with_history(ctx: AnalysisContext, *entries: HistoryEntry) -> AnalysisContext:
    """The context the pipeline builds from a history: entries plus the sender's counterparties."""
    index = HistoryIndex(entries)
    sender = ctx.request.sender
    assert sender is not None
    return replace(
        ctx, history=index.entries, counterparties=index.counterparties(sender), baseline=index.baseline(sender)
    )


def paid(to: str, value: int = 10**18) -> HistoryEntry:
    return HistoryEntry(sender=ALICE, to=to_address(to), value=value)


def planted(frm: str) -> HistoryEntry:
    return HistoryEntry(sender=to_address(frm), to=ALICE, value=0)


def holding(ctx: AnalysisContext, native: int | None = None, **tokens: int) -> AnalysisContext:
    held = {to_address(t): TokenHolding(to_address(t), b, None) for t, b in tokens.items()}
    return replace(ctx, holdings=Holdings(owner=ALICE, native=native, tokens=MappingProxyType(held)))


def ctx_for(request: object, **changes: object) -> AnalysisContext:
    req = parse_request(request)  # type: ignore[arg-type]
    ctx = AnalysisContext(request=req, chain_id=ChainId(7357), intent=decode_request(req))
    return replace(ctx, **changes)  # type: ignore[arg-type]


def tx(to: str, data: str = "0x", value: int = 0, **extra: str) -> dict[str, object]:
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "eth_sendTransaction",
        "params": [{"from": ALICE, "to": to, "data": data, "value": hex(value), **extra}],
    }


def facts(
    address: Address, *, contract: bool | None, sent: int | None = None, labels: tuple[Label, ...] = ()
) -> AddressFacts:
    rel = None if sent is None else Relationship(sent, 0, None, None)
    return AddressFacts(address, ("test",), is_contract=contract, code_size=None, labels=labels, relationship=rel)


def with_facts(ctx: AnalysisContext, *items: AddressFacts, code_known: bool = True) -> AnalysisContext:
    return replace(ctx, addresses=MappingProxyType({f.address: f for f in items}), code_known=code_known)


def simulated(
    ctx: AnalysisContext,
    *transfers: Transfer,
    status: SimulationStatus = SimulationStatus.SUCCESS,
    revert_reason: str | None = None,
    code: tuple[CodeChange, ...] = (),
    divergence: Divergence | None = None,
) -> AnalysisContext:
    sim = Simulation(
        status=status,
        block_number=51,
        gas_used=50_000,
        transfers=transfers,
        changes=net_changes(transfers),
        revert_reason=revert_reason,
        code_changes=code,
        divergence=divergence,
    )
    return replace(ctx, simulation=sim)


MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11"
APPROVE_MAX = _calldata("approve(address,uint256)", ["address", "uint256"], [BOB, MAX_UINT256])
APPROVE_FINITE = _calldata("approve(address,uint256)", ["address", "uint256"], [BOB, 500])
APPROVE_ALL = _calldata("setApprovalForAll(address,bool)", ["address", "bool"], [DRAINER, True])


def nested_aggregate3(levels: int, inner_target: str = TOKEN, inner: str = APPROVE_MAX) -> str:
    """``inner`` wrapped in ``levels`` Multicall3 ``aggregate3`` calls (each aimed at MULTICALL3)."""
    target, data = inner_target, inner
    for _ in range(levels):
        data = _calldata(
            "aggregate3((address,bool,bytes)[])",
            ["(address,bool,bytes)[]"],
            [[(target, False, bytes.fromhex(data[2:]))]],
        )
        target = MULTICALL3
    return data


TOKEN2 = to_address("0x00000000000000000000000000000000000070c2")
TOKEN3 = to_address("0x00000000000000000000000000000000000070c3")
UNI_V2_ROUTER = to_address("0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D")
WETH = to_address("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2")


def known(address: Address, name: str) -> AddressFacts:
    return replace(facts(address, contract=True), known_as=name)


def _batch(n: int) -> AnalysisContext:
    calls = [{"to": BOB, "value": "0x1"} for _ in range(n)]
    return ctx_for(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "wallet_sendCalls",
            "params": [{"version": "2.0.0", "from": ALICE, "chainId": "0x1cbd", "calls": calls}],
        }
    )


def _creation(data: str, value: int) -> AnalysisContext:
    return ctx_for(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_sendTransaction",
            "params": [{"from": ALICE, "data": data, "value": hex(value)}],
        }
    )


def _three_approvals(tokens: tuple[str, ...]) -> str:
    calls = [(tok, False, bytes.fromhex(APPROVE_MAX[2:])) for tok in tokens]
    return _calldata("aggregate3((address,bool,bytes)[])", ["(address,bool,bytes)[]"], [calls])


def _gas(ctx: AnalysisContext, gas_used: int) -> AnalysisContext:
    assert ctx.simulation is not None
    return replace(ctx, simulation=replace(ctx.simulation, gas_used=gas_used))


BROKEN_CHECKSUM = "0x79482941438F16cC093e6Fb410BaA77A9823026F"
"""Bob's fixture address with one letter's case flipped: a hand edit."""
TRANSFER_TO_TOKEN = _calldata("transfer(address,uint256)", ["address", "uint256"], [TOKEN, 5])
TRANSFER_TO_BOB = _calldata("transfer(address,uint256)", ["address", "uint256"], [BOB, 5])


def habitual(n: int = 30) -> tuple[HistoryEntry, ...]:
    """``n`` payments of 0.1 ETH to FRIEND, at 14:00 UTC, each through ``transfer``."""
    return tuple(
        HistoryEntry(
            ALICE,
            FRIEND,
            10**17,
            timestamp=1_700_000_000 + 86400 * i - 1_700_000_000 % 86400 + 14 * 3600,
            method="transfer",
        )
        for i in range(n)
    )


def _zeroex_nft_order(payment_token: str) -> AnalysisContext:
    import json as _json

    doc = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "ERC721Order": [
                {"name": n, "type": ty}
                for n, ty in (
                    ("direction", "uint8"),
                    ("maker", "address"),
                    ("taker", "address"),
                    ("expiry", "uint256"),
                    ("nonce", "uint256"),
                    ("erc20Token", "address"),
                    ("erc20TokenAmount", "uint256"),
                    ("erc721Token", "address"),
                    ("erc721TokenId", "uint256"),
                )
            ],
        },
        "primaryType": "ERC721Order",
        "domain": {
            "name": "ZeroEx",
            "chainId": 7357,
            "verifyingContract": "0xDef1C0ded9bec7F1a1670819833240f027b25EfF",
        },
        "message": {
            "direction": 0,
            "maker": ALICE,
            "taker": "0x0000000000000000000000000000000000000000",
            "expiry": "1900000000",
            "nonce": "1",
            "erc20Token": payment_token,
            "erc20TokenAmount": str(10**18),
            "erc721Token": TOKEN2,
            "erc721TokenId": "7",
        },
    }
    return ctx_for({"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [ALICE, _json.dumps(doc)]})


CLAIM = "0x" + keccak(text="Claim()")[:4].hex()
ETH_OUT = Transfer(AssetKind.NATIVE, None, ALICE, DRAINER, 10**18)


def _eth_sign() -> AnalysisContext:
    return ctx_for({"jsonrpc": "2.0", "id": 1, "method": "eth_sign", "params": [ALICE, "0x" + "ab" * 32]})


def _personal(payload: bytes) -> AnalysisContext:
    return ctx_for({"jsonrpc": "2.0", "id": 1, "method": "personal_sign", "params": ["0x" + payload.hex(), ALICE]})


Pair = tuple[Callable[[], AnalysisContext], Callable[[], AnalysisContext]]


def _near(hops_from: int | None, hops_to: int | None) -> AnalysisContext:
    prox = Proximity(hops_from, hops_to, 0.5, (DRAINER, BOB), ClusterInfo(0, 3, ("Fake_Phishing1",), ("phishing",)))
    ctx = with_facts(ctx_for(tx(BOB, value=1)), replace(facts(BOB, contract=False), proximity=prox))
    return replace(ctx, proximity_known=True)


def _risky(risk: float, labels: tuple[Label, ...] = ()) -> AnalysisContext:
    prox = Proximity(
        None, None, 0.0, risk=risk, reasons=("received from 212 addresses and forwarded 98 % within an hour",)
    )
    ctx = with_facts(ctx_for(tx(BOB, value=1)), replace(facts(BOB, contract=False, labels=labels), proximity=prox))
    return replace(ctx, proximity_known=True)


RULE_FIXTURES: dict[str, Pair] = {
    "eth-sign-raw-hash": (_eth_sign, lambda: _personal(b"hello")),
    "chain-id-mismatch": (lambda: ctx_for(tx(BOB, chainId="0x1")), lambda: ctx_for(tx(BOB, chainId="0x1cbd"))),
    "unanalysed-signing-request": (
        lambda: ctx_for({"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [ALICE, "{}"]}),
        _eth_sign,
    ),
    "opaque-message-signature": (lambda: _personal(b"\xff" * 32), lambda: _personal(b"Sign in to example")),
    "unlimited-approval-to-eoa": (
        lambda: with_facts(ctx_for(tx(TOKEN, APPROVE_MAX)), facts(BOB, contract=False)),
        lambda: with_facts(ctx_for(tx(TOKEN, APPROVE_FINITE)), facts(BOB, contract=False)),
    ),
    "approval-to-eoa": (
        lambda: with_facts(ctx_for(tx(TOKEN, APPROVE_FINITE)), facts(BOB, contract=False)),
        lambda: with_facts(ctx_for(tx(TOKEN, APPROVE_FINITE)), facts(BOB, contract=True)),
    ),
    "call-tree-truncated": (
        lambda: ctx_for(tx(MULTICALL3, nested_aggregate3(9))),
        lambda: ctx_for(tx(MULTICALL3, nested_aggregate3(2))),
    ),
    "unlimited-approval-to-unfamiliar-contract": (
        lambda: with_facts(ctx_for(tx(TOKEN, APPROVE_ALL)), facts(DRAINER, contract=True, sent=0)),
        lambda: with_facts(ctx_for(tx(TOKEN, APPROVE_ALL)), facts(DRAINER, contract=True, sent=3)),
    ),
    "value-to-scam-selector": (lambda: ctx_for(tx(DRAINER, CLAIM, 10**18)), lambda: ctx_for(tx(DRAINER, CLAIM, 0))),
    "assets-to-unfamiliar-contract": (
        lambda: with_facts(simulated(ctx_for(tx(DRAINER, CLAIM, 10**18)), ETH_OUT), facts(DRAINER, contract=True)),
        lambda: with_facts(
            simulated(ctx_for(tx(DRAINER, CLAIM, 10**18)), ETH_OUT), facts(DRAINER, contract=True, sent=2)
        ),
    ),
    "address-poisoning-lookalike": (
        lambda: with_history(ctx_for(tx(POISON, value=10**18)), paid(FRIEND), planted(POISON)),
        lambda: with_history(ctx_for(tx(FRIEND, value=10**18)), paid(FRIEND), planted(POISON)),
    ),
    "most-of-balance-to-new-address": (
        lambda: holding(with_history(ctx_for(tx(BOB, value=95 * 10**16)), paid(FRIEND)), native=10**18),
        lambda: holding(with_history(ctx_for(tx(FRIEND, value=95 * 10**16)), paid(FRIEND)), native=10**18),
    ),
    "send-to-burn-address": (
        lambda: ctx_for(tx(ZERO_ADDRESS, value=1)),
        lambda: ctx_for(tx(BOB, value=1)),
    ),
    "tokens-to-token-contract": (
        lambda: ctx_for(tx(TOKEN, TRANSFER_TO_TOKEN)),
        lambda: ctx_for(tx(TOKEN, TRANSFER_TO_BOB)),
    ),
    "tokens-to-protocol-contract": (
        lambda: with_facts(ctx_for(tx(UNI_V2_ROUTER, value=10**17)), known(UNI_V2_ROUTER, "Uniswap V2: Router 02")),
        lambda: with_facts(ctx_for(tx(WETH, value=10**17)), known(WETH, "Wrapped Ether (WETH9)")),
    ),
    "calldata-to-eoa": (
        lambda: with_facts(ctx_for(tx(BOB, "0x12345678")), facts(BOB, contract=False)),
        lambda: with_facts(ctx_for(tx(BOB, "0x12345678")), facts(BOB, contract=True)),
    ),
    "broken-address-checksum": (
        lambda: ctx_for(tx(BROKEN_CHECKSUM, value=1)),
        lambda: ctx_for(tx(BROKEN_CHECKSUM.lower(), value=1)),
    ),
    "excessive-fee": (
        lambda: ctx_for(tx(BOB, value=1, gas="0x5208", maxFeePerGas=hex(10**14), maxPriorityFeePerGas="0x1")),
        lambda: ctx_for(tx(BOB, value=1, gas="0x5208", maxFeePerGas=hex(30 * 10**9), maxPriorityFeePerGas="0x1")),
    ),
    "gas-limit-below-minimum": (
        lambda: ctx_for(tx(BOB, value=1, gas=hex(20_000))),
        lambda: ctx_for(tx(BOB, value=1, gas=hex(21_000))),
    ),
    "creation-without-code": (
        lambda: _creation("0x6001", 10**18),
        lambda: _creation("0x" + "60" * 100, 0),
    ),
    "bulk-unlimited-approvals": (
        lambda: ctx_for(tx(MULTICALL3, _three_approvals((TOKEN, TOKEN2, TOKEN3)))),
        lambda: ctx_for(tx(MULTICALL3, _three_approvals((TOKEN,)))),
    ),
    "oversized-call-batch": (
        lambda: _batch(11),
        lambda: _batch(3),
    ),
    "approval-burns-gas": (
        lambda: _gas(simulated(ctx_for(tx(TOKEN, APPROVE_FINITE))), 2_500_000),
        lambda: simulated(ctx_for(tx(TOKEN, APPROVE_FINITE))),
    ),
    "ownership-to-plain-account": (
        lambda: with_facts(
            simulated(
                ctx_for(tx(ROUTER, "0xf2fde38b")),
                code=(CodeChange(CodeChangeKind.OWNER_CHANGED, ROUTER, BOB, DRAINER),),
            ),
            facts(DRAINER, contract=False),
        ),
        lambda: with_facts(
            simulated(
                ctx_for(tx(ROUTER, "0xf2fde38b")),
                code=(CodeChange(CodeChangeKind.OWNER_CHANGED, ROUTER, BOB, DRAINER),),
            ),
            facts(DRAINER, contract=True),
        ),
    ),
    "permit-owner-not-signer": (
        lambda: _typed(7357, owner=BOB),
        lambda: _typed(7357),
    ),
    "unusual-for-you": (
        lambda: with_history(replace(ctx_for(tx(FRIEND, value=50 * 10**18)), now=1_800_000_000), *habitual()),
        lambda: with_history(replace(ctx_for(tx(FRIEND, value=10**17)), now=1_800_000_000), *habitual()),
    ),
    "order-paid-in-unknown-token": (
        lambda: _zeroex_nft_order(TOKEN3),
        lambda: with_facts(_zeroex_nft_order(WETH), known(WETH, "Wrapped Ether (WETH9)")),
    ),
    "first-transfer-to-address": (
        lambda: with_facts(ctx_for(tx(BOB, value=1), history=()), facts(BOB, contract=False, sent=0)),
        lambda: with_facts(ctx_for(tx(BOB, value=1), history=()), facts(BOB, contract=False, sent=1)),
    ),
    "illicit-counterparty": (
        lambda: with_facts(
            ctx_for(tx(BOB, value=1)),
            facts(BOB, contract=False, labels=(Label(BOB, "Fake_Phishing123", "test", LabelCategory.PHISHING),)),
        ),
        lambda: with_facts(
            ctx_for(tx(BOB, value=1)),
            facts(BOB, contract=False, labels=(Label(BOB, "Binance 14", "test", LabelCategory.EXCHANGE),)),
        ),
    ),
    "counterparty-near-illicit": (lambda: _near(1, None), lambda: _near(None, None)),
    "counterparty-graph-risk": (
        lambda: _risky(0.95),
        lambda: _risky(0.99, (Label(BOB, "Binance 14", "test", LabelCategory.EXCHANGE),)),
    ),
    "simulation-reverted": (
        lambda: simulated(ctx_for(tx(ROUTER, "0x12345678")), status=SimulationStatus.REVERTED, revert_reason="EXPIRED"),
        lambda: simulated(ctx_for(tx(ROUTER, "0x12345678"))),
    ),
    "simulation-unavailable": (
        lambda: replace(ctx_for(tx(BOB, value=1)), simulation=Simulation(SimulationStatus.FAILED, error="timeout")),
        lambda: simulated(ctx_for(tx(BOB, value=1))),
    ),
    "analysis-stage-failed": (
        lambda: replace(ctx_for(tx(BOB, value=1)), failures=(StageFailure("enrich", "timed out"),)),
        lambda: ctx_for(tx(BOB, value=1)),
    ),
    "simulation-divergence": (
        lambda: simulated(
            ctx_for(tx(DRAINER, CLAIM, 10**18)), ETH_OUT, divergence=Divergence("differs", ("a",), ("b",))
        ),
        lambda: simulated(ctx_for(tx(DRAINER, CLAIM, 10**18)), ETH_OUT),
    ),
    "account-delegation-set": (
        lambda: simulated(
            ctx_for(tx(ALICE, value=0)), code=(CodeChange(CodeChangeKind.DELEGATION_SET, ALICE, None, DRAINER),)
        ),
        lambda: simulated(
            ctx_for(tx(ALICE, value=0)), code=(CodeChange(CodeChangeKind.DELEGATION_CLEARED, ALICE, DRAINER, None),)
        ),
    ),
    "proxy-upgraded": (
        lambda: simulated(
            ctx_for(tx(ROUTER, "0x3659cfe6")),
            code=(CodeChange(CodeChangeKind.IMPLEMENTATION_CHANGED, ROUTER, BOB, DRAINER),),
        ),
        lambda: simulated(
            ctx_for(tx(ROUTER, "0x3659cfe6")),
            code=(CodeChange(CodeChangeKind.CONTRACT_CREATED, DRAINER, None, None, code_size=10),),
        ),
    ),
    "ownership-transferred": (
        lambda: simulated(
            ctx_for(tx(ROUTER, "0xf2fde38b")), code=(CodeChange(CodeChangeKind.OWNER_CHANGED, ROUTER, BOB, DRAINER),)
        ),
        lambda: simulated(
            ctx_for(tx(ROUTER, "0xf2fde38b")), code=(CodeChange(CodeChangeKind.OWNER_CHANGED, ROUTER, None, BOB),)
        ),
    ),
    "lookalike-token-symbol": (
        lambda: replace(
            ctx_for(tx(TOKEN, value=0)),
            tokens=MappingProxyType({TOKEN: TokenInfo(TOKEN, "USD\u0422", "Tether USD", 6)}),
        ),
        lambda: replace(
            ctx_for(tx(TOKEN, value=0)), tokens=MappingProxyType({TOKEN: TokenInfo(TOKEN, "USDT", "Tether USD", 6)})
        ),
    ),
}


# --- parse/decode rules (issue 3): typed data, permits, raw transactions, calldata, sign-in ---


def _typed(chain_id: int, spender: str = BOB, value: int = MAX_UINT256, owner: str = ALICE) -> AnalysisContext:
    import json as _json

    doc = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [
                {"name": n, "type": t}
                for n, t in (
                    ("owner", "address"),
                    ("spender", "address"),
                    ("value", "uint256"),
                    ("nonce", "uint256"),
                    ("deadline", "uint256"),
                )
            ],
        },
        "primaryType": "Permit",
        "domain": {"name": "Test USD", "chainId": chain_id, "verifyingContract": TOKEN},
        "message": {"owner": owner, "spender": spender, "value": str(value), "nonce": "0", "deadline": "1825027200"},
    }
    return ctx_for({"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [ALICE, _json.dumps(doc)]})


def _raw(**tx_fields: object) -> AnalysisContext:
    from eth_account import Account

    acct = Account.from_key("0x" + "11" * 32)
    base: dict[str, object] = {"nonce": 0, "gas": 60_000, "to": BOB.lower(), "value": 1, "data": b""}
    signed = acct.sign_transaction({**base, **tx_fields})
    return ctx_for(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_sendRawTransaction",
            "params": ["0x" + bytes(signed.raw_transaction).hex()],
        }
    )


PERMIT2 = to_address("0x000000000022D473030F116dDEE9F6B43aC78BA3")
_PERMIT2_DETAILS = [
    {"name": "token", "type": "address"},
    {"name": "amount", "type": "uint160"},
    {"name": "expiration", "type": "uint48"},
    {"name": "nonce", "type": "uint48"},
]


def _permit2_typed(
    domain_name: str, verifying_contract: str, spender: str = ROUTER, *, batch: bool = False
) -> AnalysisContext:
    """A Permit2 PermitSingle (or PermitBatch over two tokens) under the given domain."""
    import json as _json

    detail = {"token": TOKEN, "amount": str(10**6), "expiration": "1825027200", "nonce": "0"}
    primary = "PermitBatch" if batch else "PermitSingle"
    doc = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            primary: [
                {"name": "details", "type": "PermitDetails[]" if batch else "PermitDetails"},
                {"name": "spender", "type": "address"},
                {"name": "sigDeadline", "type": "uint256"},
            ],
            "PermitDetails": _PERMIT2_DETAILS,
        },
        "primaryType": primary,
        "domain": {"name": domain_name, "chainId": 7357, "verifyingContract": verifying_contract},
        "message": {
            "details": [detail, {**detail, "token": TOKEN2}] if batch else detail,
            "spender": spender,
            "sigDeadline": "1825027200",
        },
    }
    return ctx_for({"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [ALICE, _json.dumps(doc)]})


def _set_code(auth_chain: int) -> AnalysisContext:
    from eth_account import Account

    acct = Account.from_key("0x" + "11" * 32)
    auth = acct.sign_authorization({"chainId": auth_chain, "address": DRAINER, "nonce": 1})
    return _raw(type=4, chainId=7357, maxFeePerGas=10, maxPriorityFeePerGas=1, accessList=[], authorizationList=[auth])


def _siwe(origin: str) -> AnalysisContext:
    text = (
        f"app.example wants you to sign in with your Ethereum account:\n{ALICE}\n\nSign in.\n\n"
        "URI: https://app.example\nVersion: 1\nChain ID: 7357\nNonce: 12345678\nIssued At: 2026-01-01T00:00:00Z"
    )
    ctx = _personal(text.encode())
    return replace(ctx, request=replace(ctx.request, origin=origin))


def _unanalysed() -> AnalysisContext:
    from txfirewall.model.request import Method, Request

    req = Request(method=Method.SIGN_TYPED_DATA_V4, id=1)
    return AnalysisContext(request=req, chain_id=ChainId(7357), intent=decode_request(req))


_AMBIGUOUS = "0x00000000" + encode(["uint256"], [5]).hex()

RULE_FIXTURES["unanalysed-signing-request"] = (_unanalysed, _eth_sign)
RULE_FIXTURES.update(
    {
        "typed-data-chain-mismatch": (lambda: _typed(1), lambda: _typed(7357)),
        "permit-to-eoa": (
            lambda: with_facts(_typed(7357), facts(BOB, contract=False)),
            lambda: with_facts(_typed(7357), facts(BOB, contract=True, sent=2)),
        ),
        "permit-to-unfamiliar-spender": (
            lambda: with_facts(_typed(7357), facts(BOB, contract=True, sent=0)),
            lambda: with_facts(_typed(7357), facts(BOB, contract=True, sent=3)),
        ),
        "deceptive-typed-data-domain": (
            lambda: with_facts(_permit2_typed("Permit2", DRAINER), facts(DRAINER, contract=True, sent=0)),
            lambda: with_facts(_permit2_typed("Permit2", PERMIT2), known(PERMIT2, "Uniswap: Permit2")),
        ),
        "permit2-batch-to-unknown-spender": (
            lambda: with_facts(
                _permit2_typed("Permit2", PERMIT2, DRAINER, batch=True), facts(DRAINER, contract=True, sent=0)
            ),
            lambda: with_facts(
                _permit2_typed("Permit2", PERMIT2, ROUTER, batch=True), known(ROUTER, "Uniswap: Universal Router")
            ),
        ),
        "delegation-any-chain": (lambda: _set_code(0), lambda: _set_code(7357)),
        "unprotected-raw-transaction": (lambda: _raw(gasPrice=10), lambda: _raw(gasPrice=10, chainId=7357)),
        "ambiguous-selector": (lambda: ctx_for(tx(ROUTER, _AMBIGUOUS)), lambda: ctx_for(tx(TOKEN, APPROVE_FINITE))),
        "undecodable-calldata-to-contract": (
            lambda: with_facts(ctx_for(tx(ROUTER, "0xdeadbeef")), facts(ROUTER, contract=True)),
            lambda: with_facts(ctx_for(tx(ROUTER, "0xdeadbeef")), facts(ROUTER, contract=False)),
        ),
        "siwe-domain-mismatch": (lambda: _siwe("https://evil.example"), lambda: _siwe("https://app.example")),
    }
)


# --- contract age (issue 5): a drainer created two hours before the pinned block vs. a 2024 contract ---


def _claim_to_contract_aged(age_seconds: int) -> AnalysisContext:
    dated = replace(
        facts(DRAINER, contract=True, sent=0),
        roles=("called", "receives-your-assets"),
        created_at_block=40,
        created_at=1793491200 - age_seconds,
        age_seconds=age_seconds,
        age_source="creation-block",
    )
    return with_facts(simulated(ctx_for(tx(DRAINER, CLAIM, 10**18), history=()), ETH_OUT), dated)


RULE_FIXTURES["fresh-contract-counterparty"] = (
    lambda: _claim_to_contract_aged(2 * 3600),
    lambda: _claim_to_contract_aged(700 * 86400),
)


# --- marketplace orders (issue 4): a free listing vs. a paid one ---


def _order(*receives: AssetAmount) -> AnalysisContext:
    return replace(
        ctx_for(tx(BOB, value=0)),
        intent=Intent(
            kind=IntentKind.ORDER,
            summary="order",
            gives=(AssetAmount("erc721", TOKEN, 1, token_id=1),),
            receives=receives,
        ),
    )


RULE_FIXTURES["order-for-nothing"] = (
    lambda: _order(),
    lambda: _order(AssetAmount("native", None, 10**18, recipient=ALICE)),
)


# --- origin: facts as the enrich stage computes them, from a small synthetic phishing list ---


def _origin_lists() -> DomainLists:
    fuzzy = [DomainEntry(d, DomainListKind.FUZZY, "test-list", 2) for d in ("metamask.io", "opensea.io")]
    allow = [DomainEntry(d, DomainListKind.ALLOW, "test-list") for d in ("metamask.io", "opensea.io")]
    block = [DomainEntry("claim-drop.example", DomainListKind.BLOCK, "test-list")]
    return DomainLists([*allow, *block, *fuzzy], {"test-list": "7"})


def from_origin(origin: str, *, used: tuple[str, ...] | None = None) -> AnalysisContext:
    """A plain transfer asked for by ``origin``; ``used``: the origins in the user's history."""
    ctx = ctx_for(tx(BOB, value=1))
    history = None if used is None else HistoryIndex(HistoryEntry(ALICE, BOB, 1, origin=o) for o in used)
    return replace(
        ctx,
        request=replace(ctx.request, origin=origin),
        history=None if history is None else history.entries,
        origin=origin_facts(origin, _origin_lists(), history),
    )


RULE_FIXTURES.update(
    {
        "origin-on-blocklist": (
            lambda: from_origin("https://wallet.claim-drop.example"),
            lambda: from_origin("https://app.uniswap.org"),
        ),
        "origin-imitates-known-site": (
            lambda: from_origin("https://metamsk.xyz"),
            lambda: from_origin("https://portfolio.metamask.io"),
        ),
        "origin-confusable-characters": (
            lambda: from_origin("https://uniswаp.org"),
            lambda: from_origin("https://app.uniswap.org"),
        ),
        "origin-lookalike-of-used-site": (
            lambda: from_origin("https://app.unlswap.org", used=("https://app.uniswap.org",)),
            lambda: from_origin("https://info.uniswap.org", used=("https://app.uniswap.org",)),
        ),
    }
)


# --- EIP-7702 delegates and the bytecode scan: real sample code, scanned by the kernel's Python twin ---

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "bytecode" / "samples.json"
KNOWN_SWEEPER = to_address("0x6B7879a5d747E30a3ADb37A9e41c046928FCE933")
METAMASK_DELEGATOR = to_address("0x63c0c19a282a1B52b07dD5a65b58948A07DAE32B")
CLONE = to_address("0x00000000000000000000000000000000000C1011")


@cache
def sample_code(name: str) -> CodeFeatures:
    """``CodeFeatures`` of a compiled sample from tests/data/bytecode (pure Python: no compile)."""
    code = bytes.fromhex(json.loads(SAMPLES.read_text())[name][2:])
    return scan_code(code, pure_python=True)


def minimal_proxy_code(implementation: Address) -> CodeFeatures:
    code = bytes.fromhex("363d3d373d3d3d363d73" + implementation[2:] + "5af43d82803e903d91602b57fd5bf3")
    return scan_code(code, pure_python=True)


def _delegating(delegate: Address) -> AnalysisContext:
    from eth_account import Account

    acct = Account.from_key("0x" + "11" * 32)
    auth = acct.sign_authorization({"chainId": 7357, "address": delegate, "nonce": 1})
    return _raw(type=4, chainId=7357, maxFeePerGas=10, maxPriorityFeePerGas=1, accessList=[], authorizationList=[auth])


def _delegate_facts(delegate: Address, code: CodeFeatures | None = None, *, node: bool = True) -> AddressFacts:
    return AddressFacts(
        delegate,
        ("delegate",),
        is_contract=(code is not None) if node else None,
        code=code,
        delegate_listing=delegate_listing(delegate),
    )


def _delegated_to(delegate: Address, code: CodeFeatures | None = None, *, node: bool = True) -> AnalysisContext:
    return with_facts(_delegating(delegate), _delegate_facts(delegate, code, node=node), code_known=node)


def _counterparty(request: object, address: Address, code: CodeFeatures, *roles: str) -> AnalysisContext:
    f = AddressFacts(address, roles, is_contract=True, code_size=code.size, code=code)
    return with_facts(ctx_for(request), f)


def _approve(spender: Address, amount: int) -> dict[str, object]:
    return tx(TOKEN, _calldata("approve(address,uint256)", ["address", "uint256"], [spender, amount]))


def _clone_of(implementation: Address, *labels: Label) -> AnalysisContext:
    clone = AddressFacts(CLONE, ("called",), is_contract=True, code=minimal_proxy_code(implementation))
    impl = AddressFacts(
        implementation,
        ("implementation",),
        is_contract=True,
        labels=labels,
        delegate_listing=delegate_listing(implementation),
    )
    return with_facts(ctx_for(tx(CLONE, CLAIM, 10**18)), clone, impl)


RULE_FIXTURES.update(
    {
        "delegation-to-known-sweeper": (
            lambda: _delegated_to(KNOWN_SWEEPER, node=False),
            # With a node: the accounts' current code was read too (without one the rule is skipped).
            lambda: _delegated_to(METAMASK_DELEGATOR, node=True),
        ),
        "delegate-sweeper-shape": (
            lambda: _delegated_to(DRAINER, sample_code("HardcodedSweeper")),
            lambda: _delegated_to(DRAINER, sample_code("BatchAccount")),
        ),
        "delegation-to-unknown-code": (
            lambda: _delegated_to(DRAINER, node=False),
            lambda: _delegated_to(METAMASK_DELEGATOR, node=False),
        ),
        "selfdestruct-in-counterparty": (
            lambda: _counterparty(tx(DRAINER, value=10**18), DRAINER, sample_code("Killable"), "recipient"),
            lambda: _counterparty(tx(DRAINER, value=10**18), DRAINER, sample_code("BatchAccount"), "recipient"),
        ),
        "delegatecall-to-arbitrary-target": (
            lambda: _counterparty(_approve(DRAINER, 10**6), DRAINER, sample_code("ArbitraryDelegator"), "spender"),
            lambda: _counterparty(_approve(DRAINER, 10**6), DRAINER, sample_code("SingletonProxy"), "spender"),
        ),
        "drainer-shape-spender": (
            lambda: _counterparty(_approve(DRAINER, MAX_UINT256), DRAINER, sample_code("ApprovalDrainer"), "spender"),
            lambda: _counterparty(_approve(DRAINER, 0), DRAINER, sample_code("ApprovalDrainer"), "spender"),
        ),
        "minimal-proxy-to-flagged-implementation": (
            lambda: _clone_of(KNOWN_SWEEPER),
            lambda: _clone_of(ROUTER),
        ),
    }
)


def _redelegating(new: Address, current: Address) -> AnalysisContext:
    """A type-4 authorization by the sender, whose account is delegated to ``current`` today."""
    ctx = _delegating(new)
    designator = scan_code(bytes.fromhex("ef0100" + current[2:]), pure_python=True)
    return replace(ctx, sender_code=designator, code_known=True)


RULE_FIXTURES["overwrites-existing-delegation"] = (
    lambda: _redelegating(METAMASK_DELEGATOR, KNOWN_SWEEPER),
    lambda: _redelegating(METAMASK_DELEGATOR, METAMASK_DELEGATOR),
)


def _on_state_confirmed(seconds_ago: float) -> AnalysisContext:
    """A plain send simulated on a fork whose block the node last confirmed ``seconds_ago``."""
    state = ChainState(
        number=21_000_000,
        hash="0x" + "ab" * 32,
        timestamp=1_700_000_000,
        age_s=seconds_ago + 5,
        confirmed_s_ago=seconds_ago,
        check_error="head check failed: cannot reach http://127.0.0.1:8545" if seconds_ago > 60 else None,
    )
    return replace(ctx_for(tx(BOB, value=10**18)), chain_state=state)


RULE_FIXTURES["stale-chain-state"] = (
    lambda: _on_state_confirmed(300.0),
    lambda: _on_state_confirmed(0.2),
)


# --- Safe DELEGATECALL (RELIABILITY A6.9, the Bybit class) ---

SAFE = to_address("0x5aFE3855358E112B5647B952709E6165e1c1eEEe")
SAFE_MULTISEND_CALL_ONLY = to_address("0x9641d764fc13c8B624c04430C7356C1C7C8102e2")
"""MultiSendCallOnly 1.4.1 at its canonical address (safe-global/safe-deployments)."""
SAFE_EXEC = "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)"
SAFE_EXEC_TYPES = [
    "address",
    "uint256",
    "bytes",
    "uint8",
    "uint256",
    "uint256",
    "uint256",
    "address",
    "address",
    "bytes",
]


def safe_exec(target: str, operation: int, inner: bytes = b"") -> str:
    """``execTransaction`` calldata: the Safe runs ``inner`` on ``target`` (0 CALL, 1 DELEGATECALL)."""
    args = [target, 0, inner, operation, 0, 0, 0, ZERO_ADDRESS, ZERO_ADDRESS, b""]
    return _calldata(SAFE_EXEC, SAFE_EXEC_TYPES, args)


def safe_tx_typed(target: str, operation: int, data: bytes = b"") -> AnalysisContext:
    """An owner's ``eth_signTypedData_v4`` of a SafeTx for SAFE (calling ``data`` on ``target``)."""
    request = safe_tx_request(ALICE, SAFE, 7357, target, operation, data)
    request["params"][1] = json.dumps(request["params"][1])
    return ctx_for(request)


def safe_drained(target: str, *, frame: bool = True) -> AnalysisContext:
    """SAFE DELEGATECALLs ``target``; simulated, 1.5 ETH leaves SAFE for DRAINER."""
    ctx = ctx_for(tx(SAFE, safe_exec(target, 1)))
    out = Transfer(AssetKind.NATIVE, None, SAFE, DRAINER, 1_500_000_000_000_000_000)
    frames = (CallFrame(1, "DELEGATECALL", SAFE, to_address(target), 0, None),) if frame else ()
    sim = Simulation(
        status=SimulationStatus.SUCCESS,
        block_number=51,
        gas_used=80_000,
        transfers=(out,),
        changes=net_changes((out,)),
        frames=frames,
    )
    return replace(ctx, simulation=sim)


RULE_FIXTURES.update(
    {
        "safe-delegatecall-unknown-target": (
            lambda: ctx_for(tx(SAFE, safe_exec(DRAINER, 1))),
            lambda: ctx_for(tx(SAFE, safe_exec(SAFE_MULTISEND_CALL_ONLY, 1))),
        ),
        "safe-funds-leave-via-delegatecall": (
            lambda: safe_drained(DRAINER),
            lambda: safe_drained(SAFE_MULTISEND_CALL_ONLY),
        ),
    }
)
