"""The shipped EIP-7702 delegate lists: what they hold, that only MIT sources speak, and that they
load on first use, not on import."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from txfirewall.intel.delegates import delegate_listing, delegate_listings
from txfirewall.model.code import DelegateStatus

PROVENANCE = Path(__file__).resolve().parents[2] / "txfirewall" / "data" / "eip7702_delegates" / "PROVENANCE.md"


def test_counts_match_the_provenance_file() -> None:
    counts = Counter(listing.status.value for listing in delegate_listings().values())
    documented = dict(re.findall(r"^\| `([a-z-]+)` \| (\d+) \|", PROVENANCE.read_text(), re.M))
    assert {k: int(v) for k, v in documented.items()} == dict(counts)
    assert counts["known-good"] == 39 and counts["malicious"] == 78


def test_every_row_cites_mit_sources_only() -> None:
    allowed = {"walletbeat", "BundleBear", "revoke.cash whois"}
    for listing in delegate_listings().values():
        assert listing.sources and set(listing.sources.split("; ")) <= allowed, listing


def test_lookups() -> None:
    metamask = delegate_listing("0x63c0c19a282a1b52b07dd5a65b58948a07dae32b")
    assert metamask is not None and metamask.status is DelegateStatus.KNOWN_GOOD and metamask.vendor == "MetaMask"
    crime = delegate_listing("0x6B7879a5d747E30a3ADb37A9e41c046928FCE933")
    assert crime is not None and crime.status is DelegateStatus.MALICIOUS and crime.name == "CrimeEnjoyor2"
    unsafe = delegate_listing("0x00000110dCdEdC9581cb5eCB8467282f2926534d")
    assert unsafe is not None and unsafe.status is DelegateStatus.UNSAFE
    stale = delegate_listing("0x000000a56Aaca3e9a4C479ea6b6CD0DbcB6634F5")  # a vanity label BundleBear dropped
    assert stale is not None and stale.status is DelegateStatus.UNVETTED
    assert delegate_listing("0x" + "00" * 20) is None and delegate_listing("not an address") is None


def test_the_lists_load_on_first_use_not_on_import() -> None:
    code = (
        "import txfirewall, txfirewall.firewall; from txfirewall.intel.delegates import delegate_listings as d; "
        "print(d.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
