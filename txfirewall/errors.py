"""Typed errors for txfirewall.

Every error raised by txfirewall derives from :class:`TxFirewallError`; third-party
exceptions (httpx, eth-abi, rlp, json) are translated once, where they enter, with
``raise ... from exc``. A *block* is never an exception: it is a :class:`Verdict`.

    TxFirewallError
    ├── InvalidRequestError          the request itself is wrong (CLI exit 3)
    │   ├── MalformedJsonError       not JSON, or not a JSON object
    │   ├── NonCanonicalKeyError     duplicate or case-variant keys ("METHOD", two "method")
    │   ├── UnsupportedMethodError   a JSON-RPC method txfirewall does not analyse
    │   └── InvalidParamsError       params missing, of the wrong shape, or contradictory
    │       ├── TypedDataError       EIP-712 typed data malformed, inconsistent or unsafe to sign
    │       └── RawTransactionError  a raw transaction that does not decode strictly
    ├── InputFileError               a --history / --labels / --policy file is unusable (exit 2)
    ├── AuditLogError                the audit log cannot be written, read or continued (exit 2)
    ├── ConfigError                  a FirewallConfig value is wrong (also a ValueError)
    ├── FirewallClosedError          analyze() on a closed Firewall
    │   └── AnalysisCancelledError   close() timed out and cancelled this analysis
    ├── FirewallLoopError            a Firewall used from a second, running event loop
    ├── FirewallBusyError            too many callers waiting for an analysis slot
    ├── VerdictError                 a request refused because of its verdict (``.verdict``;
    │   │                            defined beside Verdict in txfirewall.model.verdict)
    │   ├── RequestBlockedError      the verdict is block
    │   └── RequestNotConfirmedError the verdict is warn and the confirm callback said no
    └── EnvironmentFailure           the machine or the network is not ready (exit 4)
        ├── ToolNotFoundError        a Foundry binary is missing and npm cannot install it
        │   ├── AnvilNotFoundError   no anvil binary and no npm to install one
        │   └── CastNotFoundError    no cast binary (used by the tests) and no npm to install one
        ├── AnvilStartError          anvil did not start or did not answer in time
        ├── ChainMismatchError       --chain-id names another chain than the node serves
        ├── ControlChannelError      a proxy's control channel is unreachable or refused us
        └── UpstreamError            the RPC node failed, answered garbage or an RPC error
            ├── UpstreamTimeoutError the RPC node did not answer in time
            └── RpcCallError         the node answered a JSON-RPC error object

A stage that fails inside ``Firewall.analyze`` is recorded in the verdict (and fails closed); it
is never raised to the caller. ``analyze`` raises only the Firewall's own state errors (closed,
wrong loop, busy): a caller that gets no verdict must not sign.
"""

from __future__ import annotations

from typing import Any


