"""Well-known protocol contracts (routers, marketplaces, vaults, Permit2, major tokens).

A contract is a contract whether or not a node is at hand to read its code: offline, these
addresses (and every deployment an ERC-7730 descriptor names, which the enrich stage adds) are
known to hold code, so an approval to the Uniswap router is not "an approval to an address that
may be a plain account". The list is small and curated from each protocol's own deployment
documentation (``data/intel/known_contracts.csv``, addresses are public facts); it marks what an
address *is*, never that it is safe to trust with everything.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

from txfirewall.model.primitives import Address

ANY_CHAIN = "any"
"""Deployed at the same address on every chain (Permit2, Multicall3)."""


@cache
def _known() -> dict[tuple[str, str], str]:
    text = (resources.files("txfirewall") / "data" / "intel" / "known_contracts.csv").read_text(encoding="utf-8")
    return {(row["chain_id"], row["address"].lower()): row["name"] for row in csv.DictReader(io.StringIO(text))}


def known_contract_name(chain_id: int | None, address: Address) -> str | None:
    """The protocol name of a well-known contract on ``chain_id`` (None: not in the list)."""
    known = _known()
    key = address.lower()
    name = known.get((ANY_CHAIN, key))
    if name is None and chain_id is not None:
        name = known.get((str(chain_id), key))
    return name
