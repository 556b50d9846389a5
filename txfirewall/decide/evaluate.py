"""The evaluate stage: run every enabled rule whose required facts are present.

Every rule ends in exactly one of two places: ``Evaluation.ran`` (it decided: a finding, or
nothing found) or ``Evaluation.skipped`` (it did not decide, and why). Skipped are: a rule
disabled by policy; one that lacks required facts; one whose check returned ``Skip`` (a fact it
needs was unknown for this request); one whose hit is about an allow-listed subject; and one that
crashed, which is also reported as a finding that raises the verdict to at least warn
(``rule-crashed``): an analysis that did not finish must not read as clean. Rules are synchronous,
so the stage's time limit is a budget checked between rules: past it, the remaining rules are
skipped and the verdict fails closed (``evaluate-timeout``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from txfirewall.decide.policy import Policy
from txfirewall.errors import InputFileError
from txfirewall.heuristics.rule import Rule, Skip
from txfirewall.model.context import AnalysisContext
from txfirewall.model.findings import Confidence, Finding, Severity
from txfirewall.model.hostnames import parse_host
from txfirewall.model.intent import IntentKind
from txfirewall.model.primitives import Address
from txfirewall.model.verdict import SkippedRule


@dataclass(frozen=True)
class Evaluation:
    findings: tuple[Finding, ...]
    skipped: tuple[SkippedRule, ...]
    ran: tuple[str, ...] = ()
    """Ids of the rules that ran to a decision (a finding, or nothing found), in rule order. With
    the ids in ``skipped`` they are every rule evaluated, each exactly once."""


_PARAMS: dict[tuple[str, int], tuple[Mapping[str, Any], Any]] = {}
"""(rule id, id of its overrides) -> (those overrides, the checked params): a policy's overrides
are checked and converted once, not on every request. The overrides object is kept alongside so
an id reused after it is freed can never serve another policy's params."""


def _params(r: Rule[Any], overrides: Mapping[str, Any]) -> Any:
    key = (r.id, id(overrides))
    hit = _PARAMS.get(key)
    if hit is not None and hit[0] is overrides:
        return hit[1]
    params = r.params_with(overrides)
    if len(_PARAMS) > 4096:
        _PARAMS.clear()
    _PARAMS[key] = (overrides, params)
    return params


def evaluate(
    ctx: AnalysisContext, rules: Sequence[Rule[Any]], policy: Policy, *, budget_seconds: float | None = None
) -> Evaluation:
    available = ctx.available()
    findings: list[Finding] = []
    skipped: list[SkippedRule] = []
    ran: list[str] = []
    deadline = None if budget_seconds is None else time.perf_counter() + budget_seconds
    for index, r in enumerate(rules):
        if deadline is not None and time.perf_counter() > deadline:
            left = rules[index:]
            skipped.extend(
                SkippedRule(x.id, f"not run: the evaluate stage passed its {budget_seconds:g}s budget") for x in left
            )
            findings.append(_budget_finding(budget_seconds or 0.0, len(left)))
            break
        override = policy.override(r.id)
        if not override.enabled:
            skipped.append(SkippedRule(r.id, "disabled by policy"))
            continue
        if not r.requires <= available:
            missing = sorted(f.value for f in r.requires - available)
            skipped.append(SkippedRule(r.id, "missing facts: " + ", ".join(missing)))
            continue
        try:
            params = _params(r, override.params)
            hit = r.check(ctx, params)
        except Exception as exc:  # noqa: BLE001 - a broken rule is reported, never fatal
            skipped.append(SkippedRule(r.id, f"crashed: {type(exc).__name__}: {exc}"))
            findings.append(
                Finding(
                    rule="rule-crashed",
                    severity=Severity.MEDIUM,
                    confidence=Confidence.HIGH,
                    title="A check crashed",
                    message=f"The check {r.id} failed ({type(exc).__name__}); treat this request with care.",
                    evidence={"rule": r.id, "error": f"{type(exc).__name__}: {exc}"},
                )
            )
            continue
        if hit is None:
            ran.append(r.id)
            continue
        if isinstance(hit, Skip):
            skipped.append(SkippedRule(r.id, hit.reason))
            continue
        unconditional = r.unconditional if override.unconditional is None else override.unconditional
        if hit.subject is not None and hit.subject in policy.allowlist and not unconditional:
            skipped.append(SkippedRule(r.id, f"subject {hit.subject} is allow-listed"))
            continue
        ran.append(r.id)
        findings.append(
            Finding(
                rule=r.id,
                severity=override.severity or hit.severity or r.severity,
                confidence=r.confidence,
                title=r.title,
                message=hit.message,
                evidence=dict(hit.evidence),
                unconditional=unconditional,
            )
        )
    findings.extend(denylist_findings(ctx, policy))
    findings.sort(key=Finding.sort_key)
    return Evaluation(tuple(findings), tuple(skipped), tuple(ran))


