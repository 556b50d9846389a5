"""Hostnames from untrusted origins: parsing, the registrable domain, look-alike characters, edit
distance. Pure functions: the enrich stage, the domain lists and the rules share them.

An origin arrives as a browser serialises it (``https://app.uniswap.org``, punycode for
international names), as a URL with a path, or as a bare host typed on the command line
(``app.uniswap.org:8443``, ``uniswаp.org`` with a Cyrillic letter). Each becomes one ``Host``
whose ASCII ``name`` is what lists are matched against.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from urllib.parse import urlsplit

from txfirewall.model.origin import Host, HostKind
from txfirewall.model.public_suffixes import split_suffix

MAX_ORIGIN_LENGTH = 2048
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan")

_INVISIBLE = frozenset({0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x034F, 0x180E})
_BIDI = frozenset({*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C})
_LOOKALIKE_SCRIPTS = frozenset({"CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"})

# Letters of other scripts (and Latin extensions) that render like a basic Latin letter. A subset of
# Unicode's confusables (UTS #39) chosen for hostnames: lowercase only (hosts are lowercased first).
_CONFUSABLE_LETTERS = {
    # Cyrillic
    "\u0430": "a",
    "\u0435": "e",
    "\u043e": "o",
    "\u0440": "p",
    "\u0441": "c",
    "\u0443": "y",
    "\u0445": "x",
    "\u0455": "s",
    "\u0456": "i",
    "\u0458": "j",
    "\u04bb": "h",
    "\u0501": "d",
    "\u051b": "q",
    "\u051d": "w",
    "\u04cf": "l",
    "\u04af": "y",
    "\u043a": "k",
    "\u044c": "b",
    # Greek
    "\u03b1": "a",
    "\u03b5": "e",
    "\u03b9": "i",
    "\u03ba": "k",
    "\u03bd": "v",
    "\u03bf": "o",
    "\u03c1": "p",
    "\u03c4": "t",
    "\u03c5": "u",
    "\u03c7": "x",
    "\u03b7": "n",
    "\u03c9": "w",
    "\u03b3": "y",
    # Armenian
    "\u0585": "o",
    "\u0578": "n",
    "\u057d": "u",
    "\u0570": "h",
    "\u0581": "g",
    "\u0566": "q",
    # Latin letters that are not basic Latin and do not decompose
    "\u0131": "i",
    "\u0251": "a",
    "\u0261": "g",
    "\u0269": "i",
    "\u0142": "l",
    "\u00f8": "o",
    "\u0111": "d",
    "\u0127": "h",
    "\u0167": "t",
    "\u0185": "b",
    "\u028b": "u",
    "\u0237": "j",
    # ASCII digits read as letters
    "0": "o",
    "1": "l",
}
_CONFUSABLE_TABLE = str.maketrans(_CONFUSABLE_LETTERS)
_ASCII_PAIRS = (("rn", "m"), ("vv", "w"))


def skeleton(text: str) -> str:
    """What ``text`` looks like, reduced to basic Latin where a look-alike exists: diacritics and
    invisible characters dropped, Cyrillic/Greek/Armenian look-alikes mapped (``uniswаp`` ->
    ``uniswap``), ``0``/``1`` read as ``o``/``l``, ``rn`` as ``m``. Two names with the same skeleton
    look the same to a reader."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    kept = "".join(
        ch for ch in decomposed if not unicodedata.combining(ch) and ord(ch) not in _INVISIBLE and ord(ch) not in _BIDI
    )
    out = kept.translate(_CONFUSABLE_TABLE)
    for pair, single in _ASCII_PAIRS:
        out = out.replace(pair, single)
    return out


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance (insert, delete, substitute; as MetaMask's ``fastest-levenshtein``).
    With ``limit``, any distance above it is reported as ``limit + 1``, and only the diagonal band
    of width ``2 * limit + 1`` is computed (cells outside it are already over the limit)."""
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    if limit is None:
        limit = len(a)
    over = limit + 1
    if len(a) - len(b) > limit:
        return over
    previous = [j if j <= limit else over for j in range(len(b) + 1)]
    for i, ca in enumerate(a, 1):
        current = [over] * (len(b) + 1)
        current[0] = i if i <= limit else over
        best = current[0]
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            value = min(previous[j - 1] + (ca != b[j - 1]), current[j - 1] + 1, previous[j] + 1, over)
            current[j] = value
            best = min(best, value)
        if best > limit:
            return over
        previous = current
    return previous[-1]


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else None


def _label_flags(label: str) -> list[str]:
    """Flags of one Unicode label (an ASCII label has none)."""
    if label.isascii():
        return []
    flags = ["non-ascii"]
    codepoints = {ord(ch) for ch in label}
    if codepoints & _INVISIBLE:
        flags.append("invisible-characters")
    if codepoints & _BIDI:
        flags.append("bidi-override")
    scripts = {s for s in map(_script, label) if s}
    if "LATIN" in scripts and scripts & _LOOKALIKE_SCRIPTS:
        flags.append("mixed-script")
    ascii_look = skeleton(label)
    if ascii_look.isascii() and ascii_look:
        if scripts and scripts <= _LOOKALIKE_SCRIPTS and len(scripts) == 1:
            flags.append("whole-script-lookalike")
        flags.append("imitates-ascii")
    return flags


def _decode_label(label: str) -> tuple[str, bool]:
    """(Unicode form, valid) of one ASCII label; ``xn--`` labels are decoded from punycode."""
    if not label.startswith("xn--"):
        return label, True
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        return label, False
    # A punycode label must encode something non-ASCII, in the lowercase form browsers produce.
    if decoded.isascii() or decoded != decoded.lower() or not decoded:
        return label, False
    return decoded, True


def _encode_label(label: str) -> str:
    """ASCII form of one label: punycode for a non-ASCII label (no IDNA mapping: a mapping would
    silently drop the invisible characters this module exists to flag)."""
    if label.isascii():
        return label
    return "xn--" + label.encode("punycode").decode("ascii")


def _kind(name: str) -> HostKind:
    if name == "localhost" or name.endswith(_LOCAL_SUFFIXES) or "." not in name:
        return HostKind.LOCAL
    return HostKind.DOMAIN


def normalise_hostname(text: str) -> tuple[str, str, list[str]] | None:
    """(ASCII name, Unicode display, flags) of a bare hostname, or None when it is not one."""
    host = text.strip().lower()
    if host.endswith("."):
        host = host[:-1]
    if not host or len(host) > 253 or any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in host):
        return None
    labels = host.split(".")
    if any(not label or len(label) > 63 or any(ch in "/\\?#@:[]%" for ch in label) for label in labels):
        return None
    ascii_labels: list[str] = []
    display_labels: list[str] = []
    flags: list[str] = []
    for label in labels:
        ascii_label = _encode_label(label)
        display, valid = _decode_label(ascii_label)
        if not valid:
            flags.append("invalid-punycode")
        if ascii_label.startswith("xn--"):
            flags.append("punycode")
        flags.extend(_label_flags(display))
        ascii_labels.append(ascii_label)
        display_labels.append(display)
    return ".".join(ascii_labels), ".".join(display_labels), list(dict.fromkeys(flags))


def parse_host(origin: str) -> Host | None:
    """The host of an origin, URL or bare ``host[:port]``; None when there is none (``null``,
    ``file:///...``) or the text is not a URL."""
    text = origin.strip()
    if not text or len(text) > MAX_ORIGIN_LENGTH or text == "null":  # "null": an opaque origin
        return None
    has_scheme = "://" in text
    try:
        parsed = urlsplit(text if has_scheme else "//" + text)
        raw_host = parsed.hostname
        port = parsed.port
    except ValueError:
        return None
    if not raw_host:
        return None
    scheme = parsed.scheme.lower() if has_scheme and parsed.scheme else None
    try:
        ip = ipaddress.ip_address(raw_host.rstrip("."))
    except ValueError:
        ip = None
    if ip is not None:
        kind = HostKind.LOCAL if ip.is_loopback else HostKind.IP
        return Host(name=ip.compressed, display=ip.compressed, kind=kind, scheme=scheme, port=port)
    normalised = normalise_hostname(raw_host)
    if normalised is None:
        return None
    name, display, flags = normalised
    kind = _kind(name)
    suffix_labels = split_suffix(name.split(".")) if kind is HostKind.DOMAIN else 0
    return Host(
        name=name,
        display=display,
        kind=kind,
        scheme=scheme,
        port=port,
        suffix_labels=suffix_labels,
        flags=tuple(flags),
    )


def parents(name: str) -> list[str]:
    """``name`` and every parent domain: ``a.b.c`` -> ``a.b.c``, ``b.c``, ``c``."""
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]
