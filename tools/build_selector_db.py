"""Build the shipped selector and event database from the public lists (run by hand, output committed).

    python tools/build_selector_db.py /path/to/shared/data

Inputs (see signatures/data/PROVENANCE.md): sevm 4bytedb functions and events (MIT), Mythril's
signature table (MIT), otterscan topic0 events (MIT), the ERC-7730 registry signatures (CC0) and
the security core (computed facts). Signatures that eth-abi's grammar rejects, or whose keccak does
not match their selector, are dropped: the lists are crowd-sourced.

Output format (``selectors.bin`` / ``events.bin``, zlib-compressed): magic ``TXFSIG1\\n``, then
``count`` (u32), ``key_size`` (u32), the sorted keys (``count * key_size`` bytes: a key repeats
once per signature), ``count + 1`` u32 offsets into the text blob, and the blob (UTF-8 signatures
joined without separators). Loading is one decompress and two ``array`` reads; lookups bisect.
"""

from __future__ import annotations

import csv
import gzip
import io
import struct
import sys
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from eth_utils import keccak

OUT = Path(__file__).resolve().parent.parent / "signatures" / "data"
MAGIC = b"TXFSIG1\n"


def _rows(path: Path) -> Iterator[list[str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:  # type: ignore[operator]
        reader = csv.reader(fh)
        next(reader)
        yield from reader


def _valid(signature: str) -> bool:
    from txfirewall.signatures.abi_types import signature_types

    return signature.isascii() and len(signature) < 1024 and signature_types(signature) is not None


def _pack(pairs: Iterable[tuple[bytes, str]], key_size: int) -> bytes:
    ordered = sorted(set(pairs))
    keys = b"".join(k for k, _ in ordered)
    blob = io.BytesIO()
    offsets = [0]
    for _, sig in ordered:
        blob.write(sig.encode())
        offsets.append(blob.tell())
    body = (
        MAGIC
        + struct.pack("<II", len(ordered), key_size)
        + keys
        + struct.pack(f"<{len(offsets)}I", *offsets)
        + blob.getvalue()
    )
    return zlib.compress(body, 9)


def build(shared: Path) -> dict[str, int]:
    sigs = shared / "signatures"
    functions: set[tuple[bytes, str]] = set()
    dropped = 0
    sources = [(sigs / "sevm_4bytedb_functions.csv.gz", 0, 1), (sigs / "mythril_signatures_functions.csv.gz", 0, 1)]
    for path, k, v in sources:
        for row in _rows(path):
            selector, signature = bytes.fromhex(row[k][2:]), row[v].strip()
            if len(selector) == 4 and _valid(signature) and keccak(text=signature)[:4] == selector:
                functions.add((selector, signature))
            else:
                dropped += 1
    for row in _rows(sigs / "erc7730_registry_signatures.csv"):
        if row[0] == "function" and _valid(row[2]) and keccak(text=row[2])[:4].hex() == row[1][2:]:
            functions.add((bytes.fromhex(row[1][2:]), row[2]))
    events: set[tuple[bytes, str]] = set()
    for path, k, v in ((sigs / "sevm_4bytedb_events.csv.gz", 0, 1), (sigs / "otterscan_topic0_events.csv", 0, 1)):
        for row in _rows(path):
            topic, signature = bytes.fromhex(row[k][2:]), row[v].strip()
            if len(topic) == 32 and _valid(signature) and keccak(text=signature) == topic:
                events.add((topic, signature))
            else:
                dropped += 1
    core: list[tuple[str, str, str, str]] = []
    for row in _rows(shared / "security_selectors" / "security_relevant_signatures.csv"):
        kind, digest, signature, category = row[0], row[1], row[2], row[3]
        core.append((kind, digest, signature, category))
        if kind == "function" and _valid(signature):
            functions.add((bytes.fromhex(digest[2:]), signature))
        elif kind == "event" and _valid(signature):
            events.add((bytes.fromhex(digest[2:]), signature))
    OUT.mkdir(exist_ok=True)
    (OUT / "selectors.bin").write_bytes(_pack(functions, 4))
    (OUT / "events.bin").write_bytes(_pack(events, 32))
    with open(OUT / "security_core.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["kind", "hash", "signature", "category"])
        writer.writerows(core)
    return {
        "function_pairs": len(functions),
        "selectors": len({k for k, _ in functions}),
        "event_pairs": len(events),
        "topics": len({k for k, _ in events}),
        "dropped": dropped,
        "core": len(core),
    }


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(build(Path(sys.argv[1])))
