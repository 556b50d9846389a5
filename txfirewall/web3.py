"""A web3.py middleware that runs every signing request through txfirewall before it is sent.

One line on a ``Web3`` (with a ``SyncFirewall``) or an ``AsyncWeb3`` (with a ``Firewall``):

```python
from web3 import Web3, HTTPProvider
from txfirewall import FirewallConfig, SyncFirewall
from txfirewall.web3 import firewall_middleware

def ask(verdict):  # called on a warning; True sends the request anyway
    return input(f"{verdict.findings[0].title}. Send anyway? [y/N] ") == "y"

with SyncFirewall(FirewallConfig(rpc_url=url)) as fw:
    w3 = Web3(HTTPProvider(url))
    w3.middleware_onion.inject(firewall_middleware(fw, confirm=ask), layer=0)
    w3.eth.send_transaction(tx)  # RequestBlockedError if the verdict is block: nothing is sent
```

With an ``AsyncWeb3`` the same line takes a ``Firewall``, and ``ask`` may be an ``async def``.
``Web3Guard(FirewallConfig(...))`` creates and owns the firewall instead (close it with the guard).
Analysed: ``eth_sendTransaction``, ``eth_sendRawTransaction``, ``eth_sign``, ``personal_sign``,
``eth_signTypedData`` (and ``_v3``, ``_v4``) and ``wallet_sendCalls``, single or in a batch; every
other method passes through untouched. See docs/web3_middleware.md.
"""

from __future__ import annotations

import inspect
import logging
import re
import threading
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, cast

from toolz import curry
from web3 import AsyncWeb3
from web3.middleware.base import Web3MiddlewareBuilder

from txfirewall.errors import (
    ConfigError,
    FirewallClosedError,
    InvalidParamsError,
    InvalidRequestError,
    TxFirewallError,
)
from txfirewall.firewall import Firewall, FirewallConfig, SyncFirewall, invalid_request_verdict
from txfirewall.model.verdict import Decision, RequestBlockedError, RequestNotConfirmedError, Verdict

if TYPE_CHECKING:
    from web3 import Web3
    from web3.middleware.base import Middleware
    from web3.types import RPCEndpoint, RPCResponse

log = logging.getLogger(__name__)

__all__ = [
    "ANALYSED_METHODS",
    "Confirm",
    "FirewallMiddleware",
    "VerdictObserver",
    "Web3Guard",
    "firewall_middleware",
    "to_jsonrpc_request",
]

Confirm = Callable[[Verdict], bool | Awaitable[bool]]
"""Asked on a *warn* verdict; only ``True`` sends the request. With ``AsyncWeb3`` it may return an
awaitable (an ``async def``); with ``Web3`` it must answer directly."""

VerdictObserver = Callable[[Verdict], object]
"""Told every verdict the middleware acts on (allow, warn or block), before it acts: for logs or a
UI. Its result is ignored (awaited first with ``AsyncWeb3`` when it is awaitable)."""

ANALYSED_METHODS = frozenset(
    {
        "eth_sendTransaction",
        "eth_sendRawTransaction",
        "eth_sign",
        "personal_sign",
        "eth_signTypedData",
        "eth_signTypedData_v3",
        "eth_signTypedData_v4",
        "wallet_sendCalls",
    }
)
"""The JSON-RPC methods the middleware analyses; all others pass through untouched."""

_SENDS = frozenset({"eth_sendTransaction", "eth_sendRawTransaction"})
_TX_QUANTITIES = frozenset(
    {
        "value",
        "gas",
        "gasPrice",
        "maxFeePerGas",
        "maxPriorityFeePerGas",
        "maxFeePerBlobGas",
        "nonce",
        "chainId",
        "type",
    }
)
_TX_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
_MAX_DEPTH = 64
"""Deeper params are refused (blocked) rather than walked: typed data may come from a web page."""


# -- web3's params -> the JSON-RPC request txfirewall parses -- #


