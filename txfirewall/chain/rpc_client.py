"""A minimal async JSON-RPC client over one keep-alive httpx connection pool.

This module and the proxy are the only places that speak HTTP. Every httpx or JSON failure is
translated here into ``UpstreamError`` / ``UpstreamTimeoutError``; a JSON-RPC error object becomes
``RpcCallError`` with its code, message and data.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import httpx

from txfirewall.chain import lean_http
from txfirewall.chain.lean_http import LeanHttp
from txfirewall.errors import RpcCallError, UpstreamError, UpstreamTimeoutError
from txfirewall.model.untrusted_json import loads_bounded

_LARGE_BODY = 1024 * 1024
"""Past this many bytes a failed request names its size: nodes refuse (or drop) large bodies."""


def _size(content: bytes) -> str:
    return f" to a {len(content):,}-byte request" if len(content) > _LARGE_BODY else ""


def _unreachable(url: str, content: bytes, exc: Exception) -> UpstreamError:
    if len(content) > _LARGE_BODY:
        return UpstreamError(
            f"{url} dropped the connection on a {len(content):,}-byte request: {exc or type(exc).__name__}",
            hint="the node may refuse requests this large; the node itself may be fine",
        )
    return UpstreamError(f"cannot reach {url}: {exc or type(exc).__name__}")


class RpcClient:
    """``await client.call("eth_chainId", [])``; ``await client.batch([(m, p), ...])``."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self._timeout = timeout
        self._ids = itertools.count(1)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"content-type": "application/json"},
        )
        self._lean = LeanHttp(url) if transport is None and lean_http.eligible(url) else None
        """Plain-http nodes (the forks, a local node) are spoken to without httpx's per-request
        cost (see chain/lean_http.py); None: every request goes through httpx."""

    async def __aenter__(self) -> RpcClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._lean is not None:
            await self._lean.aclose()
        await self._client.aclose()

    async def _post(self, body: object) -> Any:
        content = json.dumps(body).encode()
        status, data = await self.forward(content)
        return self._decode(status, data, content)

    async def forward(self, content: bytes, *, idempotent: bool = True) -> tuple[int, bytes]:
        """POST ``content`` as it is and return the node's HTTP status and body (decompressed,
        otherwise untouched: the proxy's pass-through). Transport failures raise
        ``UpstreamError``/``UpstreamTimeoutError``. ``idempotent=False`` (it carries a send) is
        never sent twice: no retry on another connection or transport."""
        if self._lean is not None:
            try:
                async with asyncio.timeout(self._timeout):
                    status, data = await self._lean.post(content, retry_safe=idempotent)
            except TimeoutError as exc:
                raise UpstreamTimeoutError(f"{self.url} did not answer in time{_size(content)}") from exc
            except lean_http.Unsupported as exc:
                lean, self._lean = self._lean, None  # this node answers in a way only httpx reads
                await lean.aclose()
                if not idempotent:
                    raise UpstreamError(
                        f"{self.url} answered in a form txfirewall cannot read ({exc}); the request may "
                        "have been processed, so it was not sent again",
                        hint="check the transaction on the node before you retry",
                    ) from exc
            except OSError as exc:
                raise _unreachable(self.url, content, exc) from exc
            else:
                return status, data
        try:
            resp = await self._client.post(self.url, content=content)
        except httpx.TimeoutException as exc:
            raise UpstreamTimeoutError(f"{self.url} did not answer in time{_size(content)}") from exc
        except httpx.HTTPError as exc:
            raise _unreachable(self.url, content, exc) from exc
        return resp.status_code, resp.content

    def _decode(self, status: int, data: bytes, content: bytes) -> Any:
        if status == 413:
            raise UpstreamError(f"{self.url} refused a {len(content):,}-byte request as too large (HTTP 413)", hint="")
        if status != 200:
            raise UpstreamError(f"{self.url} answered HTTP {status}{_size(content)}")
        try:
            return loads_bounded(data)
        except ValueError as exc:
            raise UpstreamError(f"{self.url} answered with invalid JSON") from exc

    @staticmethod
    def _result(method: str, reply: Any) -> Any:
        if not isinstance(reply, dict):
            raise UpstreamError(f"{method}: malformed JSON-RPC reply")
        if "error" in reply and reply["error"] is not None:
            err = reply["error"]
            if not isinstance(err, dict):
                raise RpcCallError(method, None, str(err))
            return RpcCallError(method, err.get("code"), str(err.get("message", "")), err.get("data"))
        if "result" not in reply:
            raise UpstreamError(f"{method}: reply has neither result nor error")
        return reply["result"]

    async def call(self, method: str, params: list[Any]) -> Any:
        req_id = next(self._ids)
        reply = await self._post({"jsonrpc": "2.0", "id": req_id, "method": method, "params": params})
        result = self._result(method, reply)
        if isinstance(result, RpcCallError):
            raise result
        return result

    async def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """One HTTP request; returns results in order, with ``RpcCallError`` values for failures."""
        if not calls:
            return []
        ids = [next(self._ids) for _ in calls]
        body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in zip(ids, calls, strict=True)]
        replies = await self._post(body)
        if isinstance(replies, dict) and isinstance(replies.get("error"), dict):
            err = replies["error"]
            refused = RpcCallError(
                f"a batch of {len(calls)} calls ({calls[0][0]}, ...)",
                err.get("code"),
                f"the node refused the whole batch: {err.get('message', '')}",
                err.get("data"),
            )
            refused.hint = "the node is reachable; it may refuse batches this large or this long"
            raise refused
        if not isinstance(replies, list):
            raise UpstreamError("batch reply is not a JSON array")
        by_id = {r.get("id"): r for r in replies if isinstance(r, dict)}
        out: list[Any] = []
        for req_id, (method, _) in zip(ids, calls, strict=True):
            if req_id not in by_id:
                raise UpstreamError(f"batch reply is missing the answer to {method}")
            out.append(self._result(method, by_id[req_id]))
        return out


def probe_chain_id(url: str, *, timeout: float = 2.0) -> int | None:
    """Blocking readiness probe: the node's chain id, or None while it does not answer."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    try:
        resp = httpx.post(url, json=body, timeout=timeout)
        result = resp.json().get("result") if resp.status_code == 200 else None
        return int(result, 16) if isinstance(result, str) else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
