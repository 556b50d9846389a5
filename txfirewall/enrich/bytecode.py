"""The bytecode scan: ``CodeFeatures`` for a contract's runtime code, cached by code hash.

The walk itself is a Numba kernel (``bytecode_kernel``), imported and compiled on first use and
never at ``import txfirewall``; a ``BytecodeScanner`` belongs to one Firewall and keeps the
features of the codes it has seen (contracts share code: every clone, every token of a factory).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from txfirewall.model.code import CodeFeatures
from txfirewall.model.hashing import keccak256
from txfirewall.model.primitives import address_from_bytes

SWEEP_SELECTORS: dict[int, str] = {
    0xA9059CBB: "transfer(address,uint256)",
    0x23B872DD: "transferFrom(address,address,uint256)",
    0x42842E0E: "safeTransferFrom(address,address,uint256)",
    0xB88D4FDE: "safeTransferFrom(address,address,uint256,bytes)",
    0xF242432A: "safeTransferFrom(address,address,uint256,uint256,bytes)",
    0x2EB2C2D6: "safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)",
    0x36C78516: "transferFrom(address,address,uint160,address)",
}
"""Calls that move assets: built next to a hard-coded address, they are a sweeper's signature."""
MAX_ITEMS = 64
"""Selectors and hard-coded addresses kept per contract (counts are exact)."""


def _selector(code: bytes, offset: int) -> str:
    """The selector pushed at ``offset`` (PUSH3 or PUSH4 data), as 4 bytes of hex."""
    width = code[offset - 1] - 0x5F
    return "0x" + code[offset : offset + width].rjust(4, b"\x00").hex()


def scan_code(code: bytes, *, code_hash: str | None = None, pure_python: bool = False) -> CodeFeatures:
    """Scan one non-empty runtime code. ``pure_python`` runs the kernel's Python original (tests)."""
    import numpy as np

    from txfirewall.enrich import bytecode_kernel as k

    fn: Callable[..., Any] = k.scan_bytecode.py_func if pure_python else k.scan_bytecode  # type: ignore[attr-defined]
    array = np.frombuffer(code, dtype=np.uint8)
    selectors = np.array(sorted(SWEEP_SELECTORS), dtype=np.int64)
    feats, addrs, funcs, called = fn(array, selectors, MAX_ITEMS)
    f = [int(x) for x in feats]
    n_addr, n_func, n_called = f[k.F_N_ADDRESSES], f[k.F_N_FUNCTIONS], f[k.F_N_CALLED]
    addresses = tuple(dict.fromkeys(address_from_bytes(code[o : o + 20]) for o in addrs[: min(n_addr, MAX_ITEMS)]))
    functions = tuple(dict.fromkeys(_selector(code, int(o)) for o in funcs[: min(n_func, MAX_ITEMS)]))
    called_selectors = tuple(dict.fromkeys("0x" + code[o : o + 4].hex() for o in called[: min(n_called, MAX_ITEMS)]))
    push = f[k.F_PROXY_PUSH]
    proxy_to = address_from_bytes(code[10 : 10 + push].rjust(20, b"\x00")) if push else None
    delegation_to = address_from_bytes(code[3:23]) if f[k.F_DESIGNATOR] else None
    return CodeFeatures(
        code_hash=code_hash or "0x" + keccak256(code).hex(),
        size=f[k.F_SIZE],
        scanned_size=f[k.F_SCANNED],
        instructions=f[k.F_INSTRUCTIONS],
        functions=functions,
        called_selectors=called_selectors,
        addresses=addresses,
        selfdestruct=f[k.F_SELFDESTRUCT],
        delegatecall=f[k.F_DELEGATECALL],
        delegatecall_calldata_target=f[k.F_DELEGATECALL_CALLDATA],
        delegatecall_fixed_target=f[k.F_DELEGATECALL_FIXED],
        delegatecall_storage_target=f[k.F_DELEGATECALL_STORAGE],
        callcode=f[k.F_CALLCODE],
        create=f[k.F_CREATE],
        create2=f[k.F_CREATE2],
        calls=f[k.F_CALL],
        value_calls=f[k.F_VALUE_CALLS],
        value_forwards_to_fixed=f[k.F_FORWARDS_TO_FIXED],
        token_moves_to_fixed=f[k.F_TOKEN_MOVES_TO_FIXED],
        origin_reads=f[k.F_ORIGIN],
        balance_reads=f[k.F_BALANCE],
        env_reads=tuple(
            name
            for name, index in (
                ("COINBASE", k.F_COINBASE),
                ("TIMESTAMP", k.F_TIMESTAMP),
                ("NUMBER", k.F_NUMBER),
                ("PREVRANDAO", k.F_PREVRANDAO),
                ("GASPRICE", k.F_GASPRICE),
            )
            if f[index]
        ),
        minimal_proxy_to=proxy_to,
        delegation_to=delegation_to,
        truncated=max(n_addr, n_func, n_called) > MAX_ITEMS,
    )


def warm() -> None:
    """Import and compile (or load from the on-disk cache) the kernel: call it off the event loop."""
    scan_code(bytes.fromhex("6000356000f4"))


class BytecodeScanner:
    """Scans codes and remembers the features of the last ``capacity`` distinct code hashes.

    ``cached`` and ``remember`` are for the event loop's thread; ``scan_many`` is pure and may
    run in a worker thread (the first call compiles the kernel).
    """

    def __init__(self, capacity: int = 1024) -> None:
        self.capacity = capacity
        self._features: OrderedDict[str, CodeFeatures] = OrderedDict()
        self.scanned = 0
        """Codes actually walked (cache misses), for tests and benchmarks."""

    def cached(self, code_hash: str) -> CodeFeatures | None:
        found = self._features.get(code_hash)
        if found is not None:
            self._features.move_to_end(code_hash)
        return found

    def remember(self, features: CodeFeatures) -> None:
        self._features[features.code_hash] = features
        self._features.move_to_end(features.code_hash)
        while len(self._features) > self.capacity:
            self._features.popitem(last=False)

    def scan_many(self, codes: Iterable[tuple[str, bytes]]) -> list[CodeFeatures]:
        out = [scan_code(code, code_hash=code_hash) for code_hash, code in codes]
        self.scanned += len(out)
        return out

    def __len__(self) -> int:
        return len(self._features)
