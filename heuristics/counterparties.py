"""Rules about who the request deals with, from labels (user lists, shipped intel).

Deliberately not reported: labels of benign categories (exchange, bridge, protocol); graph
proximity, which has its own rules once the address graph exists.
"""

from __future__ import annotations

from txfirewall.heuristics.rule import Hit, NoParams, rule
from txfirewall.model.context import AnalysisContext, Fact
from txfirewall.model.facts import ILLICIT_CATEGORIES, LabelCategory
from txfirewall.model.findings import Confidence, Severity


@rule(
    id="illicit-counterparty",
    title="Counterparty is labelled illicit",
    severity=Severity.CRITICAL,
    confidence=Confidence.HIGH,
    requires=(Fact.ADDRESS_FACTS,),
)
def illicit_counterparty(ctx: AnalysisContext, params: NoParams) -> Hit | None:
    """Any address the request touches carries a sanctioned, phishing, drainer, scam, exploit or heist label."""
    for address in sorted(ctx.addresses):
        facts = ctx.addresses[address]
        bad = [label for label in facts.labels if label.category in ILLICIT_CATEGORIES]
        if not bad:
            continue
        label = bad[0]
        return Hit(
            message=(
                f"{address} ({', '.join(facts.roles)}) is labelled {label.category.value} "
                f'by {label.source}: "{label.label}".'
            ),
            evidence={"address": address, "roles": list(facts.roles), "labels": [lb.to_json() for lb in bad]},
            severity=Severity.HIGH if label.category is LabelCategory.SCAM else None,
            subject=address,
        )
    return None
