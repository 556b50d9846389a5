"""Fixtures of the proxy reliability suite (tests/e2e/test_proxy_*.py): the fixture chain of its
own (these tests send transactions that are mined), a recording upstream in front of it, and one
shared ``ProxyServer`` for the cases that need no settings of their own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions

from ..support.misbehaving_upstream import MisbehavingUpstream
from ..support.proxy_harness import CHAIN_ID, FIXTURES, Harness, running_proxy


@pytest.fixture(scope="session")
def rel_chain() -> Iterator[AnvilNode]:
    """The fixture chain, private to the reliability suite (the session's ``mainnet`` stays as
    committed: an allowed raw transaction sent here is mined)."""
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=CHAIN_ID, accounts=0)
    with AnvilNode.start(options) as node:
        yield node


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def rel_upstream(rel_chain: AnvilNode) -> AsyncIterator[MisbehavingUpstream]:
    async with MisbehavingUpstream(rel_chain.url) as upstream:
        yield upstream


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def _rel_proxy(
    rel_chain: AnvilNode, rel_upstream: MisbehavingUpstream, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Harness]:
    control = tmp_path_factory.mktemp("rel-proxy") / "control.json"
    async with running_proxy(rel_chain.url, control, upstream=rel_upstream) as harness:
        yield harness


@pytest_asyncio.fixture(loop_scope="session")
async def rel(_rel_proxy: Harness) -> AsyncIterator[Harness]:
    """The shared proxy, its upstream answering normally."""
    _rel_proxy.upstream.mode = "pass"
    yield _rel_proxy
    _rel_proxy.upstream.mode = "pass"


@pytest.fixture
def control_file(tmp_path: Path) -> Path:
    return tmp_path / "control.json"
