"""The origin rules on real dapp origins (none may fire), on phishing ones, the SIWE domain check
with scheme and port variants, the history's ``origin`` field, and the whole pipeline."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from txfirewall.decide.evaluate import evaluate
from txfirewall.decide.policy import Policy
from txfirewall.enrich.history import HistoryIndex
from txfirewall.enrich.history_file import parse_history_lines
from txfirewall.enrich.origin import origin_facts
from txfirewall.errors import InputFileError
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.heuristics.login import siwe_domain_mismatch
from txfirewall.heuristics.origin import origin_lookalike_of_used_site
from txfirewall.heuristics.registry import BUILTIN_RULES
from txfirewall.heuristics.rule import Skip
from txfirewall.intel.domain_importers import read_domains
from txfirewall.intel.domain_lists import DomainLists
from txfirewall.intel.store import IntelStore
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.facts import HistoryEntry
from txfirewall.model.findings import Severity
from txfirewall.model.verdict import Decision

from .rule_fixtures import ALICE, BOB, _personal, ctx_for, tx

CONFIG = Path(__file__).resolve().parents[1] / "data" / "origin" / "metamask_config.json"
ORIGIN_RULES = [r for r in BUILTIN_RULES if r.id.startswith("origin-")]

# Real, popular dapp origins (and the hosts a developer signs from): none may raise a finding.
POPULAR_DAPPS = (
    "https://app.uniswap.org",
    "https://uniswap.org",
    "https://opensea.io",
    "https://pro.opensea.io",
    "https://blur.io",
    "https://curve.fi",
    "https://1inch.io",
    "https://app.1inch.io",
    "https://etherscan.io",
    "https://app.aave.com",
    "https://app.compound.finance",
    "https://stake.lido.fi",
    "https://app.ens.domains",
    "https://zapper.xyz",
    "https://app.zerion.io",
    "https://debank.com",
    "https://rabby.io",
    "https://app.safe.global",
    "https://looksrare.org",
    "https://x2y2.io",
    "https://rarible.com",
    "https://zora.co",
    "https://www.sushi.com",
    "https://pancakeswap.finance",
    "https://app.balancer.fi",
    "https://yearn.fi",
    "https://www.convexfinance.com",
    "https://app.frax.finance",
    "https://app.spark.fi",
    "https://summer.fi",
    "https://dydx.exchange",
    "https://app.gmx.io",
    "https://app.across.to",
    "https://app.hop.exchange",
    "https://stargate.finance",
    "https://bridge.arbitrum.io",
    "https://app.optimism.io",
    "https://portal.polygon.technology",
    "https://matcha.xyz",
    "https://swap.cow.fi",
    "https://app.paraswap.xyz",
    "https://kyberswap.com",
    "https://defillama.com",
    "https://revoke.cash",
    "https://app.morpho.org",
    "https://app.eigenlayer.xyz",
    "https://app.pendle.finance",
    "https://app.ether.fi",
    "https://stake.rocketpool.net",
    "https://snapshot.org",
    "https://www.tally.xyz",
    "https://app.galxe.com",
    "https://magiceden.io",
    "https://portfolio.metamask.io",
    "https://launchpad.ethereum.org",
    "https://jumper.exchange",
    "https://basescan.org",
    "https://optimistic.etherscan.io",
    "http://localhost:3000",
    "http://127.0.0.1:8545",
    "http://[::1]:5173",
    "http://192.168.1.10:8080",
    "http://my-dapp.localhost:5173",
)


@pytest.fixture(scope="module")
def lists() -> DomainLists:
    parsed = read_domains(CONFIG, "metamask-phishing")
    return DomainLists(parsed.entries, {parsed.source: parsed.version})


def asked_by(origin: str, lists: DomainLists | None, used: tuple[str, ...] | None = None) -> AnalysisContext:
    ctx = ctx_for(tx(BOB, value=1))
    history = None if used is None else HistoryIndex(HistoryEntry(ALICE, BOB, 1, origin=o) for o in used)
    return replace(
        ctx,
        request=replace(ctx.request, origin=origin),
        history=None if history is None else history.entries,
        origin=origin_facts(origin, lists, history),
    )


def origin_findings(ctx: AnalysisContext) -> list[tuple[str, Severity]]:
    found = evaluate(ctx, ORIGIN_RULES, Policy()).findings
    return [(f.rule, f.severity) for f in found]


def test_the_benign_list_is_large() -> None:
    assert len(POPULAR_DAPPS) >= 50


@pytest.mark.parametrize("origin", POPULAR_DAPPS)
def test_no_origin_rule_fires_on_popular_dapps(lists: DomainLists, origin: str) -> None:
    """With a MetaMask-like fuzzy list and a history holding every other popular dapp."""
    others = tuple(o for o in POPULAR_DAPPS if o != origin)
    ctx = asked_by(origin, lists, used=others)
    assert {Fact.ORIGIN, Fact.DOMAIN_LISTS, Fact.ORIGIN_HISTORY} <= ctx.available()
    assert origin_findings(ctx) == []


def test_the_same_name_under_another_suffix_warns_by_design(lists: DomainLists) -> None:
    """Curve moved from curve.fi to curve.finance; a user of curve.fi should look twice once."""
    ctx = asked_by("https://curve.finance", lists, used=("https://curve.fi",))
    assert origin_findings(ctx) == [("origin-lookalike-of-used-site", Severity.MEDIUM)]


@pytest.mark.parametrize(
    "origin, expected",
    [
        ("https://claim-airdrop-now.example", [("origin-on-blocklist", Severity.CRITICAL)]),
        ("https://opensae.io", [("origin-imitates-known-site", Severity.HIGH)]),
        (
            "https://app.unisvvap.org",  # vv reads as w
            [("origin-imitates-known-site", Severity.HIGH), ("origin-lookalike-of-used-site", Severity.MEDIUM)],
        ),
        ("https://rnetamask.io", [("origin-imitates-known-site", Severity.HIGH)]),
        (
            "https://uniswаp.org",  # Cyrillic а: looks like a site on the fuzzy list, and like one you used
            [
                ("origin-imitates-known-site", Severity.HIGH),
                ("origin-confusable-characters", Severity.MEDIUM),
                ("origin-lookalike-of-used-site", Severity.MEDIUM),
            ],
        ),
        ("https://app.aave.io", [("origin-lookalike-of-used-site", Severity.MEDIUM)]),
        ("https://app.rnorpho.org", [("origin-lookalike-of-used-site", Severity.MEDIUM)]),
        ("https://stake.lidо.fi", [("origin-confusable-characters", Severity.MEDIUM)]),  # Cyrillic о; 'lido' is short
        ("https://例え.jp", [("origin-confusable-characters", Severity.LOW)]),
    ],
)
def test_phishing_origins(lists: DomainLists, origin: str, expected: list[tuple[str, Severity]]) -> None:
    ctx = asked_by(origin, lists, used=("https://app.uniswap.org", "https://app.aave.com", "https://app.morpho.org"))
    assert sorted(origin_findings(ctx)) == sorted(expected)


def test_an_allow_list_silences_every_origin_rule(tmp_path: Path) -> None:
    (tmp_path / "trusted.txt").write_text("uniswаp.org\n")
    allow = read_domains(tmp_path / "trusted.txt", "domains-allow")
    base = read_domains(CONFIG, "metamask-phishing")
    lists = DomainLists([*allow.entries, *base.entries])
    ctx = asked_by("https://uniswаp.org", lists, used=("https://app.uniswap.org",))
    assert ctx.origin is not None and ctx.origin.allowed
    assert origin_findings(ctx) == []


def test_without_origin_lists_or_history_the_rules_are_skipped_and_say_why(lists: DomainLists) -> None:
    reasons = {s.rule: s.reason for s in evaluate(ctx_for(tx(BOB, value=1)), BUILTIN_RULES, Policy()).skipped}
    assert reasons["origin-on-blocklist"] == "missing facts: domain_lists, origin"
    assert reasons["origin-confusable-characters"] == "missing facts: origin"
    no_lists = evaluate(asked_by("https://app.uniswap.org", None, used=()), BUILTIN_RULES, Policy())
    reasons = {s.rule: s.reason for s in no_lists.skipped}
    assert reasons["origin-on-blocklist"] == "missing facts: domain_lists"
    assert reasons["origin-lookalike-of-used-site"] == "missing facts: origin_history"
    assert "origin-confusable-characters" not in reasons


def test_an_origin_without_a_host_gives_facts_but_no_findings(lists: DomainLists) -> None:
    ctx = asked_by("null", lists, used=("https://app.uniswap.org",))
    assert ctx.origin is not None and ctx.origin.host is None
    assert origin_findings(ctx) == []


def test_lookalike_thresholds_are_policy_parameters(lists: DomainLists) -> None:
    ctx = asked_by("https://app.aave.io", lists, used=("https://app.aave.com",))
    assert origin_lookalike_of_used_site.check(ctx, origin_lookalike_of_used_site.default_params()) is not None
    strict = origin_lookalike_of_used_site.params_with({"min_name_length": 5})
    assert origin_lookalike_of_used_site.check(ctx, strict) is None


def test_the_lookalike_evidence_names_the_site_you_used(lists: DomainLists) -> None:
    ctx = asked_by("https://app-uniswap.org", lists, used=("https://app.uniswap.org",))
    hit = origin_lookalike_of_used_site.check(ctx, origin_lookalike_of_used_site.default_params())
    assert hit is not None
    assert hit.evidence["resembles"] == "app.uniswap.org"
    assert (hit.evidence["how"], hit.evidence["distance"]) == ("edit-distance", 1)


# --- the history file's origin field ---


def test_history_lines_carry_an_origin() -> None:
    lines = [
        json.dumps({"from": ALICE, "to": BOB, "value": "1", "origin": "https://app.uniswap.org"}),
        json.dumps({"from": ALICE, "to": BOB, "value": "2", "origin": "https://APP.uniswap.org/#/swap"}),
        json.dumps({"from": ALICE, "to": BOB, "value": "3"}),
    ]
    entries = parse_history_lines(lines)
    assert [e.origin for e in entries] == ["https://app.uniswap.org", "https://APP.uniswap.org/#/swap", None]
    assert [h.name for h in HistoryIndex(entries).origin_hosts] == ["app.uniswap.org"]


@pytest.mark.parametrize("origin", ["null", "", "https://", "https://a b.example", "x" * 3000])
def test_history_origin_is_validated(origin: str) -> None:
    line = json.dumps({"from": ALICE, "to": BOB, "value": "1", "origin": origin})
    with pytest.raises(InputFileError, match="line 1: field 'origin'"):
        parse_history_lines([line])


# --- SIWE domain vs origin ---


def _siwe(domain_line: str, origin: str | None) -> AnalysisContext:
    text = (
        f"{domain_line} wants you to sign in with your Ethereum account:\n{ALICE}\n\nSign in.\n\n"
        "URI: https://app.example/login\nVersion: 1\nChain ID: 7357\nNonce: 12345678\n"
        "Issued At: 2026-01-01T00:00:00Z"
    )
    ctx = _personal(text.encode())
    return replace(ctx, request=replace(ctx.request, origin=origin))


@pytest.mark.parametrize(
    "domain_line, origin, differs",
    [
        ("app.example", "https://app.example", None),
        ("app.example", "https://APP.example./login", None),
        ("app.example", "app.example", None),
        ("app.example", "https://app.example:8443", None),  # no port stated: the host is what counts
        ("app.example:443", "https://app.example", None),
        ("app.example:8443", "https://app.example:8443", None),
        ("https://app.example", "https://app.example", None),
        ("localhost:3000", "http://localhost:3000", None),
        ("uniswаp.org", "https://xn--uniswp-7nf.org", None),  # the same host, Unicode and punycode
        ("evil.example", "https://app.example", ["host"]),
        ("app.example", "https://app.example.evil.example", ["host"]),
        ("app.example", "https://evil.example/app.example", ["host"]),
        ("app.example:8443", "https://app.example", ["port"]),
        ("app.example:443", "http://app.example", ["port"]),
        ("app.example:3000", "http://app.example:3001", ["port"]),
        ("https://app.example", "http://app.example", ["scheme"]),
        ("https://app.example:8080", "http://app.example", ["port", "scheme"]),
        ("app.example", "null", ["host"]),
        ("app.example", "file:///tmp/x.html", ["host"]),
    ],
)
def test_siwe_domain_against_origin(domain_line: str, origin: str, differs: list[str] | None) -> None:
    hit = siwe_domain_mismatch.check(_siwe(domain_line, origin), siwe_domain_mismatch.default_params())
    if differs is None:
        assert hit is None
    else:
        assert hit is not None and hit.evidence["differs"] == differs


def test_siwe_without_origin_is_skipped_and_says_why() -> None:
    """No origin to compare: not "checked and fine" but "could not check", naming the domain."""
    result = siwe_domain_mismatch.check(_siwe("evil.example", None), siwe_domain_mismatch.default_params())
    assert isinstance(result, Skip)
    assert "names no origin" in result.reason and "'evil.example'" in result.reason
    verdict_skips = {s.rule: s.reason for s in evaluate(_siwe("evil.example", None), BUILTIN_RULES, Policy()).skipped}
    assert verdict_skips["siwe-domain-mismatch"] == result.reason


def test_siwe_scheme_is_parsed() -> None:
    intent = _siwe("https://app.example", "https://app.example").intent
    assert intent is not None and intent.login is not None
    assert (intent.login.scheme, intent.login.domain) == ("https", "app.example")


# --- the whole pipeline: the enrich stage reads the store's domain lists and the history ---


REQUEST: dict[str, Any] = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "eth_sendTransaction",
    "params": [{"from": ALICE, "to": BOB, "value": "0x1"}],
}


@pytest.mark.asyncio(loop_scope="session")
async def test_the_pipeline_gathers_origin_facts() -> None:
    store = IntelStore(shipped=False)
    parsed = read_domains(CONFIG, "metamask-phishing")
    store.replace_domains(parsed.source, parsed.fmt, parsed.entries, parsed.version)
    history = (HistoryEntry(ALICE, BOB, 1, origin="https://app.aave.com"),)
    config = FirewallConfig(simulate=False, intel=store, history=history)
    async with Firewall(config) as fw:
        blocked = await fw.analyze(REQUEST, origin="https://wallet.claim-airdrop-now.example")
        lookalike = await fw.analyze(REQUEST, origin="https://app.aave.io")
        clean = await fw.analyze(REQUEST, origin="https://app.aave.com")
        no_origin = await fw.analyze(REQUEST)
    assert blocked.decision is Decision.BLOCK and blocked.origin == "https://wallet.claim-airdrop-now.example"
    (finding,) = [f for f in blocked.findings if f.rule == "origin-on-blocklist"]
    assert finding.evidence["list"] == {
        "list": "block",
        "entry": "claim-airdrop-now.example",
        "source": "metamask-phishing",
        "version": "7",
    }
    assert [f.rule for f in lookalike.findings if f.rule.startswith("origin-")] == ["origin-lookalike-of-used-site"]
    assert lookalike.decision is Decision.WARN
    assert not [f for f in clean.findings if f.rule.startswith("origin-")]
    assert {s.rule for s in no_origin.skipped_rules} >= {r.id for r in ORIGIN_RULES}
