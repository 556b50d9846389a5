"""Rules about Safe (Gnosis Safe) transactions that DELEGATECALL: the Bybit class (RELIABILITY A6.9).

A Safe ``execTransaction`` with ``operation = 1`` does not call its target: the Safe runs the
target's code *as itself*, with its own storage and balances. Code run that way can move everything
the Safe holds, add or remove owners, change the threshold, or replace the Safe's implementation
(Bybit, 2025-02-21: $1.5B). Benign Safe traffic DELEGATECALLs only Safe's own libraries: MultiSend
(the Safe{Wallet} batch), SignMessageLib, CreateCall, and the migration contracts. Those are listed
here by their official canonical (and ``eip155``) deployment addresses, so a batch is never reported.

Where the Safe's DELEGATECALLs are found: in the decoded call tree of a transaction (at any depth:
``execTransaction`` or a module's ``execTransactionFromModule`` inside a Multicall3 ``aggregate3``
or a ``wallet_sendCalls`` batch, and each ``multiSend`` entry with operation 1, which runs as the
Safe too), and in an ``eth_signTypedData`` of a ``SafeTx`` message (an owner's off-chain
signature, as the Bybit signers gave): its own operation, and the calls its ``data`` makes,
decoded the same way (a signed batch through MultiSend with a DELEGATECALL entry inside).

Deliberately not reported: Safe DELEGATECALLs to the listed libraries; operation 0 (a plain CALL,
which runs the target's code as the target); the Safe proxy's own DELEGATECALL to its singleton
(it is not in the decoded tree).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from txfirewall.heuristics.rule import Hit, NoParams, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.intent import CallNode
from txfirewall.model.json_values import JsonValue
from txfirewall.model.primitives import Address, is_address, to_address
from txfirewall.signatures.calldata import decode_calldata
from txfirewall.signatures.erc7730_format import to_int
from txfirewall.signatures.nested import decode_tree

SAFE_LIBRARIES: dict[str, str] = {
    address.lower(): name
    for address, name in (
        # safe-global/safe-deployments, src/assets/<version>/<contract>.json, "deployments"
        ("0xD4B7B161E4779629C2717385114Bf78D612aEa72", "Safe MultiSend 1.0.0"),
        ("0x8D29bE29923b68abfDD21e541b9374737B49cdAD", "Safe MultiSend 1.1.1"),
        ("0x8538FcBccba7f5303d2C679Fa5d7A629A8c9bf4A", "Safe CreateCall 1.1.1"),
        ("0xF61A721642B0c0C8b334bA3763BA1326F53798C0", "Safe CreateAndAddModules 1.1.1"),
        ("0xA238CBeb142c10Ef7Ad8442C6D1f9E89e07e7761", "Safe MultiSend 1.3.0"),
        ("0x998739BFdAAdde7C933B942a68053933098f9EDa", "Safe MultiSend 1.3.0 (eip155)"),
        ("0x40A2aCCbd92BCA938b02010E17A5b8929b49130D", "Safe MultiSendCallOnly 1.3.0"),
        ("0xA1dabEF33b3B82c7814B6D82A79e50F4AC44102B", "Safe MultiSendCallOnly 1.3.0 (eip155)"),
        ("0xA65387F16B013cf2Af4605Ad8aA5ec25a2cbA3a2", "Safe SignMessageLib 1.3.0"),
        ("0x98FFBBF51bb33A056B08ddf711f289936AafF717", "Safe SignMessageLib 1.3.0 (eip155)"),
        ("0x7cbB62EaA69F79e6873cD1ecB2392971036cFAa4", "Safe CreateCall 1.3.0"),
        ("0xB19D6FFc2182150F8Eb585b79D4ABcd7C5640A9d", "Safe CreateCall 1.3.0 (eip155)"),
        ("0x38869bf66a61cF6bDB996A6aE40D5853Fd43B526", "Safe MultiSend 1.4.1"),
        ("0x9641d764fc13c8B624c04430C7356C1C7C8102e2", "Safe MultiSendCallOnly 1.4.1"),
        ("0xd53cd0aB83D845Ac265BE939c57F53AD838012c9", "Safe SignMessageLib 1.4.1"),
        ("0x9b35Af71d77eaf8d7e40252370304687390A1A52", "Safe CreateCall 1.4.1"),
        ("0x526643F69b81B008F46d95CD5ced5eC0edFFDaC6", "Safe SafeMigration 1.4.1"),
        ("0xfF83F6335d8930cBad1c0D439A841f01888D9f69", "Safe SafeToL2Migration 1.4.1"),
        ("0x218543288004CD07832472D464648173c77D7eB7", "Safe MultiSend 1.5.0"),
        ("0xA83c336B20401Af773B6219BA5027174338D1836", "Safe MultiSendCallOnly 1.5.0"),
        ("0x4FfeF8222648872B3dE295Ba1e49110E61f5b5aa", "Safe SignMessageLib 1.5.0"),
        ("0x2Ef5ECfbea521449E4De05EDB1ce63B75eDA90B4", "Safe CreateCall 1.5.0"),
        ("0x6439e7ABD8Bb915A5263094784C5CF561c4172AC", "Safe SafeMigration 1.5.0"),
    )
}
"""Safe's own libraries, meant to be DELEGATECALLed by a Safe: the official canonical deployment
addresses (and the ``eip155`` ones of 1.3.0) from safe-global/safe-deployments, for MultiSend
1.0.0, MultiSend, CreateCall and CreateAndAddModules 1.1.1 (1.2.0 shipped no libraries), and
MultiSend, MultiSendCallOnly, SignMessageLib and CreateCall 1.3.0, 1.4.1 and 1.5.0,
SafeMigration 1.4.1 and 1.5.0, SafeToL2Migration 1.4.1. The same address on every chain
(deterministic deployments)."""


def safe_library(address: Address | None) -> str | None:
    """The name of a Safe library at ``address`` (None: not one)."""
    return None if address is None else SAFE_LIBRARIES.get(address.lower())


@dataclass(frozen=True)
class SafeDelegatecall:
    """One place where a Safe runs another contract's code as itself."""

    safe: Address | None
    target: Address
    path: str
    via: str
    """``transaction`` (decoded calldata) or ``typed-data`` (a SafeTx signature)."""

    def to_json(self) -> dict[str, JsonValue]:
        return {"safe": self.safe, "target": self.target, "path": self.path, "via": self.via}


