"""An upstream that answers garbage is an UpstreamError, never a crash: not even JSON nested
deeply enough to blow the C stack once eth-account has raised the recursion limit. The upstream is
faked at the client's transport seam."""

from __future__ import annotations

import sys

import httpx
import pytest

from txfirewall.chain.rpc_client import RpcClient
from txfirewall.errors import RpcCallError, UpstreamError, UpstreamTimeoutError

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _answering(body: bytes, status: int = 200) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, content=body))


@pytest.mark.parametrize(
    "body", [b"[" * 200_000, b'{"result": ' * 50_000, b"not json"], ids=["deep-array", "deep-object", "garbage"]
)
async def test_garbage_from_upstream_is_a_typed_error(body: bytes) -> None:
    import eth_account  # noqa: F401 - raises the recursion limit to 100,000 (py_ecc), as in production

    assert sys.getrecursionlimit() >= 100_000
    async with RpcClient("http://upstream.test", transport=_answering(body)) as client:
        with pytest.raises(UpstreamError, match="invalid JSON"):
            await client.call("eth_chainId", [])


async def test_an_http_error_status_is_a_typed_error() -> None:
    async with RpcClient("http://upstream.test", transport=_answering(b"busy", status=503)) as client:
        with pytest.raises(UpstreamError, match="HTTP 503"):
            await client.call("eth_chainId", [])


async def test_a_json_rpc_error_keeps_its_code_and_message() -> None:
    body = b'{"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "header not found"}}'
    async with RpcClient("http://upstream.test", transport=_answering(body)) as client:
        with pytest.raises(RpcCallError) as info:
            await client.call("eth_getCode", [])
    assert info.value.code == -32000 and info.value.rpc_message == "header not found"


async def test_a_batch_reply_missing_an_answer_is_a_typed_error() -> None:
    async with RpcClient("http://upstream.test", transport=_answering(b"[]")) as client:
        with pytest.raises(UpstreamError, match="missing the answer"):
            await client.batch([("eth_chainId", [])])


async def test_a_timeout_is_its_own_type() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    async with RpcClient("http://upstream.test", transport=httpx.MockTransport(slow)) as client:
        with pytest.raises(UpstreamTimeoutError):
            await client.call("eth_chainId", [])
