"""Behaviour unlike the user's own: the request is legal, but not like them.

Measured against the history the user gave (``--history``): the ETH amount as a robust z-score of
log10(wei) (median and MAD, so a few big past payments do not hide a huge one) and against their
largest payment; the hour of day; the method; whether the counterparty is new. One strong signal
(an amount far beyond anything they sent) or three weak ones together (an hour they never
transact at, a method they never called, a counterparty they never dealt with) while something of
theirs is at stake ask for a deliberate confirmation. Deliberately not reported: any single weak
signal (people travel, try new apps, pay new people). A history too short to know the user (fewer
than ``min_history`` outgoing transactions) decides nothing: the rule is skipped, and says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from txfirewall.heuristics.rule import Hit, Skip, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.intent import IntentKind
from txfirewall.model.json_values import JsonValue

MAD_SCALE = 1.4826
"""Scales a median absolute deviation to a standard deviation for normal data."""


@dataclass(frozen=True)
class BaselineParams:
    min_history: int = 20
    """Outgoing transactions needed before the user's habits mean anything."""
    amount_z: float = 6.0
    """Robust z-score of log10(amount) above which an ETH amount is out of character..."""
    amount_over_max: float = 3.0
    """...and it must also be this many times the largest ETH payment in the history."""
    hour_window: int = 1
    """Hours either side of the current hour that count as "an hour they transact at"."""


def _method(ctx: AnalysisContext) -> str | None:
    intent = ctx.intent
    if intent is None:
        return None
    if intent.call is not None:
        return intent.call.name
    return None if intent.selector is None else str(intent.selector)


def _at_stake(ctx: AnalysisContext) -> bool:
    """Something of the user's leaves or becomes takeable: ETH, a token transfer, an allowance."""
    tx, intent = ctx.request.transaction, ctx.intent
    if tx is not None and tx.value > 0:
        return True
    return intent is not None and (
        intent.kind in (IntentKind.TOKEN_TRANSFER, IntentKind.TOKEN_APPROVAL) or bool(intent.allowances)
    )


@rule(
    id="unusual-for-you",
    title="Unlike anything you usually do",
    severity=Severity.MEDIUM,
    confidence=Confidence.LOW,
    requires=(Fact.INTENT, Fact.HISTORY),
    params=BaselineParams,
)
def unusual_for_you(ctx: AnalysisContext, params: BaselineParams) -> Hit | Skip | None:
    """See the module docstring: one strong or three weak signals against the user's own history."""
    base = ctx.baseline
    tx = ctx.request.transaction
    if tx is None:
        return None
    if base is None:
        return Skip("your habits were not computed from the history given, so nothing could be compared")
    if base.sends < params.min_history:
        return Skip(
            f"your history has {base.sends} outgoing transaction(s) from this account; at least "
            f"{params.min_history} are needed to know your habits"
        )
    features: dict[str, JsonValue] = {}
    strong = False
    if tx.value > 0 and base.native_log_median is not None and base.native_log_mad is not None:
        spread = max(MAD_SCALE * base.native_log_mad, 0.1)
        z = (math.log10(tx.value) - base.native_log_median) / spread
        if z >= params.amount_z and tx.value >= params.amount_over_max * base.native_max:
            strong = True
            features["amount"] = (
                f"{tx.value / 10**18:g} ETH is {tx.value / max(base.native_max, 1):.0f}x your largest payment "
                f"({base.native_max / 10**18:g} ETH; robust z {z:.1f})"
            )
    weak: list[str] = []
    if ctx.now is not None and sum(base.hours) >= params.min_history:
        hour = (ctx.now // 3600) % 24
        near = sum(base.hours[(hour + d) % 24] for d in range(-params.hour_window, params.hour_window + 1))
        if near == 0:
            weak.append("hour")
            features["hour"] = f"you never transacted around {hour:02d}:00 UTC"
    method = _method(ctx)
    if method is not None and base.methods and method not in base.methods:
        weak.append("method")
        features["method"] = f"you never called {method}"
    facts = ctx.facts(tx.to)
    mine = ctx.counterparties
    dealt = (facts is not None and facts.relationship is not None and facts.relationship.interacted) or (
        mine is not None and tx.to is not None and mine.is_real(tx.to)
    )
    if tx.to is not None and not dealt:
        weak.append("counterparty")
        features["counterparty"] = f"you never dealt with {tx.to}"
    if not strong and (len(weak) < 3 or not _at_stake(ctx)):
        return None
    return Hit(
        message="This is unlike your own history: " + "; ".join(str(v) for v in features.values()) + ". If you did "
        "not mean something new, stop here.",
        evidence={"features": features, "history_sends": base.sends},
        severity=Severity.MEDIUM,
    )
