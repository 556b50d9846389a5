"""``ProxyConfig``: where the proxy listens, what it lets in, and its limits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from txfirewall.errors import ConfigError

JSON_CONTENT_TYPES = frozenset({"application/json", "application/json-rpc", "application/jsonrequest"})
"""What geth accepts; anything else (a cross-site ``text/plain`` form POST) gets 415."""

DEFAULT_ORIGINS = ("chrome-extension://*", "moz-extension://*", "safari-web-extension://*")
"""Browser extensions (a wallet pointed at the proxy). Web pages are refused unless allowed:
a page that could reach the proxy could read through it and ask it to send."""


@dataclass(frozen=True)
class ProxyConfig:
    """The proxy's settings; the defaults are the safe ones (loopback, geth's limits)."""

    upstream: str
    """The node requests are forwarded to (http or https)."""
    listen_host: str = "127.0.0.1"
    listen_port: int = 8545
    upstream_ws: str | None = None
    """The node's WebSocket endpoint for subscriptions; None: ``upstream`` with ws:// or wss://."""
    accounts: frozenset[str] = frozenset()
    """Lowercase addresses this proxy signs for (``--from``); empty: the upstream's
    ``eth_accounts`` at start; when that is empty too, the account check is off (and said so)."""
    allow_hosts: frozenset[str] = frozenset()
    """Host header names accepted besides localhost and the loopback addresses (DNS rebinding)."""
    allow_origins: tuple[str, ...] = DEFAULT_ORIGINS
    """Browser origins allowed (CORS, WebSocket): exact (``https://app.example``) or a scheme with
    ``*`` (``chrome-extension://*``). Requests with no Origin (scripts, CLI) are not browsers."""
    allow_methods: frozenset[str] = frozenset()
    """Methods to forward as reads besides the built-in list (deny by default)."""
    max_body_bytes: int = 5 * 1024 * 1024
    max_batch: int = 1000
    upstream_batch_limit: int = 100
    """A forwarded batch larger than this is sent in chunks (erigon's default limit)."""
    max_response_bytes: int = 25_000_000
    hold_timeout: float = 120.0
    """Seconds a warned request waits for the user before it is rejected."""
    analysis_timeout: float = 30.0
    """Seconds an analysis may take before the request is refused (fail closed)."""
    upstream_timeout: float = 30.0
    idle_timeout: float = 30.0
    """A connection that sends no complete request for this long is closed (slowloris)."""
    body_timeout: float = 30.0
    rate_burst: int = 20
    rate_per_second: float = 1.0
    """Signing requests per origin: a burst, then this many a second."""
    control_host: str = "127.0.0.1"
    control_port: int = 0
    """The control channel (held requests); 0: any free port, written to ``control_file``."""
    control_file: Path | None = None
    """Where the control channel's URL and token are written (mode 0600); None: the default."""
    public: bool = False
    """Allow a non-loopback ``listen_host`` (the proxy warns: anyone who reaches it can use it)."""

    def __post_init__(self) -> None:
        if not self.upstream.startswith(("http://", "https://")):
            raise ConfigError(f"--upstream must be an http(s) URL, not {self.upstream!r}")
        if not self.public and not is_loopback(self.listen_host):
            raise ConfigError(
                f"refusing to listen on {self.listen_host}: not a loopback address",
                hint="pass --public to listen there anyway (anyone who reaches the port can use the proxy)",
            )
        if not is_loopback(self.control_host):
            raise ConfigError("the control channel listens on loopback only")
        for name in ("max_body_bytes", "max_batch", "upstream_batch_limit", "max_response_bytes", "rate_burst"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1")
        for name in ("hold_timeout", "analysis_timeout", "upstream_timeout", "idle_timeout", "body_timeout"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive")

    def ws_upstream(self) -> str:
        if self.upstream_ws:
            return self.upstream_ws
        return "ws" + self.upstream[len("http") :]


def is_loopback(host: str) -> bool:
    return host in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")


def origin_allowed(origin: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        if pattern.endswith("*"):
            if origin.startswith(pattern[:-1]) and len(origin) > len(pattern) - 1:
                return True
        elif origin == pattern:
            return True
    return False