def to_jsonrpc_request(method: str, params: Any) -> dict[str, Any]:
    """The JSON-RPC request object for web3's ``(method, params)``: bytes (``HexBytes``) become 0x
    hex, integers in transaction fields hex quantities, tuples lists; addresses, hex strings and typed
    data given as JSON text are kept as given. ``InvalidParamsError`` for values JSON cannot hold."""
    if isinstance(params, (list, tuple)):
        items = list(params)
        if method == "eth_sendTransaction" and items:
            out = [_tx_object(items[0]), *(_json(p, method) for p in items[1:])]
        elif method == "wallet_sendCalls" and items:
            out = [_calls_batch(items[0]), *(_json(p, method) for p in items[1:])]
        elif method == "personal_sign" and items:
            out = [_personal_message(items[0]), *(_json(p, method) for p in items[1:])]
        else:
            out = [_json(p, method) for p in items]
        return {"jsonrpc": "2.0", "id": 1, "method": method, "params": out}
    # Not an array: the parser refuses it (and the verdict blocks it) as a node would.
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": _json(params, method)}


def _json(value: Any, method: str, depth: int = 0) -> Any:
    """``value`` with bytes as 0x hex, mappings as dicts and sequences as lists; JSON scalars as is."""
    if depth > _MAX_DEPTH:
        raise InvalidParamsError(f"{method}: params are nested more than {_MAX_DEPTH} levels deep")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "0x" + bytes(value).hex()
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidParamsError(f"{method}: an object key is a {type(key).__name__}, not a string")
            out[key] = _json(item, method, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [_json(item, method, depth + 1) for item in value]
    raise InvalidParamsError(f"{method}: a {type(value).__name__} in the params is not a JSON value")


def _quantity(value: Any, method: str) -> Any:
    """An integer as a hex quantity (``0x0`` for zero); bytes as the integer they encode."""
    if isinstance(value, int) and not isinstance(value, bool):
        return hex(value)  # a negative one stays visibly wrong ("-0x1") and is refused by the parser
    if isinstance(value, (bytes, bytearray, memoryview)):
        return hex(int.from_bytes(bytes(value), "big"))
    return _json(value, method)


def _tx_object(tx: Any) -> Any:
    if not isinstance(tx, Mapping):
        return _json(tx, "eth_sendTransaction")
    out = _json(tx, "eth_sendTransaction")
    for key in _TX_QUANTITIES & set(tx):
        out[key] = _quantity(tx[key], "eth_sendTransaction")
    return out


def _calls_batch(batch: Any) -> Any:
    out = _json(batch, "wallet_sendCalls")
    if not isinstance(batch, Mapping):
        return out
    if "chainId" in batch:
        out["chainId"] = _quantity(batch["chainId"], "wallet_sendCalls")
    calls = batch.get("calls")
    if isinstance(calls, (list, tuple)):
        for raw_call, call in zip(calls, out["calls"], strict=True):
            if isinstance(raw_call, Mapping) and "value" in raw_call:
                call["value"] = _quantity(raw_call["value"], "wallet_sendCalls")
    return out


def _personal_message(message: Any) -> Any:
    """personal_sign's message: text that is not 0x hex is what a wallet signs as UTF-8 bytes."""
    if isinstance(message, str) and not message.startswith("0x"):
        return "0x" + message.encode("utf-8").hex()
    return _json(message, "personal_sign")


# -- verdict -> proceed, or raise -- #


def _reason(verdict: Verdict) -> str:
    """The top finding's title (findings come ordered by severity), and how many more there are."""
    if not verdict.findings:
        return f"risk score {verdict.score}"
    more = len(verdict.findings) - 1
    tail = "" if more == 0 else f" (and {more} more finding{'s' if more > 1 else ''})"
    return verdict.findings[0].title + tail


def _refusal(verdict: Verdict, method: str, *, asked: bool) -> RequestBlockedError | RequestNotConfirmedError:
    if verdict.decision is Decision.BLOCK:
        return RequestBlockedError(f"txfirewall blocked {method}: {_reason(verdict)}", verdict)
    why = "the confirm callback declined it" if asked else "there is no confirm callback to ask"
    return RequestNotConfirmedError(f"txfirewall warned about {method} and {why}: {_reason(verdict)}", verdict)


def _awaitable_from_sync(result: object, what: str) -> ConfigError:
    if inspect.iscoroutine(result):
        result.close()  # never awaited on purpose: the request is refused
    return ConfigError(
        f"the {what} callback returned an awaitable, but a sync Web3 cannot wait for it",
        hint="pass a plain function to a Web3's middleware, or use AsyncWeb3",
    )


def _tx_hash(response: RPCResponse) -> str | None:
    """The transaction hash of a successful eth_send* response (None when it has none)."""
    if response.get("error") is not None:
        return None
    result = response.get("result")
    if isinstance(result, (bytes, bytearray)):
        result = "0x" + bytes(result).hex()
    return result if isinstance(result, str) and _TX_HASH.match(result) else None


def _note_sent(firewall: Firewall | SyncFirewall, tx_hash: str) -> None:
    """Tell the firewall a transaction was sent, so it re-checks the chain head before its next
    analysis (the sent transaction changes the sender's nonce and balances).

    The transaction is already out: a firewall that cannot take the note (closed meanwhile) must
    not turn that send into an exception, which would invite a second send. Its next analysis
    refuses on its own, so the failure is only logged."""
    try:
        firewall.note_sent(tx_hash)
    except TxFirewallError as exc:
        log.warning("txfirewall: sent %s, but the firewall could not note it: %s", tx_hash, exc)


class Web3Guard:
    """The firewall, callbacks and origin that a :class:`FirewallMiddleware` uses.

    ``firewall`` is a ``SyncFirewall`` (for ``Web3``), a ``Firewall`` (for ``AsyncWeb3``) or a
    ``FirewallConfig``: then the guard creates the kind each Web3 needs on its first signing request
    and owns it: ``close()`` (``Web3``) or ``await aclose()`` (``AsyncWeb3``), or use the guard as a
    (async) context manager. A firewall passed in stays the caller's to close. Put
    ``guard.middleware`` in a Web3's ``middleware_onion``.
    """

    def __init__(
        self,
        firewall: SyncFirewall | Firewall | FirewallConfig,
        *,
        confirm: Confirm | None = None,
        origin: str | None = None,
        on_verdict: VerdictObserver | None = None,
    ) -> None:
        if not isinstance(firewall, (SyncFirewall, Firewall, FirewallConfig)):
            raise ConfigError(
                f"txfirewall.web3 needs a SyncFirewall (for Web3), a Firewall (for AsyncWeb3) or a "
                f"FirewallConfig; got a {type(firewall).__name__}"
            )
        if confirm is not None and not callable(confirm):
            raise ConfigError(f"confirm must be a callable taking the Verdict; got a {type(confirm).__name__}")
        if on_verdict is not None and not callable(on_verdict):
            raise ConfigError(f"on_verdict must be a callable taking the Verdict; got a {type(on_verdict).__name__}")
        self.confirm = confirm
        self.origin = origin
        self.on_verdict = on_verdict
        self._config = firewall if isinstance(firewall, FirewallConfig) else None
        self._sync = firewall if isinstance(firewall, SyncFirewall) else None
        self._async = firewall if isinstance(firewall, Firewall) else None
        self._owned_sync: SyncFirewall | None = None
        self._owned_async: Firewall | None = None
        self._creating = threading.Lock()
        self._closed = False

    @property
    def middleware(self) -> Middleware:
        """This guard's middleware, for ``w3.middleware_onion.inject(..., layer=0)`` or ``.add``."""
        # web3 types onion entries as middleware classes; what it calls is any w3 -> middleware
        # callable, such as this curried builder (web3's own builders are typed Any for the same reason).
        return cast("Middleware", FirewallMiddleware.build(self))

    @property
    def owns_firewall(self) -> bool:
        """True when the guard was given a FirewallConfig and creates (and closes) the firewall."""
        return self._config is not None

    def check_kind(self, *, is_async: bool) -> None:
        """``ConfigError`` unless this guard can serve a Web3 (``is_async=False``) or an AsyncWeb3."""
        if self._config is not None:
            return
        if is_async and self._async is None:
            raise ConfigError(
                "an AsyncWeb3 needs a txfirewall.Firewall; this middleware was given a SyncFirewall "
                "(that one is for a sync Web3)"
            )
        if not is_async and self._sync is None:
            raise ConfigError(
                "a sync Web3 needs a txfirewall.SyncFirewall; this middleware was given a Firewall "
                "(that one is for AsyncWeb3)"
            )

    def sync_firewall(self) -> SyncFirewall:
        """The SyncFirewall a ``Web3``'s requests go to (created on first use from a config)."""
        self.check_kind(is_async=False)
        if self._sync is not None:
            return self._sync
        with self._creating:
            self._check_open()
            if self._owned_sync is None:
                self._owned_sync = SyncFirewall(cast(FirewallConfig, self._config))
            return self._owned_sync

    def async_firewall(self) -> Firewall:
        """The Firewall an ``AsyncWeb3``'s requests go to (created on first use from a config)."""
        self.check_kind(is_async=True)
        if self._async is not None:
            return self._async
        self._check_open()
        if self._owned_async is None:
            self._owned_async = Firewall(cast(FirewallConfig, self._config))
        return self._owned_async

    def _check_open(self) -> None:
        if self._closed:
            raise FirewallClosedError("this Web3Guard was closed; its middleware refuses every signing request")

    def close(self) -> None:
        """Close the SyncFirewall this guard created; from now on its middleware refuses signing
        requests (FirewallClosedError). A firewall passed in is left open."""
        with self._creating:
            self._closed = True
            owned, self._owned_sync = self._owned_sync, None
        if owned is not None:
            owned.close()

    async def aclose(self) -> None:
        """Close the firewalls this guard created (both kinds); see :meth:`close`."""
        self.close()
        owned, self._owned_async = self._owned_async, None
        if owned is not None:
            await owned.close()

    def __enter__(self) -> Web3Guard:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    async def __aenter__(self) -> Web3Guard:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # -- one request -- #

    def screen(self, method: str, params: Any) -> Verdict | None:
        """Analyse one request from a ``Web3`` and raise unless it may be sent; its verdict, or None
        for a method that is not analysed."""
        if method not in ANALYSED_METHODS:
            return None
        self._check_open()
        firewall = self.sync_firewall()
        request = self._request(method, params)
        verdict = request if isinstance(request, Verdict) else firewall.analyze(request, origin=self.origin)
        if self.on_verdict is not None:
            seen = self.on_verdict(verdict)
            if inspect.isawaitable(seen):
                raise _awaitable_from_sync(seen, "on_verdict")
        if verdict.decision is Decision.ALLOW:
            return verdict
        if verdict.decision is Decision.WARN and self.confirm is not None:
            answer = self.confirm(verdict)
            if inspect.isawaitable(answer):
                raise _awaitable_from_sync(answer, "confirm")
            if answer is True:
                return verdict
        raise _refusal(verdict, method, asked=self.confirm is not None)

    async def ascreen(self, method: str, params: Any) -> Verdict | None:
        """:meth:`screen` for an ``AsyncWeb3``: callbacks may return awaitables."""
        if method not in ANALYSED_METHODS:
            return None
        self._check_open()
        firewall = self.async_firewall()
        request = self._request(method, params)
        verdict = request if isinstance(request, Verdict) else await firewall.analyze(request, origin=self.origin)
        if self.on_verdict is not None:
            seen = self.on_verdict(verdict)
            if inspect.isawaitable(seen):
                await seen
        if verdict.decision is Decision.ALLOW:
            return verdict
        if verdict.decision is Decision.WARN and self.confirm is not None:
            answer = self.confirm(verdict)
            if inspect.isawaitable(answer):
                answer = await answer
            if answer is True:
                return verdict
        raise _refusal(verdict, method, asked=self.confirm is not None)

    def _request(self, method: str, params: Any) -> dict[str, Any] | Verdict:
        """The request to analyse, or the block verdict for params that are not even JSON."""
        try:
            return to_jsonrpc_request(method, params)
        except InvalidRequestError as exc:
            timings = MappingProxyType({"parse": 0.0, "total": 0.0})
            return invalid_request_verdict(exc, timings, request={"jsonrpc": "2.0", "id": 1, "method": method})

    def sent(self, method: str, response: RPCResponse, *, is_async: bool) -> None:
        """After a successful eth_send* response: tell the firewall its chain moved on."""
        if method not in _SENDS:
            return
        tx_hash = _tx_hash(response)
        if tx_hash is None:
            return
        firewall: Firewall | SyncFirewall | None
        if is_async:
            firewall = self._async if self._async is not None else self._owned_async
        else:
            firewall = self._sync if self._sync is not None else self._owned_sync
        if firewall is not None:
            _note_sent(firewall, tx_hash)


class FirewallMiddleware(Web3MiddlewareBuilder):
    """The web3.py middleware: ``FirewallMiddleware.build(guard)`` is curried on the Web3 (see
    :func:`firewall_middleware` for the one-line form)."""

    guard: Web3Guard

    @staticmethod
    @curry
    def build(guard: Web3Guard, w3: Web3 | AsyncWeb3[Any] | None) -> FirewallMiddleware:
        """This guard's middleware for ``w3``; ``ConfigError`` when the firewall is of the wrong kind."""
        if not isinstance(guard, Web3Guard):
            raise ConfigError(f"FirewallMiddleware.build takes a Web3Guard; got a {type(guard).__name__}")
        if w3 is not None:  # web3 may build one without a Web3 only to name it
            guard.check_kind(is_async=isinstance(w3, AsyncWeb3))
        middleware = FirewallMiddleware(cast("Web3", w3))
        middleware.guard = guard
        return middleware

    # -- sync -- #

    def request_processor(self, method: RPCEndpoint, params: Any) -> tuple[RPCEndpoint, Any]:
        self.guard.screen(method, params)
        return method, params

    def response_processor(self, method: RPCEndpoint, response: RPCResponse) -> RPCResponse:
        self.guard.sent(method, response, is_async=False)
        return response

    # -- async -- #

    async def async_request_processor(self, method: RPCEndpoint, params: Any) -> tuple[RPCEndpoint, Any]:
        await self.guard.ascreen(method, params)
        return method, params

    async def async_response_processor(self, method: RPCEndpoint, response: RPCResponse) -> RPCResponse:
        self.guard.sent(method, response, is_async=True)
        return response


def firewall_middleware(
    firewall: SyncFirewall | Firewall,
    *,
    confirm: Confirm | None = None,
    origin: str | None = None,
    on_verdict: VerdictObserver | None = None,
) -> Middleware:
    """The middleware for ``w3.middleware_onion.inject(..., layer=0)``: a ``SyncFirewall`` for a
    ``Web3``, a ``Firewall`` for an ``AsyncWeb3``. ``confirm`` decides on warnings (none: a warning
    refuses the request); ``origin`` is the site the requests come from, when there is one."""
    if isinstance(firewall, FirewallConfig):
        raise ConfigError(
            "firewall_middleware takes a running firewall; for one made from a FirewallConfig use "
            "guard = Web3Guard(config, ...) and inject guard.middleware, so that guard.close() "
            "(or await guard.aclose()) can close the firewall it creates"
        )
    return Web3Guard(firewall, confirm=confirm, origin=origin, on_verdict=on_verdict).middleware
