"""The proxy's decision for each request body: forward the reads, screen everything else.

A body is parsed once, strictly. Each call is a read (forwarded untouched), or is screened:
analysed by the ``Firewall`` before anything is forwarded; allow forwards it, block answers
EIP-1193 error 4001 with the verdict in ``data``, warn holds it for the user (and a confirmed one
is analysed again before it is released: the chain may have changed meanwhile). A block the
policy lets the user override (``[confirm] allow_block_override`` and no unconditional finding:
``decide.decision.overridable``) is held too, marked ``override``; only a confirmation that says
so releases it, and only if the check before release finds it blocked by nothing it was not
blocked by when the user overrode it. When nothing was intercepted the upstream's reply goes back
byte for byte; otherwise the batch is re-assembled in the order of the calls, each upstream reply
matched to its call by id. Every failure on the signing path refuses the request with its reason
(fail closed): an analysis that fails or runs out of time, and an audit log that cannot record it
(a full disk); a failing upstream is an error for reads. The audit log gets one record per
screened request when it is decided, and one more when it is held (so a request held when the
proxy died is still on record), and one for each confirmation refused for not saying ``override``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from txfirewall.chain.rpc_client import RpcClient
from txfirewall.decide.decision import blocking_rules, overridable
from txfirewall.errors import TxFirewallError
from txfirewall.firewall import Firewall
from txfirewall.model.json_values import JsonValue
from txfirewall.model.simulation import SimulationStatus
from txfirewall.model.verdict import Decision, Verdict
from txfirewall.proxy.config import ProxyConfig
from txfirewall.proxy.holds import Held, Holds, RateLimiter
from txfirewall.proxy.jsonrpc import (
    INTERNAL_ERROR,
    LIMIT_EXCEEDED,
    METHOD_NOT_FOUND,
    RESPONSE_TOO_LARGE,
    USER_REJECTED,
    BatchTooLarge,
    Call,
    RpcFailure,
    assemble,
    encode,
    error_object,
    id_key,
    loads_exact,
    parse_payload,
)
from txfirewall.proxy.methods import READ_METHODS, SUBSCRIPTION_METHODS
from txfirewall.simulate.differential import compare

log = logging.getLogger(__name__)

SEND_METHODS = frozenset({"eth_sendTransaction", "eth_sendRawTransaction"})
"""Forwarded sends whose transaction hash is reported to the Firewall (``note_sent``)."""

AuditSink = Callable[[dict[str, JsonValue]], object]
"""Appends one audit record (may block on fsync: it is called in a worker thread)."""

Subscriber = Callable[[Call], Awaitable[dict[str, Any] | None]]
"""Forwards a subscription call over the client's upstream WebSocket; None over HTTP."""


