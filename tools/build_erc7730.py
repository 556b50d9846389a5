"""Build ``data/erc7730/index.json`` from Ledger's ERC-7730 clear-signing registry (CC0-1.0).

Run once, by a maintainer: ``python tools/build_erc7730.py <shared>/erc7730_registry``. The
package only ever reads the compact index this writes. Done here, at build time: ``includes`` are
merged, ``$ref`` fields are expanded from ``display.definitions``, ``$.metadata.constants`` and
``$.metadata.enums`` references are inlined, fields hidden with ``visible: never`` are dropped,
and identical formats are stored once.
"""

from __future__ import annotations

import copy
import gzip
import json
import sys
from pathlib import Path
from typing import Any

from eth_utils import keccak

from txfirewall.signatures.erc7730_abi import canonical_signature, parse_params

OUT = Path(__file__).resolve().parent.parent / "signatures" / "data" / "erc7730" / "index.json.gz"


def _merge(base: Any, over: Any) -> Any:
    """Deep merge for ``includes``: the including file wins, ``fields`` lists are replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base[key], value) if key in base else value
        return out
    return copy.deepcopy(over)


def _load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    inc = doc.pop("includes", None)
    if inc:
        doc = _merge(_load((path.parent / inc).resolve()), doc)
    return doc


def _lookup(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("$.").split("."):
        node = node[part]
    return node


def _resolve_field(doc: dict[str, Any], field: dict[str, Any]) -> dict[str, Any] | None:
    if "$ref" in field:
        base = dict(_lookup(doc, field["$ref"]))
        params = {**base.get("params", {}), **field.get("params", {})}
        field = {**base, **{k: v for k, v in field.items() if k != "$ref"}}
        if params:
            field["params"] = params
    if field.get("visible") == "never":
        return None
    out: dict[str, Any] = {k: v for k, v in field.items() if k in ("path", "label", "format", "value", "visible")}
    if isinstance(out.get("value"), str) and out["value"].startswith("$."):
        out["value"] = _lookup(doc, out["value"])
    if out.get("visible") == "always" or out.get("visible") is None:
        out.pop("visible", None)
    params = {}
    for key, value in field.get("params", {}).items():
        if key == "$ref":
            params["enum"] = _lookup(doc, value)
        elif isinstance(value, str) and value.startswith("$."):
            params[key] = _lookup(doc, value)
        elif isinstance(value, list):
            params[key] = [_lookup(doc, v) if isinstance(v, str) and v.startswith("$.") else v for v in value]
        elif key not in ("types", "sources"):
            params[key] = value
    if params:
        out["params"] = params
    if "fields" in field:
        subs = [f for f in (_resolve_field(doc, s) for s in field["fields"]) if f is not None]
        if not subs:
            return None
        out["fields"] = subs
    return out


def _format_entry(doc: dict[str, Any], key: str, fmt: dict[str, Any], kind: str) -> dict[str, Any]:
    meta = doc.get("metadata", {})
    fields = [f for f in (_resolve_field(doc, f) for f in fmt.get("fields", [])) if f is not None]
    entry: dict[str, Any] = {
        "kind": kind,
        "key": key,
        "intent": fmt.get("intent") or "",
        "owner": meta.get("owner") or meta.get("contractName") or "",
        "fields": fields,
    }
    if kind == "calldata":
        params = parse_params(key)
        entry["signature"] = canonical_signature(key)
        entry["abi"] = params
    return entry


def build(root: Path) -> dict[str, Any]:
    """The index: lookup tables to format ids, and the formats themselves."""
    formats: list[dict[str, Any]] = []
    ids: dict[str, int] = {}
    calls: dict[str, dict[str, int]] = {}
    typed: dict[str, dict[str, list[int]]] = {}
    by_name: dict[str, dict[str, list[int]]] = {}
    tokens: dict[str, list[Any]] = {}
    files = sorted(
        p
        for p in (root / "registry").rglob("*.json")
        if not p.name.endswith(".tests.json") and p.name.startswith(("calldata-", "eip712-"))
    )
    for path in files:
        doc = _load(path)
        ctx = doc.get("context", {})
        kind = "calldata" if "contract" in ctx else "eip712"
        deployments = ctx.get(kind if kind == "eip712" else "contract", {}).get("deployments", [])
        keys = [f"{d['chainId']}:{d['address'].lower()}" for d in deployments]
        token = doc.get("metadata", {}).get("token")
        if token and "decimals" in token:
            for k in keys:
                tokens[k] = [token.get("ticker") or "", token["decimals"]]
        for fkey, fmt in doc.get("display", {}).get("formats", {}).items():
            entry = _format_entry(doc, fkey, fmt, kind)
            blob = json.dumps(entry, sort_keys=True)
            fid = ids.setdefault(blob, len(formats))
            if fid == len(formats):
                formats.append(entry)
            if kind == "calldata":
                selector = "0x" + keccak(text=entry["signature"])[:4].hex()
                for k in keys:
                    calls.setdefault(k, {}).setdefault(selector, fid)
            else:
                primary = fkey.split("(", 1)[0]
                for k in keys:
                    typed.setdefault(k, {}).setdefault(primary, []).append(fid)
                name = ctx["eip712"].get("domain", {}).get("name")
                if name:
                    by_name.setdefault(name, {}).setdefault(primary, []).append(fid)
    for table in (typed, by_name):
        for per in table.values():
            for primary, fids in per.items():
                per[primary] = sorted(set(fids))
    return {
        "source": "LedgerHQ/clear-signing-erc7730-registry@d2489c5e4dfc4ce32882ea06d8e75131f5849cc4",
        "license": "CC0-1.0",
        "descriptors": len(files),
        "calls": calls,
        "typed": typed,
        "typed_by_domain_name": by_name,
        "tokens": tokens,
        "formats": formats,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: build_erc7730.py <erc7730_registry dir>", file=sys.stderr)
        return 2
    index = build(Path(argv[1]))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(index, separators=(",", ":"), sort_keys=True).encode()
    OUT.write_bytes(gzip.compress(text, mtime=0))
    print(
        f"{index['descriptors']} descriptors, {len(index['formats'])} formats, "
        f"{sum(len(v) for v in index['calls'].values())} (contract, selector) keys, "
        f"{OUT.stat().st_size:,} bytes"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
