"""Finding, installing and running Anvil (Foundry's local node)."""

from __future__ import annotations

from txfirewall.anvil.node import AnvilNode, AnvilOptions
from txfirewall.anvil.provision import ANVIL_NPM_VERSION, ensure_anvil, find_anvil

__all__ = ["ANVIL_NPM_VERSION", "AnvilNode", "AnvilOptions", "ensure_anvil", "find_anvil"]
