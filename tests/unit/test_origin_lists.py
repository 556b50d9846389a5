"""Phishing-domain lists: importers (untrusted files), the store, MetaMask's matching, speed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from txfirewall.cli.main import main
from txfirewall.errors import InputFileError
from txfirewall.intel.domain_importers import read_domains
from txfirewall.intel.domain_lists import DomainEntry, DomainLists
from txfirewall.intel.importers import read_labels
from txfirewall.intel.store import IntelStore
from txfirewall.model.hostnames import parse_host
from txfirewall.model.origin import DomainListKind, DomainMatch

DATA = Path(__file__).resolve().parents[1] / "data" / "origin"
CONFIG = DATA / "metamask_config.json"


@pytest.fixture(scope="module")
def lists() -> DomainLists:
    parsed = read_domains(CONFIG, "metamask-phishing")
    return DomainLists(parsed.entries, {parsed.source: parsed.version})


def match(lists: DomainLists, origin: str) -> DomainMatch | None:
    host = parse_host(origin)
    assert host is not None
    return lists.match(host)


def test_metamask_config_import() -> None:
    parsed = read_domains(CONFIG, "metamask-phishing")
    kinds = [e.kind for e in parsed.entries]
    assert (parsed.source, parsed.version, parsed.skipped) == ("metamask-phishing", "7", 0)
    assert (kinds.count(DomainListKind.ALLOW), kinds.count(DomainListKind.BLOCK)) == (10, 8)
    assert {e.tolerance for e in parsed.entries if e.kind is DomainListKind.FUZZY} == {2}


@pytest.mark.parametrize(
    "origin, kind, entry",
    [
        ("https://metamask-wallet-restore.example", DomainListKind.BLOCK, "metamask-wallet-restore.example"),
        ("https://www.claim-airdrop-now.example/#/claim", DomainListKind.BLOCK, "claim-airdrop-now.example"),
        ("https://a.b.uniswap-claim.netlify.app", DomainListKind.BLOCK, "uniswap-claim.netlify.app"),
        ("http://203.0.113.7:8080", DomainListKind.BLOCK, "203.0.113.7"),
        ("https://phish.openseas.example", DomainListKind.ALLOW, "openseas.example"),  # allow lists win
        ("https://portfolio.metamask.io", DomainListKind.ALLOW, "metamask.io"),
        ("https://metamsk.xyz", DomainListKind.FUZZY, "metamask.io"),
        ("https://wallet.metamsk.xyz", DomainListKind.FUZZY, "metamask.io"),  # subdomain of a look-alike
        ("https://metamask.co.uk", DomainListKind.FUZZY, "metamask.io"),  # the name, not "metamask.co"
        ("https://myetherwallet.github.io", DomainListKind.FUZZY, "myetherwallet.com"),
        ("https://opensae.io", DomainListKind.FUZZY, "opensea.io"),
        ("https://metаmask.app", DomainListKind.FUZZY, "metamask.io"),  # Cyrillic а: by its skeleton
        ("https://launchpad.etherium.org", DomainListKind.FUZZY, "launchpad.ethereum.org"),
    ],
)
def test_matching_as_metamask_does(lists: DomainLists, origin: str, kind: DomainListKind, entry: str) -> None:
    found = match(lists, origin)
    assert found is not None
    assert (found.kind, found.entry, found.source) == (kind, entry, "metamask-phishing")


@pytest.mark.parametrize(
    "origin",
    [
        "https://launchpad.ethereum.org",  # a fuzzy entry itself (and on the allow list)
        "https://docs.launchpad.ethereum.org",
        "https://blog.ethereum.org",  # same registrable domain as a fuzzy entry
        "https://metamask-io.com",  # combo-squatting: 3 edits, for block lists to carry
        "https://app.uniswap.org.evil.com",  # the brand as a subdomain: not a fuzzy match either
        "http://localhost:3000",
        "https://github.io",  # a bare public suffix
        "https://203.0.113.8",
    ],
)
def test_what_does_not_match(lists: DomainLists, origin: str) -> None:
    found = match(lists, origin)
    assert found is None or found.kind is DomainListKind.ALLOW
    fuzzy_only = DomainLists(
        DomainEntry(d, DomainListKind.FUZZY, "f", 2) for d in ("launchpad.ethereum.org", "uniswap.org", "metamask.io")
    )
    assert match(fuzzy_only, origin) is None


def test_fuzzy_reports_distance_and_what_was_compared(lists: DomainLists) -> None:
    found = match(lists, "https://www.opensae.io")
    assert found is not None
    assert found.to_json() == {
        "list": "fuzzy",
        "entry": "opensea.io",
        "source": "metamask-phishing",
        "version": "7",
        "distance": 2,
        "tolerance": 2,
        "compared": "opensae",
    }


def test_a_block_entry_that_is_a_public_suffix_covers_only_itself() -> None:
    lists = DomainLists([DomainEntry("github.io", DomainListKind.BLOCK, "mine")])
    assert match(lists, "https://github.io") is not None
    assert match(lists, "https://me.github.io") is None


def test_tolerance_zero_turns_fuzzy_matching_off(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"version": 1, "tolerance": 0, "fuzzylist": ["metamask.io"], "blacklist": []}))
    parsed = read_domains(path, "metamask-phishing")
    assert parsed.entries == ()
    assert match(DomainLists(parsed.entries), "https://metamsk.xyz") is None


def test_domain_list_lines(tmp_path: Path) -> None:
    path = tmp_path / "mine.txt"
    path.write_text(
        "# my deny list\n"
        "evil.example\n"
        "  https://Wallet.Bad.example/  # a URL\n"
        "*.wild.example\n"
        "0.0.0.0 hosts.bad.example\n"
        "sites.example/page/phish\n"
        "uniswаp.org\n\n"
    )
    parsed = read_domains(path, "domains")
    assert parsed.source == "mine" and parsed.skipped == 1
    assert [e.domain for e in parsed.entries] == [
        "evil.example",
        "wallet.bad.example",
        "wild.example",
        "hosts.bad.example",
        "xn--uniswp-7nf.org",
    ]
    assert {e.kind for e in parsed.entries} == {DomainListKind.BLOCK}
    allow = read_domains(path, "domains-allow")
    assert allow.source == "user-allow" and {e.kind for e in allow.entries} == {DomainListKind.ALLOW}


def test_domain_list_as_json_array(tmp_path: Path) -> None:
    path = tmp_path / "domains.json"
    path.write_text(json.dumps(["drain-claim.example", "free-mint.example"]))
    parsed = read_domains(path, "domains", "scamsniffer-domains")
    assert [e.domain for e in parsed.entries] == ["drain-claim.example", "free-mint.example"]
    assert parsed.source == "scamsniffer-domains"


@pytest.mark.parametrize(
    "fmt, body, where",
    [
        ("domains", "good.example\nnot a domain\n", "line 2"),
        ("domains", '["good.example", 5]', "item 1"),
        ("metamask-phishing", '{"blacklist": ["ok.example", "bad host"]}', "blacklist item 1"),
        ("metamask-phishing", '{"blacklist": [], "tolerance": -1}', "tolerance"),
        ("metamask-phishing", '{"blacklist": [], "tolerance": true}', "tolerance"),
        ("metamask-phishing", '{"whitelist": []}', "no 'blacklist'"),
        ("metamask-phishing", '{"blacklist": [], "surprise": 1}', "unexpected key"),
        ("metamask-phishing", '["a.example"]', "JSON object"),
        ("metamask-phishing", "{not json", "not JSON"),
    ],
)
def test_bad_domain_files_name_the_problem(tmp_path: Path, fmt: str, body: str, where: str) -> None:
    path = tmp_path / "f"
    path.write_text(body)
    with pytest.raises(InputFileError, match=where):
        read_domains(path, fmt)


def test_store_keeps_domains_beside_labels_and_replaces_per_source(tmp_path: Path) -> None:
    db = tmp_path / "intel.sqlite"
    address = "0x" + "11" * 20
    (tmp_path / "mine.csv").write_text(f"address,label\n{address},wallet drainer kit\n")
    (tmp_path / "deny.txt").write_text("old.example\nkept.example\n")
    with IntelStore(db, shipped=False) as store:
        store.add(read_labels(tmp_path / "mine.csv", "csv"))
        parsed = read_domains(CONFIG, "metamask-phishing")
        assert store.replace_domains(parsed.source, parsed.fmt, parsed.entries, parsed.version) == 27
        deny = read_domains(tmp_path / "deny.txt", "domains")
        store.replace_domains(deny.source, deny.fmt, deny.entries)
        assert match(store.domain_lists(), "https://old.example") is not None
        (tmp_path / "deny.txt").write_text("kept.example\n")  # a newer list without old.example
        deny = read_domains(tmp_path / "deny.txt", "domains")
        assert store.replace_domains(deny.source, deny.fmt, deny.entries) == 1
        assert match(store.domain_lists(), "https://old.example") is None  # the index was rebuilt
    with IntelStore(db, shipped=False) as store:
        assert len(store.lookup(address)) == 1  # address labels unchanged
        assert [s[:3] for s in store.domain_sources()] == [
            ("deny", "domains", None),
            ("metamask-phishing", "metamask-phishing", "7"),
        ]
        found = match(store.domain_lists(), "https://metamsk.xyz")
        assert found is not None and found.version == "7"
        assert len(store.domain_lists()) == 28


def test_cli_imports_and_looks_up_origins(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "intel.sqlite")
    assert main(["intel", "import", str(CONFIG), "--format", "metamask-phishing", "--store", db]) == 0
    assert "imported 27 domain entries as 'metamask-phishing' version 7" in capsys.readouterr().out
    (tmp_path / "trusted.txt").write_text("metamsk.xyz\n")
    assert main(["intel", "import", str(tmp_path / "trusted.txt"), "--format", "domains-allow", "--store", db]) == 0
    capsys.readouterr()
    assert main(["intel", "origin", "https://opensae.io", "metamsk.xyz", "app.uniswap.org", "--store", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "https://opensae.io: fuzzy ('opensea.io' from metamask-phishing, distance 2)",
        "metamsk.xyz: allow ('metamsk.xyz' from user-allow)",
        "app.uniswap.org: allow ('uniswap.org' from metamask-phishing)",
    ]
    assert main(["intel", "origin", "https://opensae.io", "--store", db, "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["match"]["entry"] == "opensea.io" and result["host"]["registrable"] == "opensae.io"
    assert main(["intel", "origin", "null", "--store", db]) == 2
    assert "not a URL or hostname" in capsys.readouterr().err
    (tmp_path / "bad.txt").write_text("not a domain\n")
    assert main(["intel", "import", str(tmp_path / "bad.txt"), "--format", "domains", "--store", db]) == 2


def _big_lists() -> DomainLists:
    """A list the size of MetaMask's: 15k block entries, 1k allow entries, 15 fuzzy entries."""
    words = ["claim", "airdrop", "wallet", "connect", "mint", "free", "restore", "sync", "dapp", "bonus"]
    block = [
        DomainEntry(f"{words[i % 10]}-{words[(i // 10) % 10]}-{i}.example", DomainListKind.BLOCK, "big")
        for i in range(15_000)
    ]
    allow = [DomainEntry(f"legit-{i}.example", DomainListKind.ALLOW, "big") for i in range(1_000)]
    fuzzy_names = ["metamask.io", "myetherwallet.com", "opensea.io", "etherscan.io", "cryptokitties.co"]
    fuzzy_names += ["launchpad.ethereum.org", "uniswap.org", "1inch.io", "makerfoundation.com", "localethereum.com"]
    fuzzy_names += ["originprotocol.com", "dfinity.org", "fulcrum.trade", "auctus.org", "localcryptos.com"]
    fuzzy = [DomainEntry(d, DomainListKind.FUZZY, "big", 2) for d in fuzzy_names]
    return DomainLists([*allow, *block, *fuzzy])


def test_a_list_the_size_of_metamasks_decides_each_kind_of_host() -> None:
    """Matching against 16k entries picks the right one (its speed is in ``make bench``,
    section "Lookups")."""
    lists = _big_lists()

    def decided(origin: str) -> tuple[str, str, int | None] | None:
        host = parse_host(origin)
        assert host is not None
        found = lists.match(host)
        return None if found is None else (found.kind.value, found.entry, found.distance)

    assert decided("https://app.uniswap.org") is None  # the real site, not a look-alike
    assert decided("https://wallet.metamsk.xyz") == ("fuzzy", "metamask.io", 1)
    assert decided("https://xn--uniswp-7nf.org") == ("fuzzy", "uniswap.org", 0)
    assert decided("https://deep.sub.airdrop-claim-1.example") == ("block", "airdrop-claim-1.example", None)
    assert decided("https://x.legit-5.example") == ("allow", "legit-5.example", None)
    assert decided("https://some.deep.subdomain.of.a-long-dapp-name.finance") is None
    assert decided("http://localhost:3000") is None