def _walk(
    nodes: tuple[CallNode, ...], account: Address | None, path: str, via: str = "transaction"
) -> Iterator[SafeDelegatecall]:
    """Every DELEGATECALL in the tree, with the account whose code runs it: a delegated call runs
    as the account that made it, so its children (``multiSend`` entries) run as that account too."""
    for node in nodes:
        where = f"{path} > {node.label}" if path else node.label
        if node.operation == "delegatecall" and node.target is not None:
            yield SafeDelegatecall(account, node.target, where, via)
        inner = account if node.operation == "delegatecall" else node.target
        yield from _walk(node.children, inner, where, via)


def _bytes(value: object) -> bytes:
    """A ``bytes`` field as the typed-data parser leaves it (``0x`` hex); anything else: none."""
    if not isinstance(value, str) or not value.startswith(("0x", "0X")):
        return b""
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        return b""


def _typed_data_sites(ctx: AnalysisContext) -> Iterator[SafeDelegatecall]:
    """The DELEGATECALLs a signed ``SafeTx`` makes its Safe run: its own (operation 1), and those
    of the calls in its ``data`` (a MultiSend batch's operation-1 entries run as the Safe)."""
    td = ctx.request.typed_data
    if td is None or td.primary_type != "SafeTx":
        return
    op = to_int(td.message.get("operation"))
    to = td.message.get("to")
    if op not in (0, 1) or not isinstance(to, str) or not is_address(to):
        return
    safe, target = td.verifying_contract, to_address(to)
    if op == 1:
        yield SafeDelegatecall(safe, target, "SafeTx", "typed-data")
    data = _bytes(td.message.get("data"))
    if len(data) >= 4:
        tree = decode_tree(target, to_int(td.message.get("value")) or 0, data, decode_calldata(data))
        yield from _walk(tree.children, safe if op == 1 else target, "SafeTx", "typed-data")


