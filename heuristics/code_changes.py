"""Rules about who controls code after the request: EIP-7702 delegations, proxy upgrades, owners.

Deliberately not reported: contracts created by the request (deployments are their own intent);
delegations cleared (that gives control back); a delegation to a known-good wallet delegate is
info only.
"""

from __future__ import annotations

from txfirewall.heuristics.rule import Hit, NoParams, Skip, rule
from txfirewall.model.code import DelegateStatus
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.simulation import CodeChangeKind

_PROXY_KINDS = (CodeChangeKind.IMPLEMENTATION_CHANGED, CodeChangeKind.ADMIN_CHANGED, CodeChangeKind.BEACON_CHANGED)


def _whose(account: str, ctx: AnalysisContext) -> str:
    """ "Your account 0x…" for the signer's own account, "Account 0x…" for anyone else's."""
    return f"Your account {account}" if account == ctx.request.sender else f"Account {account}"


@rule(
    id="account-delegation-set",
    title="An account's code is delegated to a contract",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    requires=(Fact.SIMULATION,),
)
def account_delegation_set(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """EIP-7702: after this, the delegate's code runs as the account (yours, or another
    authority's in a sponsored set-code transaction) and can move everything it holds, now and
    later. Sweeper delegates are the 2025 drainer of choice. A delegation to a known-good wallet
    delegate (shipped list) is reported as info only. "Your account" only for the signer's own."""
    sim = ctx.simulation
    if sim is None:
        return None
    known: Hit | None = None
    for change in sim.code_changes:
        if change.kind is not CodeChangeKind.DELEGATION_SET:
            continue
        facts = ctx.facts(change.after)
        listing = facts.delegate_listing if facts is not None else None
        if listing is not None and listing.status is DelegateStatus.KNOWN_GOOD:
            known = known or Hit(
                message=(
                    f"{_whose(change.address, ctx)} would run the code of {change.after}, {listing.display}, "
                    "a known wallet delegate."
                ),
                evidence={**change.to_json(), "listing": listing.to_json()},
                severity=Severity.INFO,
                subject=change.after,
            )
            continue
        return Hit(
            message=(
                f"{_whose(change.address, ctx)} would run the code of {change.after} from now on. "
                "That code controls everything the account holds. Only delegate to a wallet "
                "implementation you chose yourself."
            ),
            evidence=change.to_json(),
            subject=change.after,
        )
    return known


@rule(
    id="proxy-upgraded",
    title="A proxy's implementation or admin changes",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.SIMULATION,),
)
def proxy_upgraded(ctx: AnalysisContext, params: NoParams) -> Hit | Skip | None:
    """An EIP-1967 implementation, admin or beacon slot is written: the contract will behave
    differently afterwards (rug pulls and malicious upgrades look like this). The slots are read
    from the simulation's state diff; when a transaction's diff could not be read, the rule is
    skipped and says why."""
    sim = ctx.simulation
    if sim is None:
        return None
    for change in sim.code_changes:
        if change.kind in _PROXY_KINDS:
            what = change.kind.value.replace("-changed", "")
            return Hit(
                message=f"This changes the {what} of proxy {change.address} from {change.before} to {change.after}.",
                evidence=change.to_json(),
            )
    if sim.state_diff_unread is not None and not sim.signature_effect:
        return Skip(
            f"the simulation's state diff was not read ({sim.state_diff_unread}), so a change of a proxy's "
            "implementation, admin or beacon could not be seen"
        )
    return None


@rule(
    id="ownership-transferred",
    title="A contract changes owner",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    requires=(Fact.SIMULATION,),
)
def ownership_transferred(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """``OwnershipTransferred`` fires: whoever is the new owner controls the contract's admin
    functions. Expected after a deployment you made; suspicious anywhere else."""
    sim = ctx.simulation
    if sim is None:
        return None
    for change in sim.code_changes:
        if change.kind is CodeChangeKind.OWNER_CHANGED and change.before is not None:
            return Hit(
                message=f"Ownership of {change.address} passes from {change.before} to {change.after}.",
                evidence=change.to_json(),
                subject=change.after,
            )
    return None


@rule(
    id="ownership-to-plain-account",
    title="A contract's ownership moves to a plain account",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    requires=(Fact.SIMULATION, Fact.CODE),
)
def ownership_to_plain_account(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """Control of a contract handed to an address with no code that is not the user: the takeover
    step of an admin-key phishing. (Handing it to a multisig or timelock, which are contracts, or to
    oneself, does not fire.)"""
    sim = ctx.simulation
    if sim is None:
        return None
    for change in sim.code_changes:
        if change.kind is not CodeChangeKind.OWNER_CHANGED or change.after is None or change.before is None:
            continue
        if change.after == ctx.request.sender:
            continue
        facts = ctx.facts(change.after)
        if facts is None or facts.is_contract is not False:
            continue
        return Hit(
            message=f"This hands control of {change.address} to {change.after}, a plain account that is not you. Whoever "
            "holds its key could then change or drain the contract.",
            evidence=change.to_json(),
            subject=change.after,
        )
    return None
