"""Skipped is reported: a rule that could not decide because a fact was unknown for *this* request
returns ``Skip(reason)``, and the verdict lists it in ``skipped_rules``; it never becomes a finding.

For every rule that can skip: the context where the fact is unknown (the skip and its reason) and
the same context with the fact known (the rule decides as before, hit or nothing). Then the
completeness property: every rule either ran to a decision or is listed as skipped, over the rule
fixtures and real mainnet traffic.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from itertools import islice
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from txfirewall.decide.evaluate import Evaluation, evaluate
from txfirewall.decide.policy import Policy
from txfirewall.enrich.stage import enrich
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.heuristics.registry import BUILTIN_RULES
from txfirewall.heuristics.rule import Hit, NoParams, Rule, Skip, rule
from txfirewall.intel.store import IntelStore
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.facts import AddressFacts
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.holdings import Holdings
from txfirewall.model.primitives import Address, to_address
from txfirewall.model.simulation import Divergence
from txfirewall.parse.request import parse_request
from txfirewall.signatures import decode_request

from .rule_fixtures import (
    ALICE,
    BOB,
    CLAIM,
    CLONE,
    DRAINER,
    ETH_OUT,
    FRIEND,
    RULE_FIXTURES,
    TOKEN,
    TRANSFER_TO_BOB,
    UNI_V2_ROUTER,
    _approve,
    _siwe,
    _typed,
    ctx_for,
    facts,
    habitual,
    holding,
    minimal_proxy_code,
    paid,
    sample_code,
    simulated,
    tx,
    with_facts,
    with_history,
)

RULES = {r.id: r for r in BUILTIN_RULES}
REAL_TRAFFIC = Path(__file__).resolve().parents[1] / "data" / "real_mainnet_dev" / "benign_2020_2022.jsonl.gz"
META_FINDINGS = {"rule-crashed", "evaluate-timeout", "policy-denylist"}
"""Findings the evaluate stage itself adds (no rule of that id runs)."""


def check(rule_id: str, ctx: AnalysisContext) -> Hit | Skip | None:
    r = RULES[rule_id]
    assert r.requires <= ctx.available(), f"{rule_id}: the context must hold the declared facts"
    return r.check(ctx, r.default_params())


def skip_reason(rule_id: str, ctx: AnalysisContext) -> str:
    result = check(rule_id, ctx)
    assert isinstance(result, Skip), result
    assert result.reason
    return result.reason


def assert_partition(evaluation: Evaluation, rules: tuple[Rule[Any], ...] = BUILTIN_RULES) -> None:
    """Every rule ran to a decision or is listed as skipped, exactly once; findings come from rules
    that ran (or from the stage itself)."""
    skipped = [s.rule for s in evaluation.skipped]
    assert len(set(skipped)) == len(skipped), "a rule is listed as skipped once"
    assert set(skipped).isdisjoint(evaluation.ran)
    assert sorted([*skipped, *evaluation.ran]) == sorted(r.id for r in rules)
    assert {f.rule for f in evaluation.findings} - META_FINDINGS <= set(evaluation.ran)


# --- the mechanism --------------------------------------------------------------------------------


@rule(id="always-unsure", title="t", severity=Severity.HIGH, confidence=Confidence.HIGH)
def _unsure(ctx: AnalysisContext, params: NoParams) -> Hit | Skip | None:
    """Never knows."""
    return Skip("the answer was not available")


def test_a_skip_is_listed_with_its_reason_and_never_a_finding() -> None:
    done = evaluate(ctx_for(tx(BOB, value=1)), (_unsure,), Policy())
    assert done.findings == () and done.ran == ()
    assert [(s.rule, s.reason) for s in done.skipped] == [("always-unsure", "the answer was not available")]


def test_a_rule_that_decides_is_listed_as_ran_hit_or_not() -> None:
    ctx = RULE_FIXTURES["value-to-scam-selector"][0]()
    done = evaluate(ctx, BUILTIN_RULES, Policy())
    assert "value-to-scam-selector" in done.ran and "value-to-scam-selector" in {f.rule for f in done.findings}
    assert "send-to-burn-address" in done.ran  # ran, found nothing
    assert_partition(done)


def test_past_the_budget_the_rules_not_reached_are_skipped_and_the_rest_ran() -> None:
    done = evaluate(ctx_for(tx(BOB, value=1)), BUILTIN_RULES, Policy(), budget_seconds=0.0)
    assert done.ran == ()
    assert all("budget" in s.reason for s in done.skipped)
    assert_partition(done)
    assert [f.rule for f in done.findings] == ["evaluate-timeout"]


# --- fresh-contract-counterparty: a contract whose age is unknown ---------------------------------

OLD_ROUTER = to_address("0x00000000000000000000000000000000000001d1")


def _aged(address: Address, age: int | None, *, why: str | None = None, **changes: Any) -> AddressFacts:
    base = replace(
        facts(address, contract=True, sent=0),
        roles=("receives-your-assets",),
        created_at_block=None if age is None else 40,
        age_seconds=age,
        age_source=None if age is None else "creation-block",
        age_unknown=why if age is None else None,
    )
    return replace(base, **changes)


def _claim(*parties: AddressFacts) -> AnalysisContext:
    return with_facts(simulated(ctx_for(tx(DRAINER, CLAIM, 10**18), history=()), ETH_OUT), *parties)


NO_STATE = "the node serves no state at block 63 (pruned history?)"


def test_fresh_contract_undated_is_skipped_naming_how_many_and_why() -> None:
    reason = skip_reason("fresh-contract-counterparty", _claim(_aged(DRAINER, None, why=NO_STATE)))
    assert reason.startswith("could not date 1 of the 1 contract(s) your assets or an approval go to")
    assert f"{DRAINER} ({NO_STATE})" in reason


def test_fresh_contract_dated_behaves_as_before() -> None:
    hit = check("fresh-contract-counterparty", _claim(_aged(DRAINER, 3600)))
    assert isinstance(hit, Hit) and hit.evidence["address"] == DRAINER
    assert check("fresh-contract-counterparty", _claim(_aged(DRAINER, 700 * 86400))) is None


def test_fresh_contract_a_dated_fresh_one_still_hits_beside_undated_ones() -> None:
    hit = check("fresh-contract-counterparty", _claim(_aged(DRAINER, 3600), _aged(OLD_ROUTER, None, why=NO_STATE)))
    assert isinstance(hit, Hit) and hit.evidence["address"] == DRAINER


def test_fresh_contract_an_old_one_does_not_vouch_for_an_undated_one() -> None:
    reason = skip_reason(
        "fresh-contract-counterparty",
        _claim(_aged(DRAINER, None, why="not found within 2s"), _aged(OLD_ROUTER, 900 * 86400)),
    )
    assert "could not date 1 of the 2 contract(s)" in reason and "not found within 2s" in reason


@pytest.mark.parametrize(
    "party",
    [
        _aged(DRAINER, None, roles=("token", "verifying-contract")),  # nothing of the user's goes there
        _aged(DRAINER, None, relationship=facts(DRAINER, contract=True, sent=3).relationship),  # familiar
        _aged(DRAINER, None, roles=("created", "receives-your-assets")),  # the request deploys it
        _aged(DRAINER, None, is_contract=False),  # a plain account
    ],
)
def test_fresh_contract_undated_but_not_judged_is_no_skip(party: AddressFacts) -> None:
    assert check("fresh-contract-counterparty", _claim(party)) is None


def test_fresh_contract_an_undated_delegated_account_is_no_skip() -> None:
    from txfirewall.enrich.bytecode import scan_code

    designator = scan_code(bytes.fromhex("ef0100" + BOB[2:]), pure_python=True)
    assert check("fresh-contract-counterparty", _claim(_aged(DRAINER, None, code=designator))) is None


# --- unusual-for-you: a history too short to know the user ---------------------------------------


def test_unusual_for_you_short_history_is_skipped() -> None:
    ctx = with_history(replace(ctx_for(tx(FRIEND, value=50 * 10**18)), now=1_800_000_000), *habitual(5))
    reason = skip_reason("unusual-for-you", ctx)
    assert reason == (
        "your history has 5 outgoing transaction(s) from this account; at least 20 are needed to know your habits"
    )


def test_unusual_for_you_without_a_baseline_is_skipped() -> None:
    assert "not computed" in skip_reason("unusual-for-you", ctx_for(tx(FRIEND, value=1), history=()))


def test_unusual_for_you_long_history_behaves_as_before() -> None:
    hit, miss = RULE_FIXTURES["unusual-for-you"]
    assert isinstance(check("unusual-for-you", hit()), Hit)
    assert check("unusual-for-you", miss()) is None
    # a signature request is not something this rule applies to: nothing, not a skip
    assert check("unusual-for-you", with_history(_typed(7357), *habitual(5))) is None


# --- the active chain unknown: chain-id-mismatch, typed-data-chain-mismatch ----------------------


def test_chain_id_mismatch_without_an_active_chain_is_skipped() -> None:
    reason = skip_reason("chain-id-mismatch", ctx_for(tx(BOB, chainId="0x1"), chain_id=None))
    assert "active chain is unknown" in reason and "chain 1 " in reason
    assert check("chain-id-mismatch", ctx_for(tx(BOB), chain_id=None)) is None  # the tx names no chain


def test_chain_id_mismatch_with_an_active_chain_behaves_as_before() -> None:
    assert isinstance(check("chain-id-mismatch", ctx_for(tx(BOB, chainId="0x1"))), Hit)
    assert check("chain-id-mismatch", ctx_for(tx(BOB, chainId="0x1cbd"))) is None


def test_typed_data_chain_mismatch_without_an_active_chain_is_skipped() -> None:
    reason = skip_reason("typed-data-chain-mismatch", replace(_typed(1), chain_id=None))
    assert "active chain is unknown" in reason and "chain 1 " in reason
    assert isinstance(check("typed-data-chain-mismatch", _typed(1)), Hit)
    assert check("typed-data-chain-mismatch", _typed(7357)) is None


# --- siwe-domain-mismatch: no origin to compare --------------------------------------------------


def test_siwe_without_origin_is_skipped_and_with_one_behaves_as_before() -> None:
    no_origin = _siwe("https://app.example")
    no_origin = replace(no_origin, request=replace(no_origin.request, origin=None))
    assert "names no origin" in skip_reason("siwe-domain-mismatch", no_origin)
    assert isinstance(check("siwe-domain-mismatch", _siwe("https://evil.example")), Hit)
    assert check("siwe-domain-mismatch", _siwe("https://app.example")) is None
    assert check("siwe-domain-mismatch", ctx_for(tx(BOB, value=1))) is None  # not a sign-in: not applicable


# --- permit-to-eoa: a finite, expiring permit to a spender whose code was not read ---------------

PERMIT2 = "0x000000000022D473030F116dDEE9F6B43aC78BA3"
DETAILS = [
    {"name": "token", "type": "address"},
    {"name": "amount", "type": "uint160"},
    {"name": "expiration", "type": "uint48"},
    {"name": "nonce", "type": "uint48"},
]


def _finite_permit2() -> AnalysisContext:
    doc = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "PermitSingle": [
                {"name": "details", "type": "PermitDetails"},
                {"name": "spender", "type": "address"},
                {"name": "sigDeadline", "type": "uint256"},
            ],
            "PermitDetails": DETAILS,
        },
        "primaryType": "PermitSingle",
        "domain": {"name": "Permit2", "chainId": 7357, "verifyingContract": PERMIT2},
        "message": {
            "details": {"token": TOKEN, "amount": "500", "expiration": "1798761600", "nonce": "0"},
            "spender": BOB,
            "sigDeadline": "1798761600",
        },
    }
    request = {"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [ALICE, json.dumps(doc)]}
    return ctx_for(request)


def test_permit_to_eoa_finite_permit_to_an_unread_spender_is_skipped() -> None:
    reason = skip_reason("permit-to-eoa", with_facts(_finite_permit2(), facts(BOB, contract=None), code_known=False))
    assert "finite, expiring permit" in reason and BOB in reason


def test_permit_to_eoa_finite_permit_with_the_code_read_behaves_as_before() -> None:
    hit = check("permit-to-eoa", with_facts(_finite_permit2(), facts(BOB, contract=False)))
    assert isinstance(hit, Hit) and hit.severity is Severity.HIGH
    assert check("permit-to-eoa", with_facts(_finite_permit2(), facts(BOB, contract=True))) is None
    # unlimited or long-lived to an unread spender still warns, as before (fail closed)
    assert isinstance(check("permit-to-eoa", with_facts(_typed(7357), facts(BOB, contract=None))), Hit)


# --- tokens-to-protocol-contract: nothing known about the recipient ------------------------------


def test_tokens_to_protocol_contract_without_facts_is_skipped() -> None:
    reason = skip_reason("tokens-to-protocol-contract", ctx_for(tx(UNI_V2_ROUTER, value=10**17)))
    assert UNI_V2_ROUTER in reason and "no address facts" in reason


def test_tokens_to_protocol_contract_with_facts_behaves_as_before() -> None:
    hit, miss = RULE_FIXTURES["tokens-to-protocol-contract"]
    assert isinstance(check("tokens-to-protocol-contract", hit()), Hit)
    assert check("tokens-to-protocol-contract", miss()) is None
    plain = with_facts(ctx_for(tx(BOB, value=1)), facts(BOB, contract=False))
    assert check("tokens-to-protocol-contract", plain) is None
    assert check("tokens-to-protocol-contract", ctx_for(tx(ALICE, value=1))) is None  # to oneself: known
    assert check("tokens-to-protocol-contract", ctx_for(tx(TOKEN, "0x12345678"))) is None  # a call, not a send


# --- most-of-balance-to-new-address: the balance was not read ------------------------------------


def _send_tokens(**balances: int) -> AnalysisContext:
    ctx = with_history(ctx_for(tx(TOKEN, TRANSFER_TO_BOB)), paid(FRIEND))
    return holding(ctx, 10**18, **balances)


def test_most_of_balance_unread_balance_is_skipped() -> None:
    reason = skip_reason("most-of-balance-to-new-address", _send_tokens())
    assert reason.startswith(f"your balance of token {TOKEN} could not be read")


def test_most_of_balance_read_balance_behaves_as_before() -> None:
    hit = check("most-of-balance-to-new-address", _send_tokens(**{TOKEN: 5}))
    assert isinstance(hit, Hit) and hit.evidence["share_of_balance"] == 1.0
    assert check("most-of-balance-to-new-address", _send_tokens(**{TOKEN: 500})) is None
    hit_eth, miss_eth = RULE_FIXTURES["most-of-balance-to-new-address"]
    assert isinstance(check("most-of-balance-to-new-address", hit_eth()), Hit)
    assert check("most-of-balance-to-new-address", miss_eth()) is None
    # a real counterparty's balance share is never asked for: nothing, not a skip
    friend = with_history(ctx_for(tx(FRIEND, value=10**17)), paid(FRIEND))
    assert check("most-of-balance-to-new-address", replace(friend, holdings=Holdings(owner=ALICE))) is None


# --- the code rules: the code behind a receiver, or a delegate, was not read ----------------------

IMPL = to_address("0x00000000000000000000000000000000000011e1")


def _clone_receiving(impl_code: str | None, request: object, role: str) -> AnalysisContext:
    clone = AddressFacts(CLONE, (role,), is_contract=True, code=minimal_proxy_code(IMPL))
    if impl_code is None:  # the second code batch did not answer for the implementation
        impl = AddressFacts(IMPL, ("implementation",))
    else:
        code = sample_code(impl_code)
        impl = AddressFacts(IMPL, ("implementation",), is_contract=True, code_size=code.size, code=code)
    return with_facts(ctx_for(request), clone, impl)


@pytest.mark.parametrize(
    ("rule_id", "hit_code", "miss_code", "request_", "role"),
    [
        ("selfdestruct-in-counterparty", "Killable", "BatchAccount", tx(CLONE, value=10**18), "recipient"),
        ("delegatecall-to-arbitrary-target", "ArbitraryDelegator", "SingletonProxy", _approve(CLONE, 10**6), "spender"),
        ("drainer-shape-spender", "ApprovalDrainer", "BatchAccount", _approve(CLONE, 2**256 - 1), "spender"),
    ],
)
def test_code_rules_skip_when_the_implementation_code_was_not_read(
    rule_id: str, hit_code: str, miss_code: str, request_: object, role: str
) -> None:
    reason = skip_reason(rule_id, _clone_receiving(None, request_, role))
    assert f"the code of {IMPL}, the implementation behind the minimal proxy {CLONE}, was not read" in reason
    hit = check(rule_id, _clone_receiving(hit_code, request_, role))
    assert isinstance(hit, Hit) and hit.evidence["implementation"] == IMPL
    assert check(rule_id, _clone_receiving(miss_code, request_, role)) is None


def test_drainer_shape_is_not_skipped_for_an_unread_non_spender() -> None:
    assert check("drainer-shape-spender", _clone_receiving(None, tx(CLONE, value=10**18), "recipient")) is None


def _already_delegated(delegate_code: str | None) -> AnalysisContext:
    """A plain transfer by a sender whose account is delegated to DRAINER today (read with the
    sender's code); the delegate's own code was read, or not."""
    from txfirewall.enrich.bytecode import scan_code

    ctx = with_facts(ctx_for(tx(BOB, value=1)), facts(BOB, contract=False))
    designator = scan_code(bytes.fromhex("ef0100" + DRAINER[2:]), pure_python=True)
    code = sample_code(delegate_code) if delegate_code is not None else None
    delegate = AddressFacts(DRAINER, ("current-delegate",), is_contract=None if code is None else True, code=code)
    return replace(ctx, sender_code=designator, addresses=MappingProxyType({**ctx.addresses, DRAINER: delegate}))


def test_delegate_sweeper_shape_skips_when_the_delegate_code_was_not_read() -> None:
    reason = skip_reason("delegate-sweeper-shape", _already_delegated(None))
    assert reason.startswith(f"the code of {DRAINER} was not read")
    assert isinstance(check("delegate-sweeper-shape", _already_delegated("HardcodedSweeper")), Hit)
    assert check("delegate-sweeper-shape", _already_delegated("BatchAccount")) is None


def test_delegation_to_known_sweeper_without_a_node_is_skipped() -> None:
    from .rule_fixtures import METAMASK_DELEGATOR, _delegated_to

    reason = skip_reason("delegation-to-known-sweeper", _delegated_to(METAMASK_DELEGATOR, node=False))
    assert "was not read (no node, or the node did not answer)" in reason
    assert check("delegation-to-known-sweeper", _delegated_to(METAMASK_DELEGATOR, node=True)) is None
    hit, _ = RULE_FIXTURES["delegation-to-known-sweeper"]
    assert isinstance(check("delegation-to-known-sweeper", hit()), Hit)  # the request's own: no node needed


# --- simulation-divergence: not re-run in another block environment -----------------------------


def _claim_simulated(**sim_changes: Any) -> AnalysisContext:
    ctx = simulated(ctx_for(tx(DRAINER, CLAIM, 10**18)), ETH_OUT)
    assert ctx.simulation is not None
    return replace(ctx, simulation=replace(ctx.simulation, **sim_changes))


def test_simulation_divergence_without_variants_is_skipped() -> None:
    reason = skip_reason("simulation-divergence", _claim_simulated(variants_compared=0, environment={"number": 51}))
    assert "every such run failed" in reason
    assert "no block environment" in skip_reason("simulation-divergence", _claim_simulated(variants_compared=0))


def test_simulation_divergence_with_variants_behaves_as_before() -> None:
    assert check("simulation-divergence", _claim_simulated(variants_compared=2)) is None
    diverged = _claim_simulated(variants_compared=2, divergence=Divergence("differs", ("a",), ("b",)))
    assert isinstance(check("simulation-divergence", diverged), Hit)
    # what a signature allows is simulated once, by design: nothing to skip
    assert check("simulation-divergence", _claim_simulated(variants_compared=0, signature_effect=True)) is None


# --- completeness: every rule ran or is listed as skipped ----------------------------------------


@pytest.mark.parametrize("rule_id", sorted(RULE_FIXTURES))
def test_every_rule_ran_or_is_skipped_on_the_rule_fixtures(rule_id: str) -> None:
    for make in RULE_FIXTURES[rule_id]:
        assert_partition(evaluate(make(), BUILTIN_RULES, Policy()))


def _real_requests(every: int) -> list[Any]:
    with gzip.open(REAL_TRAFFIC, "rt", encoding="utf-8") as f:
        return [json.loads(line)["request"] for line in islice(f, 0, None, every)]


@pytest.mark.asyncio(loop_scope="session")
async def test_every_rule_ran_or_is_skipped_on_real_traffic() -> None:
    """Real mainnet transactions, offline as ``--no-simulate`` analyses them (decoded, enriched
    with the shipped lists, no node): each rule is accounted for, and skips make no findings."""
    intel = IntelStore(None, shipped=True)
    requests = _real_requests(every=10)
    reasons: dict[str, set[str]] = {}
    for raw in requests:
        request = parse_request(raw)
        ctx = AnalysisContext(request=request, chain_id=None, intent=decode_request(request))
        ctx = await enrich(ctx, None, MappingProxyType({}), intel=intel)
        done = evaluate(ctx, BUILTIN_RULES, Policy())
        assert_partition(done)
        for s in done.skipped:
            reasons.setdefault(s.rule, set()).add(s.reason)
    assert len(requests) > 500
    # offline, what needed the node says so: before the check runs (a declared fact is missing) ...
    assert all(r.startswith("missing facts: ") and r.endswith("code") for r in reasons["fresh-contract-counterparty"])
    # ... or from inside it (the part of the check that reads the accounts' current code)
    assert any("(no node, or" in r for r in reasons["delegation-to-known-sweeper"])


@pytest.mark.asyncio(loop_scope="session")
async def test_without_simulation_the_rules_that_need_it_say_so() -> None:
    """The pipeline's own skip: simulation off, so every rule requiring it is listed as skipped
    ("missing facts: ... simulation ..."), and the one reading the simulation's absence reports it."""
    async with Firewall(FirewallConfig(simulate=False, chain_id=7357)) as fw:
        verdict = await fw.analyze(tx(DRAINER, CLAIM, 10**18))
    reasons = {s.rule: s.reason for s in verdict.skipped_rules}
    needs_simulation = [r.id for r in BUILTIN_RULES if Fact.SIMULATION in r.requires]
    assert needs_simulation
    for rule_id in needs_simulation:
        assert "simulation" in reasons[rule_id].removeprefix("missing facts: ").split(", "), rule_id
    assert "simulation-unavailable" in {f.rule for f in verdict.findings}
    reported = {s.rule for s in verdict.skipped_rules} | {f.rule for f in verdict.findings}
    assert len(verdict.skipped_rules) == len({s.rule for s in verdict.skipped_rules})
    assert reported <= set(RULES) | META_FINDINGS


# --- proxy-upgraded: the state diff (where proxy slots are read) was not read -------------------


def test_proxy_upgraded_without_the_state_diff_is_skipped() -> None:
    reason = skip_reason("proxy-upgraded", _claim_simulated(state_diff_unread="the node did not return it"))
    assert reason.startswith("the simulation's state diff was not read (the node did not return it)")


def test_proxy_upgraded_with_the_state_diff_behaves_as_before() -> None:
    hit, miss = RULE_FIXTURES["proxy-upgraded"]
    assert isinstance(check("proxy-upgraded", hit()), Hit)
    assert check("proxy-upgraded", miss()) is None
    # a signature's effects are simulated untraced by design: nothing to skip
    unread_signature = _claim_simulated(state_diff_unread="the run was not traced", signature_effect=True)
    assert check("proxy-upgraded", unread_signature) is None
