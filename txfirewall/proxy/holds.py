"""Requests held for the user's decision: a warn verdict waits here until the control channel
confirms or rejects it, or until the timeout rejects it. So does a block the policy lets the user
override (``[confirm] allow_block_override``, ``decide.decision.overridable``): its hold is marked
``override`` and only a confirmation that says ``override`` releases it (``OverrideNotConfirmed``
otherwise: the hold stays), so a client that confirms it like a warning cannot let a block through.

An identical request re-sent while held (a wallet retrying) joins the same hold instead of
queueing a second prompt. A burst of signing requests from one origin is rate-limited before it
reaches the holds (NCC-EF-Clef-004: 100 queued prompts made Clef unusable).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from txfirewall.model.json_values import JsonValue
from txfirewall.model.verdict import Verdict


@dataclass(frozen=True)
class Decision:
    """How a hold ended: ``approved`` and why (``confirmed``; ``overridden``: a block's override
    confirmed; ``rejected``, ``timeout``, ``closed``)."""

    approved: bool
    reason: str


@dataclass
class Held:
    """One held request as the control channel shows it."""

    id: str
    key: str
    method: str
    origin: str | None
    verdict: Verdict
    created: float
    expires: float
    future: asyncio.Future[Decision] = field(repr=False)
    waiters: int = 1
    override: bool = False
    """A block held because the policy lets the user override it: releasing it needs ``override``."""
    request: str = ""
    """The request as the audit log records it (canonical JSON), for events about the hold."""

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "method": self.method,
            "origin": self.origin,
            "created": round(self.created, 3),
            "expires": round(self.expires, 3),
            "waiters": self.waiters,
            "override": self.override,
            "verdict": self.verdict.to_json(),
        }


class OverrideNotConfirmed(Exception):
    """A confirmation of a held block that did not say ``override``: nothing was decided."""

    def __init__(self, held: Held, message: str) -> None:
        super().__init__(message)
        self.held = held


Listener = Callable[[str, dict[str, JsonValue]], None]
"""Called with ("held" | "resolved", the event) for the control channel's live view."""


class Holds:
    """The held requests of one proxy."""

    def __init__(self, *, timeout: float) -> None:
        self.timeout = timeout
        self._by_id: dict[str, Held] = {}
        self._by_key: dict[str, Held] = {}
        self._ids = itertools.count(1)
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, kind: str, event: dict[str, JsonValue]) -> None:
        for listener in list(self._listeners):
            listener(kind, event)

    def pending(self) -> list[Held]:
        return sorted(self._by_id.values(), key=lambda h: h.created)

    async def hold(
        self,
        key: str,
        method: str,
        origin: str | None,
        verdict: Verdict,
        *,
        override: bool = False,
        request: str = "",
    ) -> Decision:
        """Wait for the user's decision on this request (or join the hold of an identical one).
        ``override``: a block the user may override (see ``confirm``); ``request``: the request as
        the audit log records it."""
        held = self._by_key.get(key)
        if held is not None:
            held.waiters += 1
        else:
            now = time.time()
            loop = asyncio.get_running_loop()
            held = Held(
                id=f"h{next(self._ids)}",
                key=key,
                method=method,
                origin=origin,
                verdict=verdict,
                created=now,
                expires=now + self.timeout,
                future=loop.create_future(),
                override=override,
                request=request,
            )
            self._by_id[held.id] = held
            self._by_key[key] = held
            loop.call_later(self.timeout, self._resolve, held.id, Decision(False, "timeout"))
            self._emit("held", held.to_json())
        return await asyncio.shield(held.future)

    def confirm(self, held_id: str, *, override: bool = False) -> bool:
        """Release a held request. False: no such hold. A held block (``Held.override``) needs
        ``override=True`` (it ends ``overridden``); without it ``OverrideNotConfirmed`` is raised
        and the hold stays. ``override`` on a warning changes nothing: it ends ``confirmed``."""
        held = self._by_id.get(held_id)
        if held is None:
            return False
        if held.override and not override:
            raise OverrideNotConfirmed(
                held,
                f"{held_id} is a blocked request: releasing it overrides the block, which needs "
                '{"override": true} in the confirmation (the hold stays)',
            )
        return self._resolve(held_id, Decision(True, "overridden" if held.override else "confirmed"))

    def reject(self, held_id: str) -> bool:
        return self._resolve(held_id, Decision(False, "rejected"))

    def close(self) -> None:
        for held_id in list(self._by_id):
            self._resolve(held_id, Decision(False, "closed"))

    def _resolve(self, held_id: str, decision: Decision) -> bool:
        held = self._by_id.pop(held_id, None)
        if held is None:
            return False
        self._by_key.pop(held.key, None)
        if not held.future.done():
            held.future.set_result(decision)
        self._emit("resolved", {"id": held.id, "approved": decision.approved, "reason": decision.reason})
        return True


class RateLimiter:
    """A token bucket per origin: ``burst`` requests at once, refilled at ``per_second``."""

    def __init__(self, *, burst: int, per_second: float) -> None:
        self.burst = burst
        self.per_second = per_second
        self._buckets: dict[Any, tuple[float, float]] = {}

    def allow(self, origin: str | None) -> bool:
        now = time.monotonic()
        tokens, at = self._buckets.get(origin, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
        if tokens < 1.0:
            self._buckets[origin] = (tokens, now)
            return False
        self._buckets[origin] = (tokens - 1.0, now)
        if len(self._buckets) > 10_000:
            self._buckets.clear()  # a flood of distinct origins must not grow memory without bound
        return True
