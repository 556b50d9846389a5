"""The client side of a running proxy's control channel: the terminal app's queue uses it.

```python
async with ControlClient.from_control_file(default_control_file()) as control:
    await control.held()                 # the held requests now, each with its verdict JSON
    async for event in control.events(): # {"type": "snapshot", "held": [...]}, then "held" / "resolved"
        ...
    await control.confirm("h1")          # False: already decided or expired
    await control.confirm("h2", override=True)  # a held block ("override": true): overrides it
```

The URL and token come from the control file the proxy writes (mode 0600), or are given
directly. aiohttp errors are translated here, once, into ``ControlChannelError``; an answer that
is not the channel's JSON is one too. What the proxy sends is trusted to be the proxy's (it holds
the token), but the verdicts inside carry untrusted strings: showing them safely is the caller's
business.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

from txfirewall.errors import ControlChannelError
from txfirewall.proxy.control import read_control_file

MAX_EVENT_BYTES = 8 * 1024 * 1024
"""A held request's event carries its verdict JSON; far below this."""


class ControlClient:
    """One connection pool to one proxy's control channel. Close it (``async with`` or ``close()``)."""

    def __init__(self, url: str, token: str, *, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ControlChannelError(f"the control channel must be an http URL, not {url!r}")
        self.url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_control_file(cls, path: Path, *, timeout: float = 10.0) -> ControlClient:
        """The client for the proxy that wrote ``path`` (``txfirewall proxy --control-file``)."""
        try:
            url, token = read_control_file(path)
        except FileNotFoundError:
            raise ControlChannelError(f"no proxy control file at {path}: is `txfirewall proxy` running?") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ControlChannelError(f"cannot read the proxy control file {path}: {exc}") from exc
        return cls(url, token, timeout=timeout)

    async def __aenter__(self) -> ControlClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def held(self) -> list[dict[str, Any]]:
        """The requests the proxy holds now, oldest first."""
        body = await self._call("GET", "/v1/held")
        held = body.get("held")
        if not isinstance(held, list) or not all(isinstance(h, dict) for h in held):
            raise ControlChannelError("the control channel answered /v1/held without a list of held requests")
        return held

    async def confirm(self, held_id: str, *, override: bool = False) -> bool:
        """Let a held request through. False: no such hold (decided, expired or never held). A held
        block (its ``override`` is true) is released only with ``override=True``, the user's
        explicit override; without it the proxy refuses (``ControlChannelError``) and keeps it."""
        return await self._decide(held_id, "confirm", {"override": True} if override else None)

    async def reject(self, held_id: str) -> bool:
        """Refuse a held request. False: no such hold."""
        return await self._decide(held_id, "reject")

    async def _decide(self, held_id: str, action: str, body: dict[str, Any] | None = None) -> bool:
        if not held_id or not all(c.isalnum() or c in "-_" for c in held_id):
            raise ControlChannelError(f"not a held request id: {held_id!r}")
        try:
            await self._call("POST", f"/v1/held/{held_id}/{action}", body)
        except _NotFound:
            return False
        return True

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            async with self._http().request(method, self.url + path, json=body) as response:
                if response.status == 404:
                    raise _NotFound(path)
                if response.status == 401:
                    raise ControlChannelError("the proxy refused the control token (is it the proxy that wrote it?)")
                if response.status in (400, 409):
                    raise ControlChannelError(f"the proxy refused it: {await _error_of(response)}")
                if response.status != 200:
                    raise ControlChannelError(f"the control channel answered HTTP {response.status} to {path}")
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise ControlChannelError(f"the control channel at {self.url} failed: {exc or type(exc).__name__}") from exc
        if not isinstance(data, dict):
            raise ControlChannelError(f"the control channel answered {path} with something that is not an object")
        return data

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """The live view: a ``snapshot`` event (``held``: every request held now), then a ``held``
        event (a held request, as in ``held()``) or a ``resolved`` event (``id``, ``approved``,
        ``reason``) as each happens. Ends (raising ``ControlChannelError``) when the proxy goes away."""
        try:
            async with self._http().ws_connect(
                self.url + "/v1/events", heartbeat=30.0, max_msg_size=MAX_EVENT_BYTES
            ) as ws:
                async for message in ws:
                    if message.type is not aiohttp.WSMsgType.TEXT:
                        break
                    event = json.loads(message.data)
                    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                        raise ControlChannelError("the control channel sent an event that is not an object with a type")
                    yield event
        except aiohttp.WSServerHandshakeError as exc:
            if exc.status == 401:
                raise ControlChannelError("the proxy refused the control token") from exc
            raise ControlChannelError(f"the control channel refused the event socket: HTTP {exc.status}") from exc
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise ControlChannelError(f"the control channel at {self.url} failed: {exc or type(exc).__name__}") from exc
        raise ControlChannelError(f"the proxy at {self.url} closed the event socket")


async def _error_of(response: aiohttp.ClientResponse) -> str:
    """The control channel's ``{"error": ...}`` text (the proxy's own words), or the status."""
    try:
        data = await response.json(content_type=None)
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, str) else f"HTTP {response.status}"


class _NotFound(Exception):
    """HTTP 404 from the control channel (a hold that is gone)."""
