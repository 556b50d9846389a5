"""``txfirewall demo``: start the bundled fixture chain and analyse its sample requests.

On a terminal the samples open in the terminal app (``txfirewall tui``), queued and analysed
there one by one; without one (CI, a pipe), or with ``--text`` or ``--json``, every verdict is
printed as text. The fixture chain (``anvil_fixtures/`` in the repository, shipped in the package as
``txfirewall/data/fixture_chain``) plays "mainnet"; the firewall forks it exactly as it would fork
a user's node. Exit 0 when every benign sample is allowed and every malicious one is warned or
blocked, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
from txfirewall.cli.report import render_verdict
from txfirewall.enrich.history_file import load_history
from txfirewall.enrich.labels import load_labels
from txfirewall.errors import InputFileError
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.model.text import terminal_safe
from txfirewall.model.verdict import Decision, Verdict


@dataclass(frozen=True)
class Sample:
    file: Path
    title: str
    expect: str
    why: str
    xfail: str | None = None
    """Known bug (index.json ``xfail``): the sample's true ``expect`` is not met yet; not held to the bar."""

    @property
    def malicious(self) -> bool:
        return self.expect != "allow"


def bundled_fixtures() -> Path:
    """The fixture chain shipped with the package (in a checkout, a link to ``anvil_fixtures/``)."""
    from importlib.resources import files

    return Path(str(files("txfirewall") / "data" / "fixture_chain"))


def load_samples(fixtures: Path) -> list[Sample]:
    index_path = fixtures / "requests" / "index.json"
    try:
        index: list[dict[str, Any]] = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(f"cannot read the sample index {index_path}: {exc}") from exc
    return [
        Sample(
            fixtures / "requests" / item["file"],
            item["title"],
            item["expect"],
            item.get("why", ""),
            item.get("xfail") or None,
        )
        for item in index
    ]


def meets_bar(sample: Sample, verdict: Verdict) -> bool:
    """Benign samples must be allowed; malicious ones must at least warn."""
    if sample.malicious:
        return verdict.decision is not Decision.ALLOW
    return verdict.decision is Decision.ALLOW


async def analyse_samples(fixtures: Path, rpc_url: str, chain_id: int) -> list[tuple[Sample, Verdict]]:
    history = load_history(fixtures / "history.jsonl")
    labels_path = fixtures / "labels.csv"
    labels = load_labels(labels_path) if labels_path.exists() else {}
    config = FirewallConfig(rpc_url=rpc_url, chain_id=chain_id, history=history, labels=labels)
    results = []
    async with Firewall(config) as firewall:
        for sample in load_samples(fixtures):
            verdict = await firewall.analyze(sample.file.read_bytes())
            results.append((sample, verdict))
    return results


def summary_table(results: list[tuple[Sample, Verdict]]) -> str:
    rows = [("#", "request", "expected", "verdict", "score", "rules", "ok")]
    for i, (sample, verdict) in enumerate(results, 1):
        rules = ",".join(f.rule for f in verdict.findings if f.severity.rank >= 2) or "-"
        ok = "yes" if meets_bar(sample, verdict) else "xfail" if sample.xfail else "NO"
        rows.append(
            (str(i), sample.title[:44], sample.expect, verdict.decision.value, str(verdict.score), rules[:60], ok)
        )
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = [
        terminal_safe("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()) for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def demo_options(fixtures: Path, rpc_url: str, chain_id: int) -> Any:
    """The terminal app's options for the demo: the fixture chain, alice's history, every sample queued."""
    from types import MappingProxyType

    from txfirewall.tui.options import StartRequest, TuiOptions

    labels_path = fixtures / "labels.csv"
    return TuiOptions(
        rpc_url=rpc_url,
        chain_id=chain_id,
        knowledge=MappingProxyType(
            {
                "history": load_history(fixtures / "history.jsonl"),
                "labels": load_labels(labels_path) if labels_path.exists() else {},
            }
        ),
        requests=tuple(StartRequest(s.file, s.title) for s in load_samples(fixtures)),
        subtitle="demo",
    )


def run_demo_tui(fixtures: Path | None = None) -> int:
    """The samples in the terminal app, on the fixture chain (started here, stopped on quit)."""
    from txfirewall.tui.app import TxFirewallApp

    fixtures = fixtures or bundled_fixtures()
    chain_id = _chain_id(fixtures)
    options = AnvilOptions(load_state=fixtures / "state.json", chain_id=chain_id, accounts=0)
    print(f"txfirewall demo: starting the fixture chain (chain id {chain_id})", file=sys.stderr)
    with AnvilNode.start(options) as mainnet:
        app = TxFirewallApp(demo_options(fixtures, mainnet.url, chain_id))
        app.run()
    return app.return_code or 0


def _chain_id(fixtures: Path) -> int:
    manifest_path = fixtures / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        return int(manifest["chain_id"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputFileError(
            f"cannot read {manifest_path}: {exc}", hint="pass --fixtures DIR with a fixture chain"
        ) from exc


def run_demo(fixtures: Path | None = None, *, as_json: bool = False) -> int:
    fixtures = fixtures or bundled_fixtures()
    chain_id = _chain_id(fixtures)
    log = sys.stderr
    print(f"txfirewall demo: starting the fixture chain (chain id {chain_id}) from {fixtures / 'state.json'}", file=log)
    started = time.perf_counter()
    options = AnvilOptions(load_state=fixtures / "state.json", chain_id=chain_id, accounts=0)
    with AnvilNode.start(options) as mainnet:
        print(
            f"txfirewall demo: fixture chain up at {mainnet.url}; forking it and analysing "
            f"{len(load_samples(fixtures))} sample requests",
            file=log,
        )
        results = asyncio.run(analyse_samples(fixtures, mainnet.url, chain_id))
    elapsed = time.perf_counter() - started
    if as_json:
        for sample, verdict in results:
            known = {"xfail": sample.xfail} if sample.xfail else {}
            print(json.dumps({"sample": sample.file.name, "expect": sample.expect, **known, **verdict.to_json()}))
    else:
        for i, (sample, verdict) in enumerate(results, 1):
            bug = f"; known bug: {sample.xfail}" if sample.xfail else ""
            print("\n" + terminal_safe(f"#{i} {sample.title}  (expected: {sample.expect}{bug})"))
            print(render_verdict(verdict))
        print("\n" + summary_table(results))
    # Samples marked xfail in index.json (a known, tracked bug) are reported but do not fail the demo.
    failed = [s.title for s, v in results if not meets_bar(s, v) and not s.xfail]
    known_bugs = [s.title for s, v in results if not meets_bar(s, v) and s.xfail]
    if failed:
        outcome = f"NOT AS EXPECTED: {'; '.join(failed)}"
    else:
        outcome = "every benign request allowed, every malicious one warned or blocked"
        if known_bugs:
            outcome += f", except {len(known_bugs)} sample(s) marked xfail for a known bug: {'; '.join(known_bugs)}"
        outcome += "."
    print(f"\n{len(results)} requests analysed in {elapsed:.1f} s; {outcome}", file=log if as_json else sys.stdout)
    return 0 if not failed else 1
