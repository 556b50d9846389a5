"""A pinned, never-mutated Anvil fork of the user's node, queried only with stateless calls.

The fork is started at the upstream's head with ``--fork-block-number``, ``--fork-chain-id`` and
``--accounts 0`` (fewest upstream round trips), so every simulation on it sees the same state and
concurrent simulations cannot interfere.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
from txfirewall.chain.rpc_client import RpcClient
from txfirewall.errors import ChainMismatchError, RpcCallError, UpstreamError
from txfirewall.model.primitives import ChainId, parse_quantity, to_quantity
from txfirewall.simulate.block_env import BlockEnv, next_block_env


@dataclass(frozen=True)
class UpstreamHead:
    chain_id: ChainId
    block_number: int
    block: dict[str, Any] | None = None
    """The head block header (``eth_getBlockByNumber``), for a realistic simulation environment."""

    @property
    def env(self) -> BlockEnv | None:
        return next_block_env(self.block) if self.block else None


async def read_head(client: RpcClient, block_number: int | None = None) -> UpstreamHead:
    """Chain id and the head block (or block ``block_number``), in one batched round trip."""
    tag = "latest" if block_number is None else to_quantity(block_number)
    chain_hex, block = await client.batch([("eth_chainId", []), ("eth_getBlockByNumber", [tag, False])])
    for reply in (chain_hex, block):
        if isinstance(reply, RpcCallError):
            raise reply
    if not isinstance(block, dict) or "number" not in block:
        raise UpstreamError("eth_getBlockByNumber returned no block")
    return UpstreamHead(ChainId(parse_quantity(chain_hex)), parse_quantity(block["number"]), block)


class Fork:
    """``fork = await Fork.open(url)``; ``fork.client`` talks to the fork; ``await fork.close()``."""

    def __init__(self, node: AnvilNode, client: RpcClient, head: UpstreamHead, upstream: str) -> None:
        self.node = node
        self.client = client
        self.head = head
        self.upstream_url = upstream
        self.warm_senders: set[str] = set()
        self.confirmed_at = time.monotonic()
        """When the upstream last reported this fork's block as its head (``time.monotonic()``)."""
        """Senders whose state this fork has already fetched (their next simulation is warm)."""

    @property
    def pinned_tag(self) -> str:
        """The pinned block as a JSON-RPC tag, for reads that must match the fork's state."""
        return to_quantity(self.head.block_number)

    @classmethod
    async def open(
        cls,
        upstream: RpcClient | str,
        *,
        expected_chain_id: int | None = None,
        timeout: float = 30.0,
        block_number: int | None = None,
    ) -> Fork:
        """Start a fork pinned at ``block_number`` (default: the upstream's head). ``upstream`` is
        the caller's client (reused, not closed) or a URL (a client just for this call)."""
        if isinstance(upstream, str):
            async with RpcClient(upstream, timeout=timeout) as client:
                return await cls.open(
                    client, expected_chain_id=expected_chain_id, timeout=timeout, block_number=block_number
                )
        upstream_url = upstream.url
        head = await read_head(upstream, block_number)
        if expected_chain_id is not None and expected_chain_id != head.chain_id:
            raise ChainMismatchError(
                f"--chain-id is {expected_chain_id} but {upstream_url} serves chain {head.chain_id}"
            )
        options = AnvilOptions(
            fork_url=upstream_url,
            fork_block_number=head.block_number,
            fork_chain_id=head.chain_id,
            accounts=0,
            no_storage_caching=True,
        )
        starting = asyncio.ensure_future(asyncio.to_thread(AnvilNode.start, options, startup_timeout=timeout))
        try:
            node = await asyncio.shield(starting)
        except asyncio.CancelledError:
            # The thread cannot be interrupted: stop the node it starts once it is up, or a
            # cancelled start (a Firewall closed while its fork was starting) leaves anvil running.
            starting.add_done_callback(_stop_started_node)
            raise
        return cls(node, RpcClient(node.url, timeout=timeout), head, upstream_url)

    async def close(self) -> None:
        await self.client.aclose()
        await asyncio.to_thread(self.node.stop)


def _stop_started_node(starting: asyncio.Future[AnvilNode]) -> None:
    if not starting.cancelled() and starting.exception() is None:
        starting.result().stop()
