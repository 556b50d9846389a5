"""Lookups every analysis makes: an origin against phishing-domain lists the size of MetaMask's,
and an address against the intelligence store.

These were timed assertions in the unit tests; timings belong here (machines are noisy), the
tests keep what each lookup must answer.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from txfirewall.intel.domain_lists import DomainEntry, DomainLists  # noqa: E402
from txfirewall.intel.store import IntelStore  # noqa: E402
from txfirewall.model.hostnames import Host, parse_host  # noqa: E402
from txfirewall.model.origin import DomainListKind  # noqa: E402

ORIGINS = (
    "https://app.uniswap.org",
    "https://wallet.metamsk.xyz",
    "https://deep.sub.airdrop-claim-1.example",
    "https://some.deep.subdomain.of.a-long-dapp-name.finance",
    "https://xn--uniswp-7nf.org",
    "http://localhost:3000",
)
FUZZY = [
    "metamask.io",
    "myetherwallet.com",
    "opensea.io",
    "etherscan.io",
    "cryptokitties.co",
    "launchpad.ethereum.org",
    "uniswap.org",
    "1inch.io",
    "makerfoundation.com",
    "localethereum.com",
    "originprotocol.com",
    "dfinity.org",
    "fulcrum.trade",
    "auctus.org",
    "localcryptos.com",
]


def domain_lists(blocked: int = 15_000, allowed: int = 1_000) -> DomainLists:
    """Lists the size of MetaMask's eth-phishing-detect: 15k block, 1k allow, 15 fuzzy entries."""
    words = ["claim", "airdrop", "wallet", "connect", "mint", "free", "restore", "sync", "dapp", "bonus"]
    entries = [DomainEntry(f"legit-{i}.example", DomainListKind.ALLOW, "bench") for i in range(allowed)]
    entries += [
        DomainEntry(f"{words[i % 10]}-{words[(i // 10) % 10]}-{i}.example", DomainListKind.BLOCK, "bench")
        for i in range(blocked)
    ]
    entries += [DomainEntry(d, DomainListKind.FUZZY, "bench", 2) for d in FUZZY]
    return DomainLists(entries)


def per_call_us(fn: Callable[[], object], calls: int, repeats: int = 5) -> float:
    """Median over ``repeats`` of the mean microseconds per call."""
    fn()
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        runs.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(runs)


def run() -> list[str]:
    lists = domain_lists()
    hosts: list[Host] = []
    for origin in ORIGINS:
        host = parse_host(origin)
        assert host is not None
        hosts.append(host)
    rows = [
        f"| origin `{ORIGINS[i]}` against 16,015 domain entries | {per_call_us(lambda h=h: lists.match(h), 300):.1f} |"  # type: ignore[misc]
        for i, h in enumerate(hosts)
    ]
    store = IntelStore()
    listed = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"  # Lazarus (OFAC), in the shipped lists
    rows.append(f"| intel store: a listed address | {per_call_us(lambda: store.lookup(listed), 2000):.1f} |")
    rows.append(
        f"| intel store: an unknown address | {per_call_us(lambda: store.lookup('0x' + 'ab' * 20), 2000):.1f} |"
    )
    return [
        "## Lookups",
        "",
        "Each analysis matches the request's origin against the phishing-domain lists and looks every",
        "address up in the intelligence store. Median of 5 runs of the mean per call.",
        "",
        "| lookup | µs per call |",
        "|---|---:|",
        *rows,
        "",
    ]


if __name__ == "__main__":
    print("\n".join(run()))
