"""A small built-in public-suffix table: the multi-label suffixes phishing lists actually meet.

Why not the full Public Suffix List (or ``tldextract``): it is ~10k rules that must be kept fresh
(``tldextract`` fetches it over the network at run time unless told not to, and pulls in
``requests`` and ``filelock``), and txfirewall needs the registrable domain only to pick the name
to compare in look-alike checks. A suffix missing here makes one more label count as the name
(``example.co.zz`` compares ``co``), which costs a missed look-alike on a rare suffix, never a
wrong block: blocklists match whole hostnames and their parents, not registrable domains.

Single-label suffixes need no table (the last label is the suffix unless a longer rule matches).
"""

from __future__ import annotations

_COUNTRY_SECOND_LEVEL = {
    # ccTLDs whose registrations sit under a second level (com.xx, co.xx, ...)
    "uk": "co org me net ltd plc ac gov sch nhs police",
    "au": "com net org edu gov asn id",
    "nz": "co org net ac govt geek gen kiwi maori school",
    "jp": "co ne or ac go ad ed gr lg",
    "kr": "co or ne re pe go ac",
    "br": "com net org gov edu art blog eco dev app",
    "cn": "com net org gov edu ac",
    "hk": "com net org gov edu idv",
    "tw": "com net org gov edu idv",
    "sg": "com net org gov edu",
    "my": "com net org gov edu name",
    "in": "co net org firm gen ind gov ac edu res",
    "za": "co org net gov ac web",
    "mx": "com net org gob edu",
    "ar": "com net org gob edu int",
    "co": "com net org gov edu nom",
    "tr": "com net org gov edu gen biz info web",
    "ua": "com net org gov edu in kiev kharkov",
    "ru": "com net org pp msk spb",
    "es": "com nom org gob edu",
    "pl": "com net org biz info waw",
    "il": "co org net ac gov muni",
    "id": "co or net web ac go sch my biz",
    "vn": "com net org gov edu biz info",
    "ph": "com net org gov edu",
    "pk": "com net org gov edu biz web",
    "ng": "com net org gov edu name",
    "eg": "com net org gov edu",
    "sa": "com net org gov edu",
    "th": "co in or go ac net",
    "pe": "com net org gob edu nom",
    "ve": "com net org gob co web",
    "ec": "com net org gob edu fin",
    "uy": "com net org gub edu",
    "py": "com net org gov edu",
    "bo": "com net org gob edu",
    "ke": "co or ne go ac sc",
    "tz": "co or ne go ac",
    "ug": "co or ne go ac sc",
    "zw": "co org ac gov",
    "gh": "com org gov edu",
    "cr": "co or fi go ac",
    "fj": "com org gov ac",
    "np": "com org net gov edu",
    "bd": "com org net gov edu",
    "lk": "com org net gov edu",
    "kz": "com org net gov edu",
    "by": "com org net gov",
    "de": "com",
    "nl": "co",
    "fr": "com asso nom gouv",
    "it": "gov edu",
    "at": "co or ac gv",
    "be": "ac",
    "se": "com org pp tm",
    "no": "com priv",
    "gr": "com org net gov edu",
    "cy": "com org net gov ac",
    "pt": "com org gov edu",
}

_GENERIC_SECOND_LEVEL = (
    # CentralNic-style "country code under .com": the PSL lists them as suffixes
    "ru.com us.com uk.com eu.com cn.com de.com br.com sa.com za.com jpn.com kr.com "
    "co.com gb.net uk.net hu.net se.net in.net jp.net"
)

_HOSTING = (
    # Shared hosting whose users each get a subdomain: the PSL's private section, the common ones.
    # With these, ``metamask.github.io`` names ``metamask`` (a site of its own), not ``github``.
    "github.io gitlab.io netlify.app vercel.app pages.dev workers.dev web.app firebaseapp.com "
    "herokuapp.com blogspot.com appspot.com glitch.me onrender.com fly.dev azurewebsites.net "
    "cloudfront.net surge.sh 000webhostapp.com ngrok.io ngrok-free.app ngrok.app webflow.io "
    "myshopify.com wixsite.com weebly.com repl.co replit.app bitbucket.io neocities.org "
    "translate.goog r2.dev fleek.co on-fleek.app ipfs.dweb.link ipns.dweb.link"
)


def _build() -> frozenset[str]:
    rules = {f"{second}.{tld}" for tld, seconds in _COUNTRY_SECOND_LEVEL.items() for second in seconds.split()}
    rules.update(_GENERIC_SECOND_LEVEL.split())
    rules.update(_HOSTING.split())
    return frozenset(rules)


MULTI_LABEL_SUFFIXES: frozenset[str] = _build()
LONGEST_SUFFIX_LABELS = max(s.count(".") + 1 for s in MULTI_LABEL_SUFFIXES)


def split_suffix(labels: list[str]) -> int:
    """How many trailing labels of ``labels`` (lowercase ASCII) form the public suffix: the longest
    multi-label rule that matches, else 1 (the TLD)."""
    for n in range(min(LONGEST_SUFFIX_LABELS, len(labels)), 1, -1):
        if ".".join(labels[-n:]) in MULTI_LABEL_SUFFIXES:
            return n
    return 1
