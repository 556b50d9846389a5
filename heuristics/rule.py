"""How a rule is declared: metadata beside a pure function of the analysis context.

A rule measures something about the context and returns a ``Hit`` (with evidence), None (it
measured and found nothing), or a ``Skip`` (a fact it needs is unknown for this request, so it
could not decide: the verdict lists it in ``skipped_rules`` with the reason). It never does I/O.
Its tunable thresholds live in a frozen ``params`` dataclass, which the policy file may override
per field.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload

from txfirewall.heuristics.params import apply_overrides
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.findings import Confidence, Severity
from txfirewall.model.json_values import JsonValue
from txfirewall.model.primitives import Address

P = TypeVar("P")

_RULE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class NoParams:
    """For rules with nothing to tune."""


@dataclass(frozen=True)
class Hit:
    """What a rule saw. ``severity`` overrides the rule's default when the measured value is graded."""

    message: str
    evidence: Mapping[str, JsonValue] = field(default_factory=dict)
    severity: Severity | None = None
    subject: Address | None = None
    """The counterparty the hit is about; an allow-listed subject silences non-unconditional rules."""


@dataclass(frozen=True)
class Skip:
    """The rule could not decide: a fact it needs is unknown for this request (a contract's age the
    node could not give, a balance it could not read). Not a finding: the verdict lists the rule in
    ``skipped_rules`` with ``reason``, so "checked and fine" and "could not check" stay apart.

    Only for facts that are unknown *here*: a rule that does not apply to this kind of request
    (a transfer rule on a signature) returns None, and a fact no request could have is declared in
    ``requires`` (the rule is then skipped with "missing facts: ..." before it runs)."""

    reason: str
    """Plain words naming what was unknown (and, when known, why)."""


@dataclass(frozen=True)
class Rule(Generic[P]):
    id: str
    title: str
    severity: Severity
    confidence: Confidence
    requires: frozenset[Fact]
    params_type: type[P]
    check: Callable[[AnalysisContext, P], Hit | Skip | None]
    unconditional: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if not _RULE_ID.match(self.id):
            raise ValueError(f"rule id {self.id!r} must be kebab-case")
        if not dataclasses.is_dataclass(self.params_type):
            raise TypeError(f"rule {self.id}: params must be a dataclass")

    def default_params(self) -> P:
        return self.params_type()

    def params_with(self, overrides: Mapping[str, Any]) -> P:
        """Default params with policy overrides applied, each checked against its declared type
        (``ValueError`` names the parameter and the type it wants)."""
        result: P = apply_overrides(self.id, self.default_params(), overrides)
        return result


Check = Callable[[AnalysisContext, P], Hit | Skip | None]
"""A rule's body: the analysis context and its parameters in; a hit, a skip (could not decide) or
nothing out."""


@overload
def rule(
    *,
    id: str,
    title: str,
    severity: Severity,
    confidence: Confidence,
    requires: tuple[Fact, ...] = (),
    unconditional: bool = False,
) -> Callable[[Check[NoParams]], Rule[NoParams]]: ...


@overload
def rule(
    *,
    id: str,
    title: str,
    severity: Severity,
    confidence: Confidence,
    requires: tuple[Fact, ...] = (),
    params: type[P],
    unconditional: bool = False,
) -> Callable[[Check[P]], Rule[P]]: ...


def rule(
    *,
    id: str,
    title: str,
    severity: Severity,
    confidence: Confidence,
    requires: tuple[Fact, ...] = (),
    params: type[Any] = NoParams,
    unconditional: bool = False,
) -> Callable[[Check[Any]], Rule[Any]]:
    """Declare a rule: ``@rule(id=..., ...)`` over ``def check(ctx, params) -> Hit | Skip | None``."""

    def wrap(fn: Check[Any]) -> Rule[Any]:
        return Rule(
            id=id,
            title=title,
            severity=severity,
            confidence=confidence,
            requires=frozenset(requires) | {Fact.REQUEST},
            params_type=params,
            check=fn,
            unconditional=unconditional,
            description=(fn.__doc__ or "").strip(),
        )

    return wrap
