"""The shipped selector and event database (built by ``tools/build_selector_db.py``), loaded lazily,
and the function lookup that merges it with the user's own database (``user_db``).

Nothing is read until the first lookup; then one zlib decompress and two array reads. Keys are
sorted (a key repeats once per signature), so a lookup is two bisections; the 4-byte function keys
are also held as an array of integers, so that those bisections run in C (about 1.5 µs a lookup,
against 4.5 µs through the ``_Keys`` view).

Function lookups consult the shipped table first, then the user's database, and keep every
candidate of both: a selector may have several signatures, and the decoder, not the order of the
lists, decides which one the calldata is (see ``calldata``).
"""

from __future__ import annotations

import struct
import sys
import zlib
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from txfirewall.signatures.user_db import user_function_signatures

MAGIC = b"TXFSIG1\n"


class _Keys:
    """A sequence view of fixed-size keys in one bytes object, for bisect."""

    def __init__(self, blob: bytes, size: int, count: int) -> None:
        self.blob, self.size, self.count = blob, size, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> bytes:
        return self.blob[i * self.size : (i + 1) * self.size]


@dataclass(frozen=True)
class SignatureTable:
    keys: _Keys
    offsets: array[int]
    text: bytes
    selectors: array[int] | None = None
    """4-byte keys as integers (the function table): bisect then runs in C, not through ``_Keys``."""

    def lookup(self, key: bytes) -> tuple[str, ...]:
        if self.selectors is not None:
            if len(key) != 4:
                return ()
            number = int.from_bytes(key, "big")
            lo = bisect_left(self.selectors, number)
            hi = bisect_right(self.selectors, number, lo)
        else:
            lo = bisect_left(self.keys, key)
            hi = bisect_right(self.keys, key, lo)
        return tuple(self.text[self.offsets[i] : self.offsets[i + 1]].decode() for i in range(lo, hi))

    def __len__(self) -> int:
        return len(self.keys)

    def distinct_keys(self) -> int:
        blob, size = self.keys.blob, self.keys.size
        return len({blob[i : i + size] for i in range(0, len(blob), size)})


def load_table(raw: bytes) -> SignatureTable:
    body = zlib.decompress(raw)
    if body[: len(MAGIC)] != MAGIC:
        raise ValueError("not a txfirewall signature table")
    count, size = struct.unpack_from("<II", body, len(MAGIC))
    start = len(MAGIC) + 8
    keys = body[start : start + count * size]
    off_start = start + count * size
    offsets = array("I")
    offsets.frombytes(body[off_start : off_start + 4 * (count + 1)])
    if offsets.itemsize != 4:
        raise ValueError("unsupported platform: array('I') is not 32-bit")
    selectors = None
    if size == 4:
        selectors = array("I", keys)
        if sys.byteorder == "little":
            selectors.byteswap()  # the keys are big-endian; sorted bytes are sorted integers
    return SignatureTable(_Keys(keys, size, count), offsets, body[off_start + 4 * (count + 1) :], selectors)


def _read(name: str) -> bytes:
    return resources.files("txfirewall.signatures").joinpath("data", name).read_bytes()


@lru_cache(maxsize=1)
def functions() -> SignatureTable:
    return load_table(_read("selectors.bin"))


@lru_cache(maxsize=1)
def events() -> SignatureTable:
    return load_table(_read("events.bin"))


def function_signatures(selector: bytes) -> tuple[str, ...]:
    """Every known text signature for a 4-byte selector (possibly several: collisions happen),
    the shipped ones first, then those only the user's database knows."""
    shipped = functions().lookup(selector)
    user = user_function_signatures(selector)
    if not user:
        return shipped
    return shipped + tuple(sig for sig in user if sig not in shipped)


def function_signatures_by_source(selector: bytes) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(signatures the shipped table knows, further ones only the user's database knows)."""
    shipped = functions().lookup(selector)
    user = user_function_signatures(selector)
    if user and shipped:
        user = tuple(sig for sig in user if sig not in shipped)
    return shipped, user


def event_signatures(topic0: bytes) -> tuple[str, ...]:
    return events().lookup(topic0)
