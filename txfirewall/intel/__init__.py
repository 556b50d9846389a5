"""Address intelligence: shipped public lists, imported lists and the user's allow / deny lists."""

from __future__ import annotations

from txfirewall.intel.store import IntelStore, default_store_path

__all__ = ["IntelStore", "default_store_path"]