class Gate:
    """One per proxy: the Firewall, the upstream client, the holds and the audit sink."""

    def __init__(
        self,
        config: ProxyConfig,
        firewall: Firewall,
        upstream: RpcClient,
        holds: Holds,
        *,
        accounts: frozenset[str] = frozenset(),
        audit: AuditSink | None = None,
    ) -> None:
        self.config = config
        self.firewall = firewall
        self.upstream = upstream
        self.holds = holds
        self.accounts = accounts
        self.audit = audit
        self.rate = RateLimiter(burst=config.rate_burst, per_second=config.rate_per_second)
        self.reads = READ_METHODS | config.allow_methods

    async def handle(
        self, body: bytes, *, origin: str | None = None, subscribe: Subscriber | None = None
    ) -> bytes | None:
        """The reply body for ``body``; None when there is nothing to answer (notifications)."""
        try:
            payload = parse_payload(body, max_batch=self.config.max_batch)
        except BatchTooLarge as exc:
            return encode([error_object(exc.first_id, exc)]).encode()
        except RpcFailure as exc:
            return encode(error_object(None, exc)).encode()

        answers: dict[int, dict[str, Any]] = {}
        forward: list[Call] = []
        screened: list[Call] = []
        for call in payload.calls:
            if call.error is not None:
                answers[call.index] = error_object(call.id, call.error)
            elif call.method in self.reads:
                forward.append(call)
            elif call.method in SUBSCRIPTION_METHODS:
                answer = await self._subscription(call, subscribe, batch=payload.batch)
                if answer is not None and call.has_id:
                    answers[call.index] = answer
            else:
                screened.append(call)
        if screened:
            outcomes = await asyncio.gather(*(self._screen(c, origin) for c in screened))
            for call, failure in zip(screened, outcomes, strict=True):
                if failure is None:
                    forward.append(call)
                elif call.has_id:
                    answers[call.index] = error_object(call.id, failure)
        forward.sort(key=lambda c: c.index)

        untouched = not answers and len(forward) == len(payload.calls)
        upstream: list[Any] = []
        if forward:
            outgoing = body if untouched else self._encode_calls(forward, batch=payload.batch)
            reply = await self._forward(outgoing, forward, batch=payload.batch)
            if isinstance(reply, bytes):
                if untouched and reply.strip():
                    return reply
                parsed = loads_exact(reply) if reply.strip() else []
                upstream = parsed if isinstance(parsed, list) else [parsed]
            else:
                for call in forward:
                    if call.has_id:
                        answers[call.index] = error_object(call.id, reply)
        if not payload.batch:
            only = payload.calls[0]
            if only.index in answers:
                return encode(answers[only.index]).encode()
            if not only.has_id:
                return None
            if not upstream and not forward:
                return None  # a subscription call: its reply went out on the client's socket
            if not upstream:  # an empty 200 from the node: the call is not left unanswered
                return encode(
                    error_object(only.id, RpcFailure(INTERNAL_ERROR, "the upstream node sent no reply"))
                ).encode()
            return encode(upstream[0]).encode()
        out = assemble(payload.calls, answers, upstream)
        return encode(out).encode() if out else None

    @staticmethod
    def _encode_calls(calls: Sequence[Call], *, batch: bool) -> bytes:
        objs = [c.obj for c in calls]
        return encode(objs if batch else objs[0]).encode()

    async def _forward(
        self, outgoing: bytes, calls: Sequence[Call], *, batch: bool, idempotent: bool | None = None
    ) -> bytes | RpcFailure:
        """The upstream's reply, checked to be whole JSON (never half a body passed on as success).
        A body carrying anything but reads is never sent twice (no transport retry)."""
        if idempotent is None:
            idempotent = all(c.method in self.reads for c in calls)
        limit = self.config.upstream_batch_limit
        if batch and len(calls) > limit:
            parts: list[Any] = []
            for start in range(0, len(calls), limit):
                piece = await self._forward(
                    self._encode_calls(calls[start : start + limit], batch=True), [], batch=True, idempotent=idempotent
                )
                if isinstance(piece, RpcFailure):
                    return piece
                parsed = loads_exact(piece) if piece else []
                parts.extend(parsed if isinstance(parsed, list) else [parsed])
            return encode(parts).encode()
        try:
            async with asyncio.timeout(self.config.upstream_timeout):
                status, data = await self.upstream.forward(outgoing, idempotent=idempotent)
        except TimeoutError:
            return RpcFailure(
                INTERNAL_ERROR, f"the upstream node did not answer within {self.config.upstream_timeout:g}s"
            )
        except TxFirewallError as exc:
            return RpcFailure(INTERNAL_ERROR, f"the upstream node failed: {exc}")
        except Exception as exc:  # noqa: BLE001 - the transport's own failures must stay JSON-RPC errors
            # A reply cut off mid-body on a reused connection escapes the client as
            # ``asyncio.IncompleteReadError``; uncaught it became aiohttp's HTTP 500 text page.
            log.warning("upstream transport failure: %r", exc)
            return RpcFailure(INTERNAL_ERROR, f"the upstream node failed: {type(exc).__name__}")
        if status != 200:
            return RpcFailure(INTERNAL_ERROR, f"the upstream node answered HTTP {status}")
        if len(data) > self.config.max_response_bytes:
            return RpcFailure(RESPONSE_TOO_LARGE, f"response too large (over {self.config.max_response_bytes} bytes)")
        if data.strip():
            try:
                parsed = loads_exact(data)
            except TxFirewallError:
                return RpcFailure(INTERNAL_ERROR, "the upstream node answered with a truncated or invalid body")
            self._note_sends(calls, parsed)
        return data

    def _note_sends(self, calls: Sequence[Call], parsed: Any) -> None:
        sends = {id_key(c.id) for c in calls if c.method in SEND_METHODS and c.has_id}
        if not sends:
            return
        for reply in parsed if isinstance(parsed, list) else [parsed]:
            if isinstance(reply, Mapping) and id_key(reply.get("id")) in sends and isinstance(reply.get("result"), str):
                try:
                    self.firewall.note_sent(reply["result"])
                except TxFirewallError:
                    log.warning("the node answered a send with %r, not a transaction hash", reply["result"])

    async def _subscription(self, call: Call, subscribe: Subscriber | None, *, batch: bool) -> dict[str, Any] | None:
        if subscribe is None:
            return error_object(call.id, RpcFailure(METHOD_NOT_FOUND, f"{call.method} needs a WebSocket connection"))
        if batch:
            return error_object(call.id, RpcFailure(METHOD_NOT_FOUND, f"send {call.method} alone, not in a batch"))
        return await subscribe(call)

    async def _screen(self, call: Call, origin: str | None) -> RpcFailure | None:
        """Analyse one intercepted call; None: forward it. Every failure refuses it."""
        if not self.rate.allow(origin):
            return RpcFailure(LIMIT_EXCEEDED, f"too many signing requests from {origin or 'this client'}: slow down")
        request = dict(call.obj or {})
        if isinstance(request.get("id"), Decimal):
            request["id"] = None  # a fractional id is valid JSON-RPC; the analysis does not need it
        try:
            async with asyncio.timeout(self.config.analysis_timeout):
                verdict = await self.firewall.analyze(request, origin=origin)
        except TimeoutError:
            return await self._refused(
                call, origin, None, f"the analysis did not finish within {self.config.analysis_timeout:g}s"
            )
        except TxFirewallError as exc:
            return await self._refused(call, origin, None, f"txfirewall could not analyse it: {exc}")
        override = overridable(verdict, self.firewall.config.policy)
        final = verdict.decision is Decision.BLOCK and not override
        sender = (verdict.sender or "").lower()
        if self.accounts and sender and sender not in self.accounts and not final:
            return await self._refused(
                call, origin, verdict, f"{verdict.sender} is not an account this proxy signs for"
            )
        if verdict.decision is Decision.ALLOW:
            unrecorded = await self._audit(call, origin, verdict, "forwarded")
            return None if unrecorded is None else await self._refused(call, origin, verdict, unrecorded)
        if final:
            await self._audit(call, origin, verdict, "blocked")
            return RpcFailure(USER_REJECTED, _blocked_message(verdict), verdict.to_json())
        # Recorded when the hold starts, so a proxy killed while the user looks still leaves a trace
        # of the request (the outcome is recorded again when it is decided).
        unrecorded = await self._audit(call, origin, verdict, "held")
        if unrecorded is not None:
            return await self._refused(call, origin, verdict, unrecorded)
        key = hashlib.sha256(encode([call.method, (call.obj or {}).get("params"), origin]).encode()).hexdigest()
        decision = await self.holds.hold(
            key, call.method, origin, verdict, override=override, request=encode(call.obj or {})
        )
        # confirmed, overridden, rejected, timeout, closed
        unrecorded = await self._audit(call, origin, verdict, decision.reason)
        if decision.approved:
            if unrecorded is not None:
                return await self._refused(call, origin, verdict, unrecorded)
            changed = await self._changed_while_held(
                request, origin, verdict, overridden=decision.reason == "overridden"
            )
            return None if changed is None else await self._refused(call, origin, None, changed)
        why = {
            "rejected": "rejected by the user",
            "timeout": "not confirmed in time",
            "closed": "refused: the proxy shut down",
        }
        what = "blocked this request and held it for an override" if override else "held this request"
        return RpcFailure(
            USER_REJECTED,
            f"txfirewall {what} ({_rules(verdict)}) and it was {why.get(decision.reason, decision.reason)}",
            verdict.to_json(),
        )

    async def _changed_while_held(
        self, request: dict[str, Any], origin: str | None, held: Verdict, *, overridden: bool = False
    ) -> str | None:
        """A confirmed request is analysed again right before it is released: the chain may have
        changed while the user looked (RELIABILITY A8 47 and A6.4, the 143 ETH drained ~30 s after a
        benign-looking simulation: code or an upgradeable proxy's implementation swapped between the
        check and the send). None: release it; otherwise why it is refused (fail closed).

        A block is released only when ``overridden`` (the user overrode that block) and the new
        verdict is still overridable and blocked by no rule the held one was not blocked by: a new
        unconditional finding, or another rule now blocking, is something the user never saw."""
        try:
            async with asyncio.timeout(self.config.analysis_timeout):
                again = await self.firewall.analyze(request, origin=origin)
        except TimeoutError:
            return f"the check before release did not finish within {self.config.analysis_timeout:g}s"
        except TxFirewallError as exc:
            return f"the check before release failed: {exc}"
        if again.decision is Decision.BLOCK and not overridden:
            return f"the chain changed while it was held and it is blocked now ({_rules(again)})"
        if again.decision is Decision.BLOCK:
            policy = self.firewall.config.policy
            if not overridable(again, policy):
                final = ", ".join(dict.fromkeys(f.rule for f in again.findings if f.unconditional))
                return f"the check before release found a block that cannot be overridden ({final or _rules(again)})"
            new = blocking_rules(again.findings, policy) - blocking_rules(held.findings, policy)
            if new:
                return f"the chain changed while it was held and now other rules block it ({', '.join(sorted(new))})"
        first, now = held.simulation, again.simulation
        if now.status is SimulationStatus.FAILED and first.status is not SimulationStatus.FAILED:
            return "it could not be simulated again before release"
        divergence = compare(first, now, "the simulation the user confirmed")
        if divergence is not None:
            return f"its effects changed while it was held: {divergence.description}"
        return None

    async def _refused(self, call: Call, origin: str | None, verdict: Verdict | None, reason: str) -> RpcFailure:
        await self._audit(call, origin, verdict, "refused", reason=reason)
        return RpcFailure(USER_REJECTED, f"txfirewall refused this request: {reason}")

    async def override_refused(self, held: Held, reason: str) -> None:
        """A client confirmed a held block without saying ``override``: the proxy refused and the
        hold stays; the attempt is recorded (a failed append is logged, the hold is unchanged)."""
        await self._append(held.method, held.origin, held.request, held.verdict, "override-refused", reason)

    async def _audit(
        self, call: Call, origin: str | None, verdict: Verdict | None, choice: str, *, reason: str | None = None
    ) -> str | None:
        """Append the record; None when it is written (or there is no log), else why it is not.
        Nothing is forwarded that the log could not record: a full disk refuses sends (fail
        closed) instead of letting them through unlogged, and never turns a block into an allow."""
        return await self._append(call.method, origin, encode(call.obj or {}), verdict, choice, reason)

    async def _append(
        self, method: str, origin: str | None, request: str, verdict: Verdict | None, choice: str, reason: str | None
    ) -> str | None:
        if self.audit is None:
            return None
        record: dict[str, JsonValue] = {
            "method": method,
            "origin": origin,
            "request": request,
            "choice": choice,
            "reason": reason,
            "verdict": verdict.decision.value if verdict else None,
            "score": verdict.score if verdict else None,
            "sender": verdict.sender if verdict else None,
            "findings": [{"rule": f.rule, "severity": f.severity.value, "message": f.message} for f in verdict.findings]
            if verdict
            else [],
        }
        try:
            await asyncio.to_thread(self.audit, record)
        except Exception as exc:  # noqa: BLE001 - a full disk must not turn into an allow or a crash
            log.error("audit log append failed: %s", exc)
            return f"the audit log could not record it ({exc})"
        return None


def _rules(verdict: Verdict) -> str:
    return ", ".join(dict.fromkeys(f.rule for f in verdict.findings)) or "no rule"


def _blocked_message(verdict: Verdict) -> str:
    top = verdict.findings[0].title if verdict.findings else "blocked by policy"
    return f"txfirewall blocked this request: {top} ({_rules(verdict)})"
