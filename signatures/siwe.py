"""Sign-In with Ethereum (EIP-4361) messages parsed into fields.

A message that parses as SIWE is still checked like any other (MetaMask skipped its scanner for
SIWE, which made the format a disguise); the parsed domain lets a rule compare it with the origin.
"""

from __future__ import annotations

import re

from txfirewall.model.intent import Login

_HEADER = re.compile(
    r"^(?:(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://)?(?P<domain>\S+) wants you to sign in with your "
    r"Ethereum account:$"
)
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_FIELDS = {
    "URI": "uri",
    "Version": "version",
    "Chain ID": "chain_id",
    "Nonce": "nonce",
    "Issued At": "issued_at",
    "Expiration Time": "expiration_time",
    "Not Before": "not_before",
    "Request ID": "request_id",
}


def parse_siwe(text: str) -> Login | None:
    """The fields of a SIWE message, or None when the text is not one."""
    lines = text.split("\n")
    if len(lines) < 2:
        return None
    header = _HEADER.match(lines[0].rstrip("\r"))
    if not header or not _ADDRESS.match(lines[1].strip()):
        return None
    values: dict[str, str] = {}
    statement: list[str] = []
    for line in lines[2:]:
        line = line.rstrip("\r")
        key, sep, rest = line.partition(": ")
        if sep and key in _FIELDS:
            values[_FIELDS[key]] = rest.strip()
        elif not values and line and not line.startswith("- ") and line != "Resources:":
            statement.append(line)
    chain = values.get("chain_id")
    chain_id = int(chain) if chain is not None and chain.isdigit() and len(chain) <= 20 else None
    scheme = header.group("scheme")
    return Login(
        scheme=scheme.lower() if scheme else None,
        domain=header.group("domain"),
        address=lines[1].strip(),
        uri=values.get("uri"),
        chain_id=chain_id,
        nonce=values.get("nonce"),
        issued_at=values.get("issued_at"),
        expiration_time=values.get("expiration_time"),
        statement="\n".join(statement) or None,
    )
