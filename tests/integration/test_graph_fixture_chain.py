"""The address graph built from the fixture chain's own history, scanned over RPC from a real
anvil: the drainer's operator and the attacker come out next to the seeded drainers, alice's
friends far away; the firewall turns that into a finding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from txfirewall.chain.anvil_node import AnvilNode
from txfirewall.chain.rpc_client import RpcClient
from txfirewall.graph.build import build_from_files
from txfirewall.graph.index import ProximityIndex
from txfirewall.graph.rpc_scan import scan_blocks
from txfirewall.model.facts import Label, LabelCategory
from txfirewall.model.primitives import to_address

pytestmark = pytest.mark.integration


@pytest.mark.asyncio(loop_scope="session")
async def test_fixture_chain_graph(mainnet: AnvilNode, manifest: dict[str, Any], tmp_path: Path) -> None:
    edges = tmp_path / "edges.jsonl"
    seen: list[tuple[int, int, int]] = []
    async with RpcClient(mainnet.url) as client:
        head = manifest["head"]["number"]
        first = await scan_blocks(client, 0, head, edges, chunk=20, progress=lambda *p: seen.append(p))
        assert first > 0 and seen[-1][0] == head + 1
        again = await scan_blocks(client, 0, head, edges, chunk=20)  # finished: resumes at the end
        assert again == 0 and len(edges.read_text().splitlines()) == first
    contracts, accounts = manifest["contracts"], manifest["accounts"]
    seeds = [to_address(contracts[r]) for r in ("drainer", "coinbase_gated_drainer", "sweeper_7702")]
    labels = {a: (Label(a, "fixture drainer", "test", LabelCategory.DRAINER),) for a in seeds}
    build_from_files([edges], labels, tmp_path / "g")  # type: ignore[arg-type]
    index = ProximityIndex.open(tmp_path / "g")

    def hops(role: str) -> int | None:
        found = index.lookup(accounts[role]["address"])
        return None if found is None else found.proximity.hops

    assert hops("drainer_owner") == 1
    assert hops("attacker") == 1
    owner = index.lookup(accounts["drainer_owner"]["address"])
    assert owner is not None and owner.proximity.path[-1] in seeds and owner.proximity.cluster is not None
    for friend in ("bob", "carol", "dave", "alice"):
        assert hops(friend) is None or hops(friend) >= 3, friend  # type: ignore[operator]
