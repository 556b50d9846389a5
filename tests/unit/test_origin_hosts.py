"""Hostnames from untrusted origins: parsing, registrable domains, look-alike characters, distance."""

from __future__ import annotations

import random

import pytest

from txfirewall.model.hostnames import edit_distance, parse_host, skeleton
from txfirewall.model.origin import HostKind


@pytest.mark.parametrize(
    "origin, name, kind, scheme, port",
    [
        ("https://app.uniswap.org", "app.uniswap.org", HostKind.DOMAIN, "https", None),
        ("HTTPS://App.Uniswap.ORG:443/#/swap?x=1", "app.uniswap.org", HostKind.DOMAIN, "https", 443),
        ("https://app.uniswap.org./", "app.uniswap.org", HostKind.DOMAIN, "https", None),
        ("app.uniswap.org", "app.uniswap.org", HostKind.DOMAIN, None, None),
        ("app.uniswap.org:8443", "app.uniswap.org", HostKind.DOMAIN, None, 8443),
        ("https://user:pw@evil.example/", "evil.example", HostKind.DOMAIN, "https", None),
        ("http://localhost:3000", "localhost", HostKind.LOCAL, "http", 3000),
        ("http://app.localhost", "app.localhost", HostKind.LOCAL, "http", None),
        ("http://nas.local", "nas.local", HostKind.LOCAL, "http", None),
        (
            "chrome-extension://nkbihfbeogaeaoehlefnkodbefgpgknn",
            "nkbihfbeogaeaoehlefnkodbefgpgknn",
            HostKind.LOCAL,
            "chrome-extension",
            None,
        ),
        ("http://127.0.0.1:8545", "127.0.0.1", HostKind.LOCAL, "http", 8545),
        ("http://[::1]:5173", "::1", HostKind.LOCAL, "http", 5173),
        ("http://192.168.1.10", "192.168.1.10", HostKind.IP, "http", None),
        ("https://xn--uniswp-7nf.org", "xn--uniswp-7nf.org", HostKind.DOMAIN, "https", None),
    ],
)
def test_origins_parse_to_normalised_hosts(
    origin: str, name: str, kind: HostKind, scheme: str | None, port: int | None
) -> None:
    host = parse_host(origin)
    assert host is not None
    assert (host.name, host.kind, host.scheme, host.port) == (name, kind, scheme, port)


@pytest.mark.parametrize(
    "origin",
    ["", "   ", "null", "file:///home/me/x.html", "https://", "https://a..b.org", "https://a b.org", "x" * 3000],
)
def test_origins_without_a_host_are_none(origin: str) -> None:
    assert parse_host(origin) is None


def test_bad_port_is_not_a_host() -> None:
    assert parse_host("https://app.example:99999") is None


@pytest.mark.parametrize(
    "host, registrable, site_name, site_form",
    [
        ("app.uniswap.org", "uniswap.org", "uniswap", "app.uniswap"),
        ("www.opensea.io", "opensea.io", "opensea", "opensea"),
        ("a.b.example.co.uk", "example.co.uk", "example", "a.b.example"),
        ("shop.example.com.au", "example.com.au", "example", "shop.example"),
        ("metamask.github.io", "metamask.github.io", "metamask", "metamask"),
        ("co.uk", None, None, "co.uk"),
    ],
)
def test_registrable_domain_with_multi_label_suffixes(
    host: str, registrable: str | None, site_name: str | None, site_form: str
) -> None:
    parsed = parse_host(host)
    assert parsed is not None
    assert (parsed.registrable, parsed.site_name(), parsed.site_form()) == (registrable, site_name, site_form)


def test_unicode_and_punycode_forms_are_one_host() -> None:
    typed = parse_host("https://uniswаp.org")  # Cyrillic а
    served = parse_host("https://xn--uniswp-7nf.org")
    assert typed is not None and served is not None
    assert typed.name == served.name == "xn--uniswp-7nf.org"
    assert typed.display == served.display == "uniswаp.org"
    assert {"punycode", "non-ascii", "mixed-script", "imitates-ascii"} <= set(typed.flags)


@pytest.mark.parametrize(
    "origin, flags, absent",
    [
        ("https://app.uniswap.org", set(), {"non-ascii"}),
        ("https://аррӏе.com", {"whole-script-lookalike", "imitates-ascii"}, {"mixed-script"}),
        ("https://uniswäp.org", {"imitates-ascii", "punycode"}, {"mixed-script", "whole-script-lookalike"}),
        ("https://uni\u200bswap.org", {"invisible-characters", "imitates-ascii"}, set()),
        ("https://uni\u202eswap.org", {"bidi-override"}, set()),
        ("https://xn--abc-.org", {"invalid-punycode", "punycode"}, {"non-ascii"}),
        ("https://例え.jp", {"non-ascii", "punycode"}, {"imitates-ascii", "mixed-script"}),
        ("https://παράδειγμα.gr", {"non-ascii"}, {"imitates-ascii", "whole-script-lookalike"}),
    ],
)
def test_character_flags(origin: str, flags: set[str], absent: set[str]) -> None:
    host = parse_host(origin)
    assert host is not None
    assert flags <= set(host.flags)
    assert not absent & set(host.flags)


def test_invisible_characters_are_kept_not_mapped_away() -> None:
    """IDNA mapping would drop a zero-width space and make the name equal the real one."""
    host = parse_host("https://uni\u200bswap.org")
    assert host is not None and host.name != "uniswap.org" and host.name.startswith("xn--")


@pytest.mark.parametrize(
    "text, look",
    [
        ("uniswаp", "uniswap"),
        ("ореnsеа", "opensea"),
        ("uniswäp", "uniswap"),
        ("0pensea", "opensea"),
        ("1inch", "linch"),
        ("rnetamask", "metamask"),
        ("ｕｎｉｓｗａｐ", "uniswap"),
        ("uni\u200bswap", "uniswap"),
        ("例え", "例え"),
    ],
)
def test_skeleton(text: str, look: str) -> None:
    assert skeleton(text) == look


def _reference_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j - 1] + (ca != cb), current[j - 1] + 1, previous[j] + 1))
        previous = current
    return previous[-1]


def test_bounded_edit_distance_agrees_with_the_full_one() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        a = "".join(rng.choice("abc.") for _ in range(rng.randint(0, 9)))
        b = "".join(rng.choice("abc.") for _ in range(rng.randint(0, 9)))
        full = _reference_distance(a, b)
        assert edit_distance(a, b) == full
        for limit in range(4):
            assert edit_distance(a, b, limit) == min(full, limit + 1)


@pytest.mark.parametrize(
    "a, b, d", [("metamask", "metamsk", 1), ("opensea", "opensae", 2), ("kitten", "sitting", 3), ("", "abc", 3)]
)
def test_edit_distance_examples(a: str, b: str, d: int) -> None:
    assert edit_distance(a, b) == d == edit_distance(b, a)