class TxFirewallError(Exception):
    """Root of every txfirewall error. ``hint`` says what to do next."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} ({self.hint})" if self.hint else base


class InvalidRequestError(TxFirewallError):
    """The request is not a well-formed signing request."""

    hint = "fix the request; a wallet would have to refuse it too"


class MalformedJsonError(InvalidRequestError):
    """The input is not valid JSON, or not the JSON shape expected."""


class NonCanonicalKeyError(InvalidRequestError):
    """Duplicate or case-variant keys: different parsers would read different requests."""


class UnsupportedMethodError(InvalidRequestError):
    """A JSON-RPC method that txfirewall does not (yet) analyse."""


class InvalidParamsError(InvalidRequestError):
    """The params of a known method are missing, malformed or contradictory."""


class TypedDataError(InvalidParamsError):
    """EIP-712 typed data that is malformed, inconsistent or unsafe to sign."""


class RawTransactionError(InvalidParamsError):
    """A raw signed transaction that does not decode strictly (RLP, fields, signature)."""


class InputFileError(TxFirewallError):
    """A user-supplied file (history, labels, policy) cannot be read or is malformed."""

    hint = "check the file's path and format (see README: CLI reference)"


class AuditLogError(TxFirewallError):
    """The audit log (``txfirewall.proxy.audit``) cannot be opened, written, read or continued: an
    unwritable directory, a full disk, another writer holding it, a record that is not JSON, or
    damage a crash cannot explain. Damage *found* by ``verify_audit`` is a report, never this error."""

    hint = (
        "check that the log's directory is writable and has free space; "
        "`txfirewall audit verify PATH` says what is wrong with an existing log"
    )


class ConfigError(TxFirewallError, ValueError):
    """A ``FirewallConfig`` (or other constructor) value is out of range or contradictory."""

    hint = "see the FirewallConfig docstring for each field's meaning and range"


class FirewallClosedError(TxFirewallError):
    """The Firewall was closed; it does not reopen (and never starts a fork behind your back)."""

    hint = "create a new Firewall (or SyncFirewall) to analyse more requests"


class AnalysisCancelledError(FirewallClosedError):
    """``close()`` waited for this analysis until its timeout, then cancelled it: no verdict."""

    hint = "do not sign: the request was not analysed; raise close(timeout=...) to let work finish"


class FirewallLoopError(TxFirewallError):
    """The Firewall is in use by another, still running event loop (its fork and connections
    belong to that loop), or a SyncFirewall was called from its own loop thread."""

    hint = "use one Firewall per event loop, or a SyncFirewall, which is safe from any thread"


class FirewallBusyError(TxFirewallError):
    """More callers are waiting for an analysis slot than ``FirewallConfig.max_waiting``."""

    hint = "slow down, or raise FirewallConfig.max_concurrency / max_waiting"


class EnvironmentFailure(TxFirewallError):
    """Something outside the request failed: a missing tool, an unreachable node."""


class ToolNotFoundError(EnvironmentFailure):
    """A Foundry binary (anvil, cast) could not be found or installed from npm."""

    hint = (
        "install Foundry (https://book.getfoundry.sh/getting-started/installation) and put its "
        "binaries on PATH, or install Node.js/npm so txfirewall can fetch the pinned @foundry-rs build"
    )


class AnvilNotFoundError(ToolNotFoundError):
    """No anvil binary could be found or installed."""

    hint = (
        "install Foundry (https://book.getfoundry.sh/getting-started/installation) and put "
        "`anvil` on PATH, or install Node.js/npm so txfirewall can fetch @foundry-rs/anvil, "
        "or point TXFIREWALL_ANVIL at an anvil binary"
    )


class CastNotFoundError(ToolNotFoundError):
    """No cast binary could be found or installed (cast is used by the tests, not at run time)."""

    hint = (
        "install Foundry (https://book.getfoundry.sh/getting-started/installation) and put "
        "`cast` on PATH, or install Node.js/npm so txfirewall can fetch @foundry-rs/cast, "
        "or point TXFIREWALL_CAST at a cast binary"
    )


class AnvilStartError(EnvironmentFailure):
    """Anvil was found but did not start or did not answer."""

    hint = "see the anvil log quoted above; check --rpc is reachable when forking"


class ChainMismatchError(EnvironmentFailure):
    """--chain-id names a different chain than the node serves."""

    hint = "pass the --rpc of the chain you mean, or drop --chain-id"


class ControlChannelError(EnvironmentFailure):
    """A running proxy's control channel could not be reached, refused the token, or answered
    something that is not its API (the terminal app's queue)."""

    hint = "start `txfirewall proxy`, and pass --proxy its control file (or its URL with $TXFIREWALL_PROXY_TOKEN)"


class UpstreamError(EnvironmentFailure):
    """The JSON-RPC node failed, answered garbage, or returned an RPC error."""

    hint = "check that --rpc points at a reachable Ethereum JSON-RPC node"

    def __init__(self, message: str, *, code: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


class UpstreamTimeoutError(UpstreamError):
    """The JSON-RPC node did not answer in time."""


class RpcCallError(UpstreamError):
    """The node answered with a JSON-RPC error object (its code, message and data are kept)."""

    def __init__(self, method: str, code: int | None, message: str, data: Any = None) -> None:
        super().__init__(f"{method} failed: {message} (code {code})", code=code)
        self.method = method
        self.rpc_message = message
        self.data = data
