"""What the app is started with (``txfirewall tui``, ``txfirewall demo``): the knowledge files
already loaded, the chain to fork, the requests to analyse at once, the proxy to follow."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from txfirewall.decide.policy import Policy
from txfirewall.errors import ControlChannelError
from txfirewall.firewall import FirewallConfig
from txfirewall.tui.audit_history import default_audit_path

if TYPE_CHECKING:
    from txfirewall.proxy.control_client import ControlClient


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
        # Imported here: aiohttp costs a fifth of the app's start, and only a followed proxy needs it.
        from txfirewall.proxy.control_client import ControlClient

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
class SettingsValues:
    """What the Settings screen edits."""

    rpc_url: str | None
    chain_id: int | None
    policy_path: Path | None
    proxy: str | None
    """A control file path, or a control URL (its token from ``$TXFIREWALL_PROXY_TOKEN``)."""
    audit_path: Path


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

    def settings(self) -> SettingsValues:
        proxy = self.proxy.describe() if self.proxy is not None else None
        return SettingsValues(self.rpc_url, self.chain_id, self.policy_path, proxy, self.audit_path)

    def with_settings(self, values: SettingsValues) -> TuiOptions:
        """These options with the Settings screen's values: a new RPC turns simulation on (none:
        offline), a new policy file is loaded and checked (``InputFileError``)."""
        from txfirewall.tui.policy_file import PolicyFile

        simulate = (values.rpc_url is not None) if values.rpc_url != self.rpc_url else self.simulate
        options = replace(
            self,
            rpc_url=values.rpc_url,
            chain_id=values.chain_id,
            audit_path=values.audit_path,
            simulate=simulate,
            proxy=ProxyAddress.parse(values.proxy) if values.proxy else None,
        )
        if values.policy_path is not None and values.policy_path != self.policy_path:
            options = replace(options, policy_path=values.policy_path).with_policy(
                PolicyFile.load(values.policy_path).policy
            )
        return options
