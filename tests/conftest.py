"""Shared fixtures: the repository's fixture chain, started once per session from its state dump."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
from txfirewall.enrich.history_file import load_history
from txfirewall.firewall import Firewall, FirewallConfig

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "anvil_fixtures"


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    return json.loads((FIXTURES / "manifest.json").read_text())


@pytest.fixture(scope="session")
def mainnet(manifest: dict[str, Any]) -> Iterator[AnvilNode]:
    """The fixture "mainnet": anvil loaded from the committed state dump."""
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=manifest["chain_id"], accounts=0)
    with AnvilNode.start(options) as node:
        yield node


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def firewall(mainnet: AnvilNode, manifest: dict[str, Any]) -> AsyncIterator[Firewall]:
    """A Firewall forking the fixture chain, with the user's history."""
    config = FirewallConfig(
        rpc_url=mainnet.url,
        chain_id=manifest["chain_id"],
        history=load_history(FIXTURES / "history.jsonl"),
    )
    async with Firewall(config) as fw:
        yield fw


def load_request(name: str) -> bytes:
    return (FIXTURES / "requests" / name).read_bytes()
