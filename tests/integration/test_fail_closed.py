"""Fail closed means block (RELIABILITY A5; A8 cases 10 and 48; issue 13).

The node goes away after the Firewall started (its port closed), or stops answering (a real
loopback server that reads the request and never replies): a signing request gets a **block**
verdict naming the reason, within the simulate stage's timeout. Before, the rule only warned, and
the later stages waited on the dead node again (enrich, then the head check): ~37 s with the
default timeouts. Simulation turned off by the user stays an info note, never a block.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
from txfirewall.firewall import Firewall, FirewallConfig
from txfirewall.model.findings import Severity
from txfirewall.model.simulation import SimulationStatus
from txfirewall.model.verdict import Decision, Verdict
from txfirewall.pipeline import StageTimeouts

from ..conftest import FIXTURES, load_request
from ..support.misbehaving_upstream import MisbehavingUpstream

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

SIMULATE_TIMEOUT = 2.0
MARGIN = 1.0
"""What the analysis may take past the simulate timeout: the head check's short wait (0.5 s) and
the rules; not another stage timeout."""


@pytest.fixture
def private_mainnet(manifest: dict[str, Any]) -> Iterator[AnvilNode]:
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=manifest["chain_id"], accounts=0)
    with AnvilNode.start(options) as node:
        yield node


@contextlib.asynccontextmanager
async def firewall_behind(node: AnvilNode, cold_start: str) -> AsyncIterator[tuple[Firewall, MisbehavingUpstream]]:
    """A started Firewall whose node is a ``MisbehavingUpstream`` (answering normally until told
    otherwise) in front of ``node``; the enrich timeout is left at its default (10 s), so a stage
    that waited on the dead node again would show in the elapsed time."""
    async with MisbehavingUpstream(node.url) as upstream:
        config = FirewallConfig(
            rpc_url=upstream.url,
            chain_id=7357,
            repin_interval=None,
            cold_start=cold_start,
            timeouts=StageTimeouts(simulate=SIMULATE_TIMEOUT),
        )
        fw = Firewall(config)
        try:
            await fw.start()
            yield fw, upstream
        finally:
            await fw.close(timeout=1.0)


async def timed(fw: Firewall, request: bytes) -> tuple[Verdict, float]:
    start = time.perf_counter()
    verdict = await fw.analyze(request)
    return verdict, time.perf_counter() - start


def assert_blocked_with_reason(verdict: Verdict, reason: tuple[str, ...]) -> None:
    assert verdict.decision is Decision.BLOCK, [(f.rule, f.severity, f.message) for f in verdict.findings]
    assert verdict.simulation.status is SimulationStatus.FAILED
    finding = next(f for f in verdict.findings if f.rule == "simulation-unavailable")
    assert finding.severity is Severity.HIGH
    assert any(r in finding.message for r in reason), finding.message
    assert "refused (fail closed)" in finding.message


@pytest.mark.parametrize("cold_start", ["upstream", "fork"])
@pytest.mark.parametrize("request_name", ["a_eth_to_bob.json", "k_permit2_typed_data.json"])
async def test_a_node_that_went_down_blocks_at_once(
    private_mainnet: AnvilNode, cold_start: str, request_name: str
) -> None:
    """The node's port is closed after the start (connection refused): block, with the reason."""
    async with firewall_behind(private_mainnet, cold_start) as (fw, upstream):
        await upstream.__aexit__(None, None, None)  # the port closes: connections are refused
        verdict, elapsed = await timed(fw, load_request(request_name))
    assert_blocked_with_reason(verdict, ("cannot reach", "error sending request", "Connect"))
    assert elapsed < SIMULATE_TIMEOUT + MARGIN, elapsed


@pytest.mark.parametrize("cold_start", ["upstream", "fork"])
@pytest.mark.parametrize("request_name", ["a_eth_to_bob.json", "k_permit2_typed_data.json"])
async def test_a_node_that_hangs_blocks_within_the_simulate_timeout(
    private_mainnet: AnvilNode, cold_start: str, request_name: str
) -> None:
    """The node reads each request and never answers: the simulate stage times out and the verdict
    is a block right after it (enrich and the head check do not wait on the node again)."""
    async with firewall_behind(private_mainnet, cold_start) as (fw, upstream):
        upstream.mode = "hang"
        verdict, elapsed = await timed(fw, load_request(request_name))
    assert_blocked_with_reason(verdict, (f"timed out after {SIMULATE_TIMEOUT:g}s",))
    assert elapsed < SIMULATE_TIMEOUT + MARGIN, elapsed
    stage_failed = next(f for f in verdict.findings if f.rule == "analysis-stage-failed")
    assert "enrich (read nothing from the node" in stage_failed.message, "enrich did not wait on the node"


async def test_simulation_turned_off_is_an_info_note_never_a_block() -> None:
    async with Firewall(FirewallConfig(simulate=False, chain_id=7357)) as fw:
        verdict = await fw.analyze(load_request("a_eth_to_bob.json"))
    finding = next(f for f in verdict.findings if f.rule == "simulation-unavailable")
    assert finding.severity is Severity.INFO and "turned off" in finding.message
    assert verdict.decision is Decision.ALLOW
