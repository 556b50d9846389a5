"""Runs Ledger's ERC-7730 registry test vectors (``tests/data/erc7730/``) through the real parser
and decoder, and scores what we render against the texts the registry expects a user to see.

The registry stores *unsigned* raw transactions (the device signs them); ``eth_sendRawTransaction``
rightly rejects those, so each is re-signed with a throwaway test key, the payload unchanged.
Expected texts are device screens: lines wrap with spaces and long values end in ``... More``, so
both sides are compared with whitespace and thousands separators removed, case-insensitively.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rlp
from eth_account import Account
from eth_utils import to_checksum_address

from txfirewall.errors import TxFirewallError
from txfirewall.model.intent import Intent
from txfirewall.parse.request import parse_request
from txfirewall.signatures import decode_request

VECTORS = Path(__file__).parent.parent / "data" / "erc7730"
TEST_KEY = "0x" + "11" * 32
SIGNER = "0x0000000000000000000000000000000000000001"


def _int(raw: bytes) -> int:
    return int.from_bytes(raw, "big")


def _access_list(items: list[Any]) -> list[dict[str, Any]]:
    return [{"address": to_checksum_address(a), "storageKeys": ["0x" + k.hex() for k in keys]} for a, keys in items]


def resign(raw_hex: str) -> str:
    """An unsigned legacy / type-1 / type-2 payload signed with the test key (signed ones unchanged)."""
    raw = bytes.fromhex(raw_hex.removeprefix("0x"))
    tx: dict[str, Any]
    if raw[0] >= 0xC0:
        f = rlp.decode(raw)
        if len(f) != 9 or _int(f[7]) or _int(f[8]):
            return raw_hex
        tx = {
            "nonce": _int(f[0]),
            "gasPrice": _int(f[1]),
            "gas": _int(f[2]),
            "to": f[3],
            "value": _int(f[4]),
            "data": f[5],
        }
        if _int(f[6]):
            tx["chainId"] = _int(f[6])
    elif raw[0] in (1, 2):
        f = rlp.decode(raw[1:])
        if len(f) != (8 if raw[0] == 1 else 9):
            return raw_hex
        fees = (
            {"gasPrice": _int(f[2])}
            if raw[0] == 1
            else {"maxPriorityFeePerGas": _int(f[2]), "maxFeePerGas": _int(f[3])}
        )
        rest = f[3:] if raw[0] == 1 else f[4:]
        tx = {
            "type": raw[0],
            "chainId": _int(f[0]),
            "nonce": _int(f[1]),
            **fees,
            "gas": _int(rest[0]),
            "to": rest[1],
            "value": _int(rest[2]),
            "data": rest[3],
            "accessList": _access_list(rest[4]),
        }
    else:
        return raw_hex
    tx["to"] = to_checksum_address(tx["to"]) if tx["to"] else None
    if tx["to"] is None:
        del tx["to"]
    return "0x" + bytes(Account.sign_transaction(tx, TEST_KEY).raw_transaction).hex()


@dataclass(frozen=True)
class VectorResult:
    """One vector: where it came from, what we decoded, and how our texts compare."""

    name: str
    expected: tuple[str, ...]
    intent: Intent | None
    error: str | None = None

    @property
    def named(self) -> bool:
        i = self.intent
        return i is not None and (
            (i.call is not None and not i.call.name.startswith("0x"))
            or bool(i.primary_type and i.kind.value != "unanalysed")
        )

    @property
    def rendered(self) -> list[str]:
        if self.intent is None:
            return []
        out = [self.intent.clear_intent or ""]
        for f in self.intent.clear_fields:
            out += [f.label, f.text]
        return [t for t in out if t]

    @property
    def matched(self) -> list[str]:
        return [t for t in self.expected if text_found(t, self.rendered)]


def _norm(text: str) -> str:
    return "".join(text.split()).replace(",", "").casefold()


def text_found(expected: str, rendered: list[str]) -> bool:
    """Whether an expected device text is among ours (truncated ``... More`` texts by prefix)."""
    want = _norm(expected)
    if want.endswith("...more"):
        prefix = want.removesuffix("...more")
        return any(_norm(r).startswith(prefix) for r in rendered)
    return any(_norm(r) == want for r in rendered)


def load_vectors() -> list[tuple[str, dict[str, Any]]]:
    """Every copied vector, named ``<file>#<index>``."""
    out = []
    for path in sorted(VECTORS.rglob("*.tests.json")):
        for i, test in enumerate(json.loads(path.read_text())["tests"]):
            out.append((f"{path.relative_to(VECTORS)}#{i}", test))
    return out