def _spenders(ctx: AnalysisContext) -> set[Address]:
    found = {a.spender for a in ctx.intent.allowances} if ctx.intent is not None else set()
    if ctx.simulation is not None and ctx.simulation.ran:
        found |= {a.spender for a in ctx.simulation.approvals}
    if ctx.intent is not None and ctx.intent.kind is IntentKind.TOKEN_APPROVAL and ctx.intent.counterparty:
        found.add(ctx.intent.counterparty)
    return found


def denylist_findings(ctx: AnalysisContext, policy: Policy) -> list[Finding]:
    """The user's deny list: a touched address, a spender or the requesting site on it blocks,
    unconditionally (the user said so; only editing the policy changes it)."""
    deny = policy.denylist
    hits: dict[str, str] = {}
    touched = set(ctx.addresses)
    if ctx.request.transaction is not None and ctx.request.transaction.to is not None:
        touched.add(ctx.request.transaction.to)
    for address in sorted(touched & deny.addresses):
        hits[address] = "address"
    for spender in sorted(_spenders(ctx) & (deny.spenders | deny.addresses)):
        hits[spender] = "spender"
    if ctx.request.origin and deny.origins:
        host = parse_host(ctx.request.origin)
        site = deny.origin_match(host.name if host is not None else None)
        if site is not None:
            hits[site] = "origin"
    return [
        Finding(
            rule="policy-denylist",
            severity=Severity.CRITICAL,
            confidence=Confidence.HIGH,
            title="On your deny list",
            message=f"Your policy's deny list names this {kind}: {value}. The request is blocked.",
            evidence={"entry": value, "kind": kind},
            unconditional=True,
        )
        for value, kind in hits.items()
    ]


def _budget_finding(budget_seconds: float, left: int) -> Finding:
    return Finding(
        rule="evaluate-timeout",
        severity=Severity.MEDIUM,
        confidence=Confidence.HIGH,
        title="Not every check ran",
        message=(
            f"The checks took longer than their {budget_seconds:g}s budget and {left} were not run; "
            "treat this request with care."
        ),
        evidence={"budget_seconds": budget_seconds, "rules_not_run": left},
    )


def validate_policy(policy: Policy, rules: Sequence[Rule[Any]], *, source: str = "policy") -> None:
    """Reject, up front, overrides that name no rule or set parameters a rule does not have
    (otherwise a typo silently drops a stricter setting, or crashes the rule on every request)."""
    known = {r.id: r for r in rules}
    for rule_id, override in policy.rules.items():
        rule = known.get(rule_id)
        if rule is None:
            close = sorted(known, key=lambda k: _distance(k, rule_id))[:1]
            raise InputFileError(
                f"{source} [rules.{rule_id}]: no such rule" + (f" (did you mean {close[0]}?)" if close else ""),
                hint="`txfirewall` README lists the rule ids",
            )
        try:
            rule.params_with(override.params)
        except ValueError as exc:
            raise InputFileError(f"{source} [rules.{rule_id}] params: {exc}") from exc


def _distance(a: str, b: str) -> int:
    """Levenshtein distance, for 'did you mean'."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
