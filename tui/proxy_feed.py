"""Following a proxy's control channel: the event socket read in a worker, each event posted to
the app as a message, and the connection made again (with backoff) when it drops. The client it
holds is also how the app sends the user's choices."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message

from txfirewall.errors import ControlChannelError
from txfirewall.tui.messages import HoldArrived, HoldResolved, HoldsSnapshot, ProxyStatusChanged
from txfirewall.tui.options import ProxyAddress

if TYPE_CHECKING:
    from txfirewall.proxy.control_client import ControlClient  # aiohttp: loaded when a proxy is followed

FIRST_RETRY_S = 0.5
LAST_RETRY_S = 5.0


class ProxyFeed:
    """One followed proxy. ``run`` never returns (cancel its worker to stop it); ``close`` ends the
    connection."""

    def __init__(self, address: ProxyAddress) -> None:
        self.address = address
        self.client: ControlClient | None = None
        """The current connection's client; None before the first one (or when the file is missing)."""

    async def run(self, post: Callable[[Message], object]) -> None:
        delay = FIRST_RETRY_S
        while True:
            try:
                client = self.address.client()  # read again each time: a restarted proxy has a new port and token
                await self.close()
                self.client = client
                async for event in client.events():
                    kind = event.get("type")
                    if kind == "snapshot":
                        held = event.get("held")
                        post(ProxyStatusChanged(True))
                        post(HoldsSnapshot([h for h in held if isinstance(h, dict)] if isinstance(held, list) else []))
                        delay = FIRST_RETRY_S
                    elif kind == "held":
                        post(HoldArrived(event))
                    elif kind == "resolved":
                        post(HoldResolved(str(event.get("id")), bool(event.get("approved")), str(event.get("reason"))))
            except ControlChannelError as exc:
                post(ProxyStatusChanged(False, str(exc)))
            await asyncio.sleep(delay)
            delay = min(delay * 2, LAST_RETRY_S)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None
