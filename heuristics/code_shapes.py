"""Reading the bytecode scan: the shapes a contract's code has, said in words a user can check.

Helpers for the rules in ``delegates.py`` and ``contract_code.py``; no rule lives here. The scan
itself (``txfirewall.enrich.bytecode``) runs in the enrich stage: rules only read ``CodeFeatures``.
"""

from __future__ import annotations

from dataclasses import dataclass

from txfirewall.model.code import CodeFeatures, DelegateStatus
from txfirewall.model.context import AnalysisContext
from txfirewall.model.facts import ILLICIT_CATEGORIES, AddressFacts, LabelCategory
from txfirewall.model.json_values import JsonValue
from txfirewall.model.primitives import ZERO_ADDRESS, Address, short_address
from txfirewall.model.simulation import CodeChangeKind

TRUSTED_LABELS = frozenset({LabelCategory.BENIGN, LabelCategory.PROTOCOL, LabelCategory.EXCHANGE, LabelCategory.BRIDGE})
"""Labels that say an address is a known service: code-shape warnings about it are not raised."""


def effective_code(ctx: AnalysisContext, facts: AddressFacts | None) -> tuple[CodeFeatures | None, Address | None]:
    """The code that runs when ``facts.address`` is called: its own, or, for an EIP-1167 minimal
    proxy, its implementation's (second value: that implementation)."""
    if facts is None or facts.code is None:
        return None, None
    impl = facts.code.minimal_proxy_to
    if impl is None:
        return facts.code, None
    behind = ctx.facts(impl)
    return (behind.code if behind is not None else None), impl


def unread_code(ctx: AnalysisContext, address: Address, facts: AddressFacts | None) -> str | None:
    """What of the code that runs at ``address`` was not read, in words (its own code, or the
    implementation behind its EIP-1167 minimal proxy); None when it was read or there is none."""
    if facts is None or facts.is_contract is None or (facts.is_contract and facts.code is None):
        return f"the code of {address} was not read"
    impl = facts.code.minimal_proxy_to if facts.code is not None else None
    if impl is None:
        return None
    behind = ctx.facts(impl)
    if behind is None or behind.is_contract is None or (behind.is_contract and behind.code is None):
        return f"the code of {impl}, the implementation behind the minimal proxy {address}, was not read"
    return None


def sweeper_signs(code: CodeFeatures, max_functions: int) -> list[str]:
    """Why ``code`` looks like a sweeper: it forwards ETH, or moves tokens, to a hard-coded address,
    and has few public functions (a wallet, a router or a token has many). Empty: not a sweeper."""
    if len(code.functions) > max_functions:
        return []
    signs: list[str] = []
    if code.value_forwards_to_fixed:
        signs.append("sends its ETH balance, or the ETH it receives, to a hard-coded address")
    if code.token_moves_to_fixed:
        signs.append("builds token transfers (transfer / transferFrom) to a hard-coded address")
    return signs


def illicit(facts: AddressFacts | None) -> bool:
    if facts is None:
        return False
    listed = facts.delegate_listing is not None and facts.delegate_listing.status is DelegateStatus.MALICIOUS
    return listed or any(label.category in ILLICIT_CATEGORIES for label in facts.labels)


def trusted(facts: AddressFacts) -> bool:
    """A known service (benign, protocol, exchange or bridge label) or a known-good wallet delegate."""
    listing = facts.delegate_listing
    if listing is not None and listing.status is DelegateStatus.KNOWN_GOOD:
        return True
    return any(label.category in TRUSTED_LABELS for label in facts.labels)