def safe_delegatecalls(ctx: AnalysisContext) -> list[SafeDelegatecall]:
    """Where the request makes a Safe DELEGATECALL a contract that is not one of Safe's libraries."""
    sites: list[SafeDelegatecall] = []
    intent = ctx.intent
    if intent is not None:
        top = intent.target if ctx.request.transaction is not None else None
        sites.extend(_walk(intent.children, top, ""))
    sites.extend(_typed_data_sites(ctx))
    return [s for s in sites if safe_library(s.target) is None]


def _which(site: SafeDelegatecall) -> str:
    return f"Safe {site.safe}" if site.safe is not None else "the Safe"


@rule(
    id="safe-delegatecall-unknown-target",
    title="A Safe runs an unknown contract's code as itself (DELEGATECALL)",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
)
def safe_delegatecall_unknown_target(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """A Safe ``execTransaction`` or ``execTransactionFromModule`` (at any depth) or a signed
    ``SafeTx`` (or an entry of the batch it signs) with operation 1 (DELEGATECALL) to a contract that is not one of Safe's own libraries (MultiSend,
    MultiSendCallOnly, SignMessageLib, CreateCall, the migrations, by their canonical addresses):
    the Safe runs that contract's code as itself, which can move all its funds, change its owners
    or replace its implementation. The Bybit theft (2025) was exactly this. Safe{Wallet} batches
    DELEGATECALL MultiSend and are not reported."""
    sites = safe_delegatecalls(ctx)
    if not sites:
        return None
    site = sites[0]
    signing = "sign for" if site.via == "typed-data" else "make"
    return Hit(
        message=(
            f"This would {signing} {_which(site)} DELEGATECALL {site.target} (operation 1): the Safe runs that "
            "contract's code as itself, and that code can move everything the Safe holds or change its owners. "
            f"{site.target} is not one of Safe's own libraries (MultiSend, SignMessageLib, CreateCall). A transfer "
            "or a batch never needs this; do not sign unless you wrote or audited that contract."
        ),
        evidence={**site.to_json(), "sites": [s.to_json() for s in sites[:8]]},
        subject=site.target,
    )


@rule(
    id="safe-funds-leave-via-delegatecall",
    title="The simulation shows a Safe losing assets while it runs an unknown contract's code",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    requires=(Fact.SIMULATION,),
)
def safe_funds_leave_via_delegatecall(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """The asset rules judge the signer's own balances; a Safe the signer operates is judged here.
    The request makes a Safe DELEGATECALL a contract that is not one of Safe's libraries, the
    simulation shows that DELEGATECALL frame (Safe -> contract), and the Safe's balances fall:
    the Safe's losses are the user's losses. (Without the Safe's balance before, "how much of it"
    is not measured: any outflow during such a DELEGATECALL counts.)"""
    sim = ctx.simulation
    if sim is None or sim.signature_effect:
        return None
    frames = {(f.caller.lower(), (f.target or "").lower()) for f in sim.frames if f.call_type.upper() == "DELEGATECALL"}
    for site in safe_delegatecalls(ctx):
        if site.safe is None or (site.safe.lower(), site.target.lower()) not in frames:
            continue
        losses = [c for c in sim.changes_for(site.safe) if c.delta < 0]
        if not losses:
            continue
        return Hit(
            message=(
                f"Simulated, Safe {site.safe} runs the code of {site.target} as itself (DELEGATECALL) and loses "
                f"{len(losses)} asset balance{'s' if len(losses) > 1 else ''}: what it holds leaves the Safe. "
                f"{site.target} is not one of Safe's own libraries."
            ),
            evidence={**site.to_json(), "losses": [c.to_json() for c in losses[:16]]},
            subject=site.target,
        )
    return None
