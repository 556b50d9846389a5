"""Keccak-256 selectors of many signatures at once: one Numba kernel over flat arrays.

Importing a dump checks every signature against its selector. From Python, keccak costs about
3.5 µs per call (eth_hash and pycryptodome go through ctypes for each message), which alone would
cap an import near 250k rows/s; this kernel takes about 0.5 µs per signature. Keccak here is the
original padding (``0x01``), as the EVM uses, not SHA3-256.

Only the importer imports this module, lazily: ``import txfirewall`` compiles nothing, and the
decoder never needs it. ``cache=True`` keeps the compiled code on disk; the first use on a machine
compiles for a few seconds.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias, TypeVar, cast

import numpy as np
import numpy.typing as npt
from numba import njit

Bytes: TypeAlias = npt.NDArray[np.uint8]
Offsets: TypeAlias = npt.NDArray[np.int64]
Words: TypeAlias = npt.NDArray[np.uint64]
_F = TypeVar("_F", bound=Callable[..., Any])

RATE = 136
"""Bytes absorbed per permutation for Keccak-256 (1600 - 2 * 256 bits)."""

ROUND_CONSTANTS = np.array(
    [
        0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
        0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
        0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
        0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
        0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
        0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
    ],
    dtype=np.uint64,
)  # fmt: skip
ROTATIONS = np.array(
    [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14],
    dtype=np.uint64,
)
"""Rho offsets of lane ``x + 5 * y``."""
PI_TARGET = np.array([y + 5 * ((2 * x + 3 * y) % 5) for y in range(5) for x in range(5)], dtype=np.int64)
"""Pi: lane ``x + 5 * y`` moves to lane ``y + 5 * ((2x + 3y) mod 5)``."""
CHI_NEXT = np.array([(i % 5 + 1) % 5 + (i // 5) * 5 for i in range(25)], dtype=np.int64)
CHI_NEXT2 = np.array([(i % 5 + 2) % 5 + (i // 5) * 5 for i in range(25)], dtype=np.int64)


def _jit(function: _F) -> _F:
    """``numba.njit`` cached on disk, typed as the function it compiles."""
    return cast(_F, njit(cache=True)(function))


@_jit
def keccak_f1600(a: Words, b: Words, c: Words) -> None:
    """The Keccak-f[1600] permutation of the 25 lanes in ``a``, in place (``b``, ``c``: scratch)."""
    for rnd in range(24):
        for x in range(5):
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20]
        for x in range(5):
            nxt = c[(x + 1) % 5]
            d = c[(x + 4) % 5] ^ ((nxt << np.uint64(1)) | (nxt >> np.uint64(63)))
            for y in range(0, 25, 5):
                a[x + y] ^= d
        b[0] = a[0]
        for i in range(1, 25):
            s = ROTATIONS[i]
            b[PI_TARGET[i]] = (a[i] << s) | (a[i] >> (np.uint64(64) - s))
        for i in range(25):
            a[i] = b[i] ^ ((~b[CHI_NEXT[i]]) & b[CHI_NEXT2[i]])
        a[0] ^= ROUND_CONSTANTS[rnd]


@_jit
def selectors_kernel(blob: Bytes, offsets: Offsets) -> npt.NDArray[np.uint32]:
    """Message ``k`` is ``blob[offsets[k]:offsets[k + 1]]``; returns the first 4 bytes of each
    message's Keccak-256 digest as a big-endian integer."""
    n = offsets.size - 1
    out = np.empty(n, np.uint32)
    a = np.empty(25, np.uint64)
    b = np.empty(25, np.uint64)
    c = np.empty(5, np.uint64)
    block = np.zeros(RATE, np.uint8)
    lanes = block.view(np.uint64)  # little-endian lanes, as Keccak reads them (x86, ARM)
    for k in range(n):
        pos, end = offsets[k], offsets[k + 1]
        a[:] = 0
        while True:
            take = min(RATE, end - pos)
            block[:] = 0
            block[:take] = blob[pos : pos + take]
            pos += take
            last = take < RATE
            if last:  # pad10*1 with Keccak's domain byte 0x01 (an exactly full block pads a new one)
                block[take] ^= 0x01
                block[RATE - 1] ^= 0x80
            for i in range(RATE // 8):
                a[i] ^= lanes[i]
            keccak_f1600(a, b, c)
            if last:
                break
        w = a[0]
        out[k] = np.uint32(
            ((w & np.uint64(0xFF)) << np.uint64(24))
            | (((w >> np.uint64(8)) & np.uint64(0xFF)) << np.uint64(16))
            | (((w >> np.uint64(16)) & np.uint64(0xFF)) << np.uint64(8))
            | ((w >> np.uint64(24)) & np.uint64(0xFF))
        )
    return out


def pack(signatures: Sequence[str]) -> tuple[Bytes, Offsets]:
    """ASCII signatures as one byte array and their ``n + 1`` boundaries, the kernel's input (one
    join and one encode for the batch, not one per signature)."""
    try:
        blob = np.frombuffer("".join(signatures).encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError as exc:
        raise ValueError("signatures must be ASCII text") from exc
    offsets = np.zeros(len(signatures) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, signatures), dtype=np.int64, count=len(signatures)), out=offsets[1:])
    return blob, offsets


def selectors_of(signatures: Sequence[str]) -> npt.NDArray[np.uint32]:
    """The 4-byte selector, as a big-endian uint32, of each ASCII signature such as
    ``transfer(address,uint256)`` (0xa9059cbb)."""
    if sys.byteorder != "little":  # pragma: no cover - the lane view assumes little-endian words
        raise RuntimeError("the selector kernel needs a little-endian machine")
    return selectors_kernel(*pack(signatures))
