"""The shipped EIP-7702 delegate lists: known-good wallet delegates, known sweepers, and labelled
contracts that are neither (see ``data/eip7702_delegates/PROVENANCE.md``).

Read once per process, on the first lookup (about 130 rows). Matching is on the address alone, on
every chain: the vendors deploy their delegates at the same address everywhere, and a sweeper's
address is worth blocking on any chain. Neither list is complete; an unlisted delegate is unknown,
not good and not bad.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources

from txfirewall.model.code import DelegateListing, DelegateStatus
from txfirewall.model.primitives import Address, is_address, to_address

DELEGATES_FILE = "delegates.csv"


@lru_cache(maxsize=1)
def delegate_listings() -> dict[str, DelegateListing]:
    """Lowercase address -> its listing."""
    text = (resources.files("txfirewall") / "data" / "eip7702_delegates" / DELEGATES_FILE).read_text(encoding="utf-8")
    found: dict[str, DelegateListing] = {}
    for row in csv.DictReader(io.StringIO(text)):
        address = to_address(row["address"])
        found[address.lower()] = DelegateListing(
            address=address,
            status=DelegateStatus(row["status"]),
            name=row["name"],
            kind=row["kind"],
            vendor=row["vendor"],
            sources=row["sources"],
        )
    return found


def delegate_listing(address: Address | str) -> DelegateListing | None:
    """What the shipped lists say about ``address``; None when it is on none of them."""
    if not is_address(address):
        return None
    return delegate_listings().get(address.lower())