def run_vector(name: str, test: dict[str, Any]) -> VectorResult:
    """One vector through ``parse_request`` and ``decode_request``; typed errors are recorded."""
    if "rawTx" in test:
        req = {"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": [resign(test["rawTx"])]}
    else:
        req = {"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [SIGNER, test["data"]]}
    expected = tuple(test.get("expectedTexts", ()))
    try:
        return VectorResult(name, expected, decode_request(parse_request(req)))
    except TxFirewallError as exc:
        return VectorResult(name, expected, None, f"{type(exc).__name__}: {exc}")


def _value_matches(expected: str, ours: str) -> bool:
    """Equal, or equal before the device's own suffix (`` Network Avalanche C-Chain``), or a
    date the device shows without its time."""
    want, got = _norm(expected), _norm(ours)
    if want.endswith("...more"):
        return got.startswith(want.removesuffix("...more"))
    return (
        want == got
        or (want.startswith(got) and want[len(got) :].startswith("network"))
        or (len(want) == 10 and got.startswith(want))
    )


def _offline_unknown(expected: str, ours: str, fmt: str) -> bool:
    """Values that need a lookup: token decimals (the device shows ``???`` too) or a name (ENS,
    a token's name) for an address."""
    if "base units of" in ours or "unknown token" in ours or "???" in expected:
        return True
    return (
        fmt in ("addressName", "tokenAmount")
        and not _norm(expected).startswith(("0x", "unlimited"))
        and (not any(ch.isdigit() for ch in expected) or _norm(expected).endswith(".eth"))
    )


@dataclass
class Score:
    """Counts over all vectors; fields are scored label by label, then value by value."""

    total: int = 0
    named: int = 0
    named_builtin: int = 0
    described: int = 0
    header_matched: int = 0
    labels: int = 0
    labels_matched: int = 0
    values_compared: int = 0
    values_matched: int = 0
    values_offline_unknown: int = 0
    vectors_all_fields_matched: int = 0

    def add(self, r: VectorResult) -> None:
        self.total += 1
        intent = r.intent
        self.named += r.named or bool(intent and intent.clear_intent)
        self.named_builtin += r.named
        if intent is None or not intent.clear_intent:
            return
        self.described += 1
        exp = list(r.expected)
        header = [t for t in (intent.clear_intent, intent.clear_owner) if t]
        self.header_matched += any(text_found(t, exp) for t in header)
        used: set[int] = set()
        ok = True
        for f in intent.clear_fields:
            self.labels += 1
            idx = next((i for i, t in enumerate(exp) if i not in used and _norm(t) == _norm(f.label)), None)
            if idx is None:
                ok = False
                continue
            used.update((idx, idx + 1))
            self.labels_matched += 1
            if idx + 1 >= len(exp):
                continue
            if _offline_unknown(exp[idx + 1], f.text, f.format):
                self.values_offline_unknown += 1
                continue
            self.values_compared += 1
            if _value_matches(exp[idx + 1], f.text):
                self.values_matched += 1
            else:
                ok = False
        self.vectors_all_fields_matched += ok and bool(intent.clear_fields)

    def report(self) -> str:
        return (
            f"ERC-7730 vectors: {self.total}; decoded to a named function or type: {self.named} "
            f"({self.named_builtin} by the built-in decoders alone); "
            f"matched a shipped descriptor: {self.described}; intent or owner text matched: "
            f"{self.header_matched}; field labels matched: {self.labels_matched}/{self.labels}; "
            f"values matched: {self.values_matched}/{self.values_compared} renderable offline "
            f"(+{self.values_offline_unknown} that need a token or name lookup); "
            f"vectors with every label and every offline value matched: {self.vectors_all_fields_matched}"
        )
