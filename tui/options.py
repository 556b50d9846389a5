"""What the app is started with (``txfirewall tui``, ``txfirewall demo``): the knowledge files
already loaded, the chain to fork, the requests to analyse at once, the proxy to follow."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from txfirewall.decide.policy import Policy
from txfirewall.errors import ControlChannelError
from txfirewall.firewall import FirewallConfig
from txfirewall.proxy.control_client import ControlClient
from txfirewall.tui.audit_history import default_audit_path


@dataclass(frozen=True)
class StartRequest:
    """A request to analyse when the app opens: a file (``REQUEST``, the demo's samples)."""

    path: Path
    title: str


@dataclass(frozen=True)
class ProxyAddress:
    """Where the proxy's control channel is: its control file (URL and token inside), or a URL
    with the token from ``$TXFIREWALL_PROXY_TOKEN`` (never from the command line: ``ps`` shows it)."""

    control_file: Path | None = None
    url: str | None = None
    token: str | None = None

    @classmethod
    def parse(cls, text: str) -> ProxyAddress:
        """``--proxy``'s value: an http(s) URL (the token from ``$TXFIREWALL_PROXY_TOKEN``), else a
        control file path."""
        if text.startswith(("http://", "https://")):
            return cls(url=text, token=os.environ.get("TXFIREWALL_PROXY_TOKEN"))
        return cls(control_file=Path(text).expanduser())

    def client(self) -> ControlClient:
        if self.control_file is not None:
            return ControlClient.from_control_file(self.control_file)
        if self.url is None or not self.token:
            raise ControlChannelError(
                "a proxy given by URL needs its token in $TXFIREWALL_PROXY_TOKEN",
                hint="or pass --proxy the proxy's control file (it holds the URL and the token)",
            )
        return ControlClient(self.url, self.token)

    def describe(self) -> str:
        return str(self.control_file) if self.control_file is not None else str(self.url)


@dataclass(frozen=True)
class TuiOptions:
    """Everything ``TxFirewallApp`` needs; every field has a safe default."""

    rpc_url: str | None = None
    chain_id: int | None = None
    simulate: bool = True
    knowledge: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """``FirewallConfig`` fields from the user's files: history, labels, policy, intel, graph."""
    policy_path: Path | None = None
    """The policy file the Rules screen saves to; None: ``~/.config/txfirewall/policy.toml``."""
    requests: tuple[StartRequest, ...] = ()
    account: str | None = None
    """``--from``: the user's address (fills a missing ``from``; signs pasted typed data and messages)."""
    origin: str | None = None
    """``--origin``: the site the start requests came from (a claim)."""
    proxy: ProxyAddress | None = None
    audit_path: Path = field(default_factory=default_audit_path)
    subtitle: str = ""
    """Shown in the status bar (``demo``)."""

    @property
    def policy(self) -> Policy:
        policy = self.knowledge.get("policy")
        return policy if isinstance(policy, Policy) else Policy()

    def firewall_config(self) -> FirewallConfig | None:
        """The Firewall's configuration; None when simulation is wanted but no RPC is known yet."""
        if self.simulate and not self.rpc_url:
            return None
        return FirewallConfig(rpc_url=self.rpc_url, chain_id=self.chain_id, simulate=self.simulate, **self.knowledge)

    def with_policy(self, policy: Policy) -> TuiOptions:
        return replace(self, knowledge=MappingProxyType({**self.knowledge, "policy": policy}))
