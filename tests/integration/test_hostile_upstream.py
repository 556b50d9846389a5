"""An upstream that answers garbage is an UpstreamError, never a crash: not even JSON nested
deeply enough to blow the C stack once eth-account has raised the recursion limit."""

from __future__ import annotations

import sys

import pytest
from aiohttp import web

from txfirewall.chain.rpc_client import RpcClient
from txfirewall.errors import UpstreamError

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest.mark.parametrize(
    "body", [b"[" * 200_000, b'{"result": ' * 50_000, b"not json"], ids=["deep-array", "deep-object", "garbage"]
)
async def test_garbage_from_upstream_is_a_typed_error(body: bytes) -> None:
    import eth_account  # noqa: F401 - raises the recursion limit to 100,000 (py_ecc), as in production

    assert sys.getrecursionlimit() >= 100_000

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with RpcClient(f"http://127.0.0.1:{port}") as client:
            with pytest.raises(UpstreamError, match="invalid JSON"):
                await client.call("eth_chainId", [])
    finally:
        await runner.cleanup()
