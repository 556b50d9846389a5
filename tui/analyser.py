"""The app's own analyses: one ``Firewall``, started on first use in the app's event loop, and
each analysis reporting its stages as it goes.

Runs inside a Textual worker; reports through ``on_stage`` (which posts a message), so the screen
keeps drawing while the fork starts and the request is simulated. No Textual here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from txfirewall.decide.policy import Policy
from txfirewall.errors import InputFileError, InvalidRequestError
from txfirewall.firewall import Firewall, FirewallConfig, stage_listener
from txfirewall.model.request import Request
from txfirewall.model.verdict import Verdict
from txfirewall.parse.request import parse_request

CLOSE_TIMEOUT = 2.0
"""Seconds the app waits for analyses in flight when it quits (the fork is stopped after)."""


class Analyser:
    """Analyses requests with one Firewall, started lazily; ``reconfigure`` swaps it."""

    def __init__(self, config: FirewallConfig) -> None:
        self.config = config
        self._firewall: Firewall | None = None
        self._lock = asyncio.Lock()

    @property
    def started(self) -> bool:
        return self._firewall is not None

    @property
    def policy(self) -> Policy:
        return self.config.policy

    async def _ready(self, on_stage: Callable[[str], None]) -> Firewall:
        async with self._lock:
            if self._firewall is None:
                firewall = Firewall(self.config)
                if self.config.simulate:
                    on_stage("fork")
                await firewall.start()  # EnvironmentFailure (no anvil, node down) goes to the caller
                self._firewall = firewall
            return self._firewall

    async def analyse(
        self,
        request: dict[str, Any] | str,
        *,
        origin: str | None = None,
        account: str | None = None,
        on_stage: Callable[[str], None],
    ) -> Verdict:
        """The verdict for ``request``; an unreadable request is a block verdict, as the Firewall
        makes it. Raises ``EnvironmentFailure`` when the Firewall cannot start."""
        on_stage("parse")
        parsed: Request | dict[str, Any] | str = request
        try:
            parsed = parse_request(request, origin=origin, account=account)
            if account is not None and parsed.sender is not None and parsed.sender.lower() != account.lower():
                raise InputFileError(f"the request is for {parsed.sender}, not for your address {account}")
        except InvalidRequestError:
            pass  # the Firewall turns it into the documented invalid-request block verdict
        firewall = await self._ready(on_stage)
        token = stage_listener.set(on_stage)
        try:
            return await firewall.analyze(parsed, origin=origin)
        finally:
            stage_listener.reset(token)

    async def reconfigure(self, config: FirewallConfig) -> None:
        """Use ``config`` from the next analysis on (the running Firewall is closed)."""
        async with self._lock:
            old, self._firewall = self._firewall, None
            self.config = config
        if old is not None:
            await old.close(timeout=CLOSE_TIMEOUT)

    async def set_policy(self, policy: Policy) -> None:
        """A new policy (saved from the Rules screen) for the next analyses."""
        await self.reconfigure(replace(self.config, policy=policy))

    async def close(self) -> None:
        async with self._lock:
            old, self._firewall = self._firewall, None
        if old is not None:
            await old.close(timeout=CLOSE_TIMEOUT)