def describe_code(code: CodeFeatures, *, max_functions: int = 16) -> list[str]:
    """What the code does, as short phrases (most telling first)."""
    said = sweeper_signs(code, max_functions)
    if code.delegatecall_calldata_target:
        said.append("lets the caller pick code to run in its context (DELEGATECALL to a target from calldata)")
    elif code.delegatecall_storage_target:
        said.append("is a proxy (DELEGATECALL to an implementation read from storage)")
    elif code.delegatecall_fixed_target:
        said.append("delegates to a fixed contract")
    if code.selfdestruct:
        said.append("can SELFDESTRUCT")
    if code.minimal_proxy_to is not None:
        said.append(f"is a minimal proxy (EIP-1167) of {code.minimal_proxy_to}")
    if code.origin_reads:
        said.append("reads tx.origin")
    if code.env_reads:
        said.append("reads " + ", ".join(code.env_reads) + " (can behave differently in a simulation)")
    if code.create or code.create2:
        said.append("deploys contracts")
    if code.addresses and not any("hard-coded" in s for s in said):
        shown = ", ".join(short_address(a) for a in code.addresses[:3])
        said.append(f"names {len(code.addresses)} hard-coded address(es) ({shown})")
    said.append(f"{code.size:,} bytes, {len(code.functions)} public function(s)")
    return said


def code_evidence(code: CodeFeatures) -> dict[str, JsonValue]:
    """The parts of the scan a finding shows."""
    return {
        "code_hash": code.code_hash,
        "code_size": code.size,
        "functions": list(code.functions),
        "hard_coded_addresses": list(code.addresses[:8]),
        "value_forwards_to_fixed": code.value_forwards_to_fixed,
        "token_moves_to_fixed": code.token_moves_to_fixed,
        "delegatecall_calldata_target": code.delegatecall_calldata_target,
        "selfdestruct": code.selfdestruct,
        "minimal_proxy_to": code.minimal_proxy_to,
    }


@dataclass(frozen=True)
class SeenDelegation:
    """An EIP-7702 delegation the request makes, or one a touched account already has.

    ``source``: ``authorization`` (a tuple of the raw type-4 transaction that applies),
    ``simulation`` (the simulation saw the designator written), ``current`` (the account's code is
    ``0xef0100 || delegate`` before the request).
    """

    authority: Address
    delegate: Address
    source: str
    index: int | None = None

    def whose(self, sender: Address | None) -> str:
        return "your account" if self.authority == sender else f"account {self.authority}"

    def what(self, sender: Address | None) -> str:
        """The sentence's subject: how the delegation comes about."""
        if self.source == "current":
            return f"{self.whose(sender).capitalize()} is already delegated to {self.delegate}"
        where = f"Authorization {self.index}" if self.index is not None else "This request"
        return f"{where} delegates {self.whose(sender)} to {self.delegate}"

    def to_json(self) -> dict[str, JsonValue]:
        return {"authority": self.authority, "delegate": self.delegate, "source": self.source, "index": self.index}


def seen_delegations(ctx: AnalysisContext, *, current: bool = True) -> list[SeenDelegation]:
    """Delegations to a contract (revocations to 0x0 left out), from the raw transaction's
    authorization list, from the simulation, and (``current``) from the code of the sender and the
    touched accounts; an account the request re-delegates is judged by its new delegate only."""
    found: list[SeenDelegation] = []
    raw = ctx.request.raw_tx
    if raw is not None:
        for auth in raw.applied_authorizations(ctx.chain_id):
            if auth.authority is not None:
                found.append(SeenDelegation(auth.authority, auth.address, "authorization", auth.index))
    sim = ctx.simulation
    if sim is not None and sim.ran:
        for change in sim.code_changes:
            if change.kind is CodeChangeKind.DELEGATION_SET and change.after is not None:
                found.append(SeenDelegation(change.address, change.after, "simulation"))
    renewed = {d.authority for d in found}
    if current:
        sender = ctx.request.sender
        if sender is not None and ctx.sender_code is not None and ctx.sender_code.delegation_to is not None:
            found.append(SeenDelegation(sender, ctx.sender_code.delegation_to, "current"))
        for facts in ctx.addresses.values():
            if facts.code is not None and facts.code.delegation_to is not None:
                found.append(SeenDelegation(facts.address, facts.code.delegation_to, "current"))
    out: list[SeenDelegation] = []
    pairs: set[tuple[Address, Address]] = set()
    for d in found:
        if d.delegate == ZERO_ADDRESS or (d.authority, d.delegate) in pairs:
            continue
        if d.source == "current" and d.authority in renewed:
            continue
        pairs.add((d.authority, d.delegate))
        out.append(d)
    return out
