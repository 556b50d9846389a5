"""The control channel: the user's side of held requests, on loopback, behind a token.

``GET /v1/held`` lists the held requests with their verdicts (each with ``override``: true for a
block the policy lets the user override); ``POST /v1/held/{id}/confirm`` and ``/reject`` decide
one. Confirming a held block needs the JSON body ``{"override": true}``: without it the answer is
409 and the hold stays, so a client that confirms everything like a warning cannot release a
block (an empty body, or ``{}``, confirms a warning; any other body is 400); that refusal is a
choice too and goes to the audit log (``override-refused``). ``GET /v1/events`` is
a WebSocket that sends a snapshot and then every hold and resolution as it happens (the terminal
app is its client). Every call needs
``Authorization: Bearer <token>``; the token is random per run and written with the URL to a file
only the user can read (mode 0600), which is how a client finds the proxy.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from txfirewall.model.json_values import JsonValue
from txfirewall.proxy.holds import Held, Holds, OverrideNotConfirmed

RefusalSink = Callable[[Held, str], Awaitable[None]]
"""Records a confirmation the proxy refused (the held request and why) in the audit log."""


def default_control_file() -> Path:
    """``$XDG_STATE_HOME/txfirewall/proxy-control.json`` (else ~/.local/state/...)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "txfirewall" / "proxy-control.json"


def write_control_file(path: Path, url: str, token: str) -> None:
    """Write the URL and token where only this user can read them (created 0600, atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"url": url, "token": token, "pid": os.getpid()}, out)
    os.replace(tmp, path)


def read_control_file(path: Path) -> tuple[str, str]:
    """The control URL and token a running proxy wrote."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return str(data["url"]), str(data["token"])


def new_token() -> str:
    return secrets.token_urlsafe(32)


def build_control_app(holds: Holds, token: str, *, refused: RefusalSink | None = None) -> web.Application:
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def authenticate(request: web.Request, handler: Any) -> web.StreamResponse:
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return web.json_response({"error": "missing or wrong token"}, status=401)
        if request.headers.get("Origin") is not None:
            return web.json_response({"error": "browsers may not use the control channel"}, status=403)
        response: web.StreamResponse = await handler(request)
        return response

    async def held(_: web.Request) -> web.Response:
        return web.json_response({"held": [h.to_json() for h in holds.pending()]})

    async def decide(request: web.Request) -> web.Response:
        held_id = request.match_info["id"]
        action = request.match_info["action"]
        if action == "confirm":
            try:
                override = _override_field(await request.read())
            except ValueError as exc:
                return web.json_response({"error": str(exc)}, status=400)
            try:
                done = holds.confirm(held_id, override=override)
            except OverrideNotConfirmed as exc:
                if refused is not None:
                    await refused(exc.held, str(exc))
                return web.json_response({"error": str(exc), "override_required": True}, status=409)
        else:
            done = holds.reject(held_id)
        if not done:
            return web.json_response({"error": f"no held request {held_id} (decided or expired)"}, status=404)
        return web.json_response({"id": held_id, "action": action})

    async def events(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=30.0)
        await ws.prepare(request)
        await ws.send_json({"type": "snapshot", "held": [h.to_json() for h in holds.pending()]})
        queue: list[dict[str, JsonValue]] = []
        signal = asyncio.Event()

        def listener(kind: str, event: dict[str, JsonValue]) -> None:
            queue.append({"type": kind, **event})
            signal.set()

        unsubscribe = holds.subscribe(listener)
        try:
            reader = asyncio.create_task(ws.receive())
            while not ws.closed:
                waiter = asyncio.create_task(signal.wait())
                done, _ = await asyncio.wait({reader, waiter}, return_when=asyncio.FIRST_COMPLETED)
                if reader in done:
                    waiter.cancel()
                    break
                signal.clear()
                while queue:
                    await ws.send_json(queue.pop(0))
            reader.cancel()
        finally:
            unsubscribe()
        return ws

    app = web.Application(middlewares=[authenticate], client_max_size=64 * 1024)
    app.router.add_get("/v1/held", held)
    app.router.add_post("/v1/held/{id}/{action:confirm|reject}", decide)
    app.router.add_get("/v1/events", events)
    return app


def _override_field(body: bytes) -> bool:
    """The confirm call's body: empty, or a JSON object whose only key is ``override`` (a bool)."""
    if not body.strip():
        return False
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValueError('the confirm body must be JSON: {} or {"override": true}') from None
    if not isinstance(data, dict) or set(data) - {"override"}:
        raise ValueError("the confirm body must be a JSON object whose only key is override")
    override = data.get("override", False)
    if not isinstance(override, bool):
        raise ValueError("override must be true or false")
    return override
