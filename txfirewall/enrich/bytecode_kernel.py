"""The Numba kernel of the bytecode scan: a walk of EVM opcodes over a uint8 array.

Imported lazily by ``txfirewall.enrich.bytecode`` (it imports Numba and NumPy); ``cache=True``
keeps the compiled code across runs, so only the first scan on a fresh install compiles. Every
constant the kernel reads lives in this file on purpose: Numba's on-disk cache is keyed on this
file, and a constant moved elsewhere could change without the cached machine code noticing.

The walk follows the EVM's own JUMPDEST analysis (PUSH data is skipped, never decoded). An
instruction after a terminator (STOP, RETURN, REVERT, INVALID, SELFDESTRUCT, JUMP, an undefined
opcode) is dead until the next JUMPDEST, so data and unreachable tails do not count. Trailing
CBOR metadata (``... a2 64 'ipfs' ... <length>``) is excluded, unless some PUSH constant names a
JUMPDEST inside it: code hidden in a fake metadata blob is still walked. Known over-count: a
factory's runtime holds its child's creation code as data, and that code's JUMPDESTs make it
look reachable (its dispatcher selectors are counted too).

Each stack slot carries a *tag*: a bit set saying where its value comes from (a constant, a
hard-coded address, calldata, CALLVALUE, the balance, storage, memory, an asset-moving selector...)
and, for small constants, the value itself (jump destinations). Tags flow through DUP, SWAP and
arithmetic, into fall-through successors, and along every jump whose destination is known: pushed
just before, or carried on the stack as a return address. The entry stacks of a JUMPDEST from all
its known jumps are merged (a union of provenances; a value that differs becomes unknown). Jumps
back to code already walked (returns from internal functions, loops) are applied in another round
of the walk, until nothing changes or ``MAX_ROUNDS``. That is enough to see
``collector.call{value: selfbalance()}`` or ``target.delegatecall(data)`` with ``target`` decoded
from calldata, where the call is made. A jump to a destination computed at run time, or a helper
shared by several callers (its return address merges to unknown), ends what the walk can follow:
the counts are a lower bound, not a proof of absence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar, cast

import numpy as np
import numpy.typing as npt
from numba import njit

Bytes: TypeAlias = npt.NDArray[np.uint8]
Ints: TypeAlias = npt.NDArray[np.int64]
_F = TypeVar("_F", bound=Callable[..., Any])

# --- the feature vector: index -> meaning ---
F_SIZE = 0
F_SCANNED = 1
F_INSTRUCTIONS = 2
F_SELFDESTRUCT = 3
F_DELEGATECALL = 4
F_DELEGATECALL_CALLDATA = 5
F_DELEGATECALL_FIXED = 6
F_DELEGATECALL_STORAGE = 7
F_CALLCODE = 8
F_CREATE = 9
F_CREATE2 = 10
F_CALL = 11
F_STATICCALL = 12
F_VALUE_CALLS = 13
F_FORWARDS_TO_FIXED = 14
F_TOKEN_MOVES_TO_FIXED = 15
F_ORIGIN = 16
F_COINBASE = 17
F_TIMESTAMP = 18
F_NUMBER = 19
F_PREVRANDAO = 20
F_GASPRICE = 21
F_BALANCE = 22
F_SSTORE = 23
F_PROXY_PUSH = 24
"""Length of the implementation PUSH of an EIP-1167 minimal proxy (its bytes start at offset 10); 0: not one."""
F_DESIGNATOR = 25
F_N_ADDRESSES = 26
F_N_FUNCTIONS = 27
F_N_CALLED = 28
N_FEATURES = 29

# --- tags: where a stack value comes from ---
T_CONST = 1
T_ZERO = 2
T_ADDR = 4
T_CALLDATA = 8
T_CALLVALUE = 16
T_BALANCE = 32
T_STORAGE = 64
T_CALLER = 128
T_MEM = 256
T_ENV = 512
T_SELF = 1024
T_UNKNOWN = 2048
T_HASH = 4096
T_OTHER = 8192
T_SWEEP = 16384
"""Derived from an asset-moving selector (``transfer``, ``transferFrom``...)."""
_FIXED_MASK = ~(T_ADDR | T_CONST)

STACK_CAP = 1024
ENTRY_DEPTH = 32
"""Stack slots remembered for a jump target: deeper ones are unknown there."""
MAX_ROUNDS = 4
"""Walks at most: a jump back to code already walked (a return, a loop) means one more."""


def _stack_effects() -> tuple[Ints, Ints, npt.NDArray[np.bool_]]:
    """Pops and pushes of every defined opcode (Cancun); undefined opcodes act as INVALID."""
    pops = np.zeros(256, np.int64)
    pushes = np.zeros(256, np.int64)
    valid = np.zeros(256, np.bool_)
    table = {
        0x00: (0, 0), 0x01: (2, 1), 0x02: (2, 1), 0x03: (2, 1), 0x04: (2, 1), 0x05: (2, 1), 0x06: (2, 1),
        0x07: (2, 1), 0x08: (3, 1), 0x09: (3, 1), 0x0A: (2, 1), 0x0B: (2, 1),
        0x10: (2, 1), 0x11: (2, 1), 0x12: (2, 1), 0x13: (2, 1), 0x14: (2, 1), 0x15: (1, 1), 0x16: (2, 1),
        0x17: (2, 1), 0x18: (2, 1), 0x19: (1, 1), 0x1A: (2, 1), 0x1B: (2, 1), 0x1C: (2, 1), 0x1D: (2, 1),
        0x20: (2, 1),
        0x30: (0, 1), 0x31: (1, 1), 0x32: (0, 1), 0x33: (0, 1), 0x34: (0, 1), 0x35: (1, 1), 0x36: (0, 1),
        0x37: (3, 0), 0x38: (0, 1), 0x39: (3, 0), 0x3A: (0, 1), 0x3B: (1, 1), 0x3C: (4, 0), 0x3D: (0, 1),
        0x3E: (3, 0), 0x3F: (1, 1),
        0x40: (1, 1), 0x41: (0, 1), 0x42: (0, 1), 0x43: (0, 1), 0x44: (0, 1), 0x45: (0, 1), 0x46: (0, 1),
        0x47: (0, 1), 0x48: (0, 1), 0x49: (1, 1), 0x4A: (0, 1),
        0x50: (1, 0), 0x51: (1, 1), 0x52: (2, 0), 0x53: (2, 0), 0x54: (1, 1), 0x55: (2, 0), 0x56: (1, 0),
        0x57: (2, 0), 0x58: (0, 1), 0x59: (0, 1), 0x5A: (0, 1), 0x5B: (0, 0), 0x5C: (1, 1), 0x5D: (2, 0),
        0x5E: (3, 0), 0x5F: (0, 1),
        0xF0: (3, 1), 0xF1: (7, 1), 0xF2: (7, 1), 0xF3: (2, 0), 0xF4: (6, 1), 0xF5: (4, 1), 0xFA: (6, 1),
        0xFD: (2, 0), 0xFE: (0, 0), 0xFF: (1, 0),
    }  # fmt: skip
    for op in range(0x60, 0xA5):  # PUSH1..32, DUP1..16, SWAP1..16, LOG0..4 are handled in the walk
        valid[op] = True
    for op, (p, q) in table.items():
        pops[op], pushes[op], valid[op] = p, q, True
    for n in range(5):
        pops[0xA0 + n] = 2 + n
    return pops, pushes, valid


POPS, PUSHES, VALID = _stack_effects()
PROXY_PREFIX = np.frombuffer(bytes.fromhex("363d3d373d3d3d363d"), np.uint8).copy()
PROXY_SUFFIX_A = np.frombuffer(bytes.fromhex("5af43d82803e903d9160"), np.uint8).copy()
PROXY_SUFFIX_B = np.frombuffer(bytes.fromhex("57fd5bf3"), np.uint8).copy()


def _jit() -> Callable[[_F], _F]:
    """``numba.njit`` with the compiled code cached on disk, typed as the function it compiles."""
    return cast(Callable[[_F], _F], njit(cache=True))


@_jit()
def scan_bytecode(code: Bytes, sweep_selectors: Ints, max_items: int) -> tuple[Ints, Ints, Ints, Ints]:
    """Walk ``code``. Returns (features, address offsets, function-selector offsets, called-selector
    offsets): an offset is where the PUSH's data starts in ``code`` (20 address bytes; a selector
    is the PUSH3/PUSH4 data, left-padded), at most ``max_items`` of each (``features`` has the full
    counts). ``sweep_selectors`` are the asset-moving selectors whose use next to a hard-coded
    address is counted. One function, no helpers: its Python original runs without Numba."""
    n = code.size
    feats = np.zeros(N_FEATURES, np.int64)
    addrs = np.zeros(max_items, np.int64)
    funcs = np.zeros(max_items, np.int64)
    called = np.zeros(max_items, np.int64)
    feats[F_SIZE] = n
    if n == 23 and code[0] == 0xEF and code[1] == 0x01 and code[2] == 0x00:
        feats[F_DESIGNATOR] = 1
        return feats, addrs, funcs, called
    # EIP-1167 minimal proxy, including vanity variants with a shorter PUSH of the implementation.
    if n >= 26 and 0x60 <= code[9] <= 0x73:
        k = int(code[9]) - 0x5F
        if n == 25 + k:
            same = True
            for j in range(9):
                if code[j] != PROXY_PREFIX[j]:
                    same = False
            for j in range(10):
                if code[10 + k + j] != PROXY_SUFFIX_A[j]:
                    same = False
            for j in range(4):
                if code[21 + k + j] != PROXY_SUFFIX_B[j]:
                    same = False
            if same:
                feats[F_PROXY_PUSH] = k

    # Trailing CBOR metadata: its last two bytes are its length, and it starts with a CBOR map.
    meta_start = n
    if n >= 4:
        meta = int(code[n - 2]) * 256 + int(code[n - 1])
        start = n - 2 - meta
        if meta > 0 and start >= 0 and 0xA1 <= code[start] <= 0xA5:
            meta_start = start

    # Pass 1: JUMPDEST analysis, and which offsets a PUSH constant before the metadata names.
    is_dest = np.zeros(n, np.bool_)
    named = np.zeros(n, np.bool_)
    i = 0
    while i < n:
        op = int(code[i])
        if op == 0x5B:
            is_dest[i] = True
        if 0x60 <= op <= 0x7F:
            k = op - 0x5F
            v = 0
            for j in range(k):
                b = int(code[i + 1 + j]) if i + 1 + j < n else 0
                if v <= n:
                    v = v * 256 + b
            if v < n and i < meta_start:
                named[v] = True
            i += 1 + k
        else:
            i += 1
    # The metadata is not walked, unless code before it names a JUMPDEST inside it.
    end = meta_start
    for j in range(meta_start, n):
        if is_dest[j] and named[j]:
            end = n
            break
    feats[F_SCANNED] = end

    # Pass 2 (repeated until the entry stacks settle): the walk with the tag stack.
    slot = np.full(end, -1, np.int64)
    n_dests = 0
    for j in range(end):
        if is_dest[j]:
            slot[j] = n_dests
            n_dests += 1
    # Entry stacks of jump targets (valid up to snap_depth; -1: none): [0] from jumps forward in
    # this round; [back] from jumps back in the previous round; [nxt_back] from jumps back in this
    # round (the next round's [back]).
    snap = np.empty((3, n_dests, ENTRY_DEPTH), np.int64)
    snap_val = np.empty((3, n_dests, ENTRY_DEPTH), np.int64)
    snap_depth = np.full((3, n_dests), -1, np.int64)
    stack = np.zeros(STACK_CAP, np.int64)
    vals = np.zeros(STACK_CAP, np.int64)
    back = 1
    nxt_back = 2
    for _round in range(MAX_ROUNDS):
        for f in range(F_INSTRUCTIONS, N_FEATURES):
            if f != F_PROXY_PUSH and f != F_DESIGNATOR:
                feats[f] = 0
        back, nxt_back = nxt_back, back
        for d in range(n_dests):
            snap_depth[0, d] = -1
            snap_depth[nxt_back, d] = -1
        sp = 0
        live = True
        region_addr = False
        region_sweep = False
        region_counted = False
        i = 0
        while i < end:
            op = int(code[i])
            k = op - 0x5F if 0x60 <= op <= 0x7F else 0
            nxt = i + 1 + k
            if op == 0x5B:
                d = slot[i]
                if not live:
                    region_addr = False
                    region_sweep = False
                    region_counted = False
                    sp = 0
                for w in (0, back):
                    depth = snap_depth[w, d]
                    if depth < 0:
                        continue
                    if not live:
                        # The first known way in sets the stack; the others merge into it.
                        sp = depth
                        for j in range(depth):
                            stack[sp - 1 - j] = snap[w, d, j]
                            vals[sp - 1 - j] = snap_val[w, d, j]
                        live = True
                        continue
                    for j in range(min(sp, ENTRY_DEPTH)):
                        if j < depth:
                            stack[sp - 1 - j] |= snap[w, d, j]
                            if vals[sp - 1 - j] != snap_val[w, d, j]:
                                vals[sp - 1 - j] = -1
                        else:
                            stack[sp - 1 - j] |= T_UNKNOWN
                            vals[sp - 1 - j] = -1
                live = True
                feats[F_INSTRUCTIONS] += 1
                i = nxt
                continue
            if not live:
                i = nxt
                continue
            feats[F_INSTRUCTIONS] += 1
            if k > 0 or op == 0x5F:
                tag = T_CONST
                zero = True
                value = 0
                for j in range(k):
                    b = int(code[i + 1 + j]) if i + 1 + j < n else 0
                    if b != 0:
                        zero = False
                    if j >= k - 4:
                        value = value * 256 + b
                if zero:
                    tag |= T_ZERO
                if k == 20 and not zero:
                    ones = True
                    for j in range(20):
                        if i + 1 + j >= n or code[i + 1 + j] != 0xFF:
                            ones = False
                    if not ones:
                        tag |= T_ADDR
                elif k == 32 and i + 32 < n:
                    pad = True
                    for j in range(12):
                        if code[i + 1 + j] != 0:
                            pad = False
                    high = False
                    for j in range(12, 20):
                        if code[i + 1 + j] != 0:
                            high = True
                    ones = True
                    for j in range(12, 32):
                        if code[i + 1 + j] != 0xFF:
                            ones = False
                    if pad and high and not ones:
                        tag |= T_ADDR
                    head = False
                    for j in range(4):
                        if code[i + 1 + j] != 0:
                            head = True
                    tail = True
                    for j in range(4, 32):
                        if code[i + 1 + j] != 0:
                            tail = False
                    if head and tail:
                        # A selector left-aligned in a word: an outgoing call being built.
                        if feats[F_N_CALLED] < max_items:
                            called[feats[F_N_CALLED]] = i + 1
                        feats[F_N_CALLED] += 1
                        sel = 0
                        for j in range(4):
                            sel = sel * 256 + int(code[i + 1 + j])
                        for s in range(sweep_selectors.size):
                            if sweep_selectors[s] == sel:
                                tag |= T_SWEEP
                if tag & T_ADDR:
                    if feats[F_N_ADDRESSES] < max_items:
                        addrs[feats[F_N_ADDRESSES]] = i + 1 + (12 if k == 32 else 0)
                    feats[F_N_ADDRESSES] += 1
                if k == 3 or k == 4:
                    # A selector with a leading zero byte is pushed with PUSH3 (0x00fdd58e: balanceOf).
                    after = int(code[nxt]) if nxt < end else 0
                    if 0x80 <= after <= 0x8F and nxt + 1 < end:
                        after = int(code[nxt + 1])
                    if after == 0x14 or after == 0x18:  # EQ, XOR: the dispatcher comparing msg.sig
                        if feats[F_N_FUNCTIONS] < max_items:
                            funcs[feats[F_N_FUNCTIONS]] = i + 1
                        feats[F_N_FUNCTIONS] += 1
                    elif k == 4 and after != 0x10 and after != 0x11:  # LT, GT: a pivot of a binary dispatcher
                        if feats[F_N_CALLED] < max_items:
                            called[feats[F_N_CALLED]] = i + 1
                        feats[F_N_CALLED] += 1
                        for s in range(sweep_selectors.size):
                            if sweep_selectors[s] == value:
                                tag |= T_SWEEP
                if tag & T_SWEEP:
                    region_sweep = True
                    if region_addr and not region_counted:
                        feats[F_TOKEN_MOVES_TO_FIXED] += 1
                        region_counted = True
                if sp < STACK_CAP:
                    stack[sp] = tag
                    vals[sp] = value if k <= 4 else -1
                    sp += 1
                i = nxt
                continue
            if 0x80 <= op <= 0x8F:  # DUPn
                d = op - 0x7F
                if sp < STACK_CAP:
                    stack[sp] = stack[sp - d] if sp >= d else T_UNKNOWN
                    vals[sp] = vals[sp - d] if sp >= d else -1
                    sp += 1
                i = nxt
                continue
            if 0x90 <= op <= 0x9F:  # SWAPn
                d = op - 0x8F
                if sp > d:
                    tmp = stack[sp - 1]
                    stack[sp - 1] = stack[sp - 1 - d]
                    stack[sp - 1 - d] = tmp
                    tmp = vals[sp - 1]
                    vals[sp - 1] = vals[sp - 1 - d]
                    vals[sp - 1 - d] = tmp
                elif sp > 0:
                    stack[sp - 1] = T_UNKNOWN
                    vals[sp - 1] = -1
                i = nxt
                continue
            if not VALID[op]:
                live = False
                i = nxt
                continue
            if op == 0x56 or op == 0x57:
                # A jump whose destination is known (pushed, or carried on the stack as a return
                # address): the destination starts with the stack left after the jump's operands.
                dest = vals[sp - 1] if sp > 0 else -1
                rest = sp - (1 if op == 0x56 else 2)
                if 0 <= dest < end and is_dest[dest] and rest >= 0:
                    d = slot[dest]
                    w = 0 if dest > i else nxt_back
                    depth = min(rest, ENTRY_DEPTH)
                    if snap_depth[w, d] < 0:
                        snap_depth[w, d] = depth
                        for j in range(depth):
                            snap[w, d, j] = stack[rest - 1 - j]
                            snap_val[w, d, j] = vals[rest - 1 - j]
                    else:
                        snap_depth[w, d] = min(depth, snap_depth[w, d])
                        for j in range(snap_depth[w, d]):
                            snap[w, d, j] |= stack[rest - 1 - j]
                            if snap_val[w, d, j] != vals[rest - 1 - j]:
                                snap_val[w, d, j] = -1
            # Pop the operands, keeping the tags of the 2nd and 3rd (a call's target and value).
            t1 = T_UNKNOWN
            t2 = T_UNKNOWN
            merged = 0
            for j in range(POPS[op]):
                t = T_UNKNOWN
                if sp > 0:
                    sp -= 1
                    t = stack[sp]
                if j == 1:
                    t1 = t
                elif j == 2:
                    t2 = t
                merged |= t
            result = (merged & ~T_ZERO) if POPS[op] > 0 else T_OTHER
            if 0x10 <= op <= 0x15:
                result &= ~(T_ADDR | T_SWEEP)
            if op == 0xF1 or op == 0xF2:  # CALL, CALLCODE: gas, target, value, ...
                if op == 0xF1:
                    feats[F_CALL] += 1
                else:
                    feats[F_CALLCODE] += 1
                if not t2 & T_ZERO:
                    feats[F_VALUE_CALLS] += 1
                if t2 & (T_CALLVALUE | T_BALANCE) and t1 & T_ADDR and not t1 & _FIXED_MASK:
                    feats[F_FORWARDS_TO_FIXED] += 1
                result = T_OTHER
            elif op == 0xF4:  # DELEGATECALL: gas, target, ...
                feats[F_DELEGATECALL] += 1
                if t1 & T_CALLDATA:
                    feats[F_DELEGATECALL_CALLDATA] += 1
                elif t1 & T_ADDR and not t1 & _FIXED_MASK:
                    feats[F_DELEGATECALL_FIXED] += 1
                elif t1 & T_STORAGE:
                    feats[F_DELEGATECALL_STORAGE] += 1
                result = T_OTHER
            elif op == 0xFA:
                feats[F_STATICCALL] += 1
                result = T_OTHER
            elif op == 0xF0:
                feats[F_CREATE] += 1
                result = T_OTHER
            elif op == 0xF5:
                feats[F_CREATE2] += 1
                result = T_OTHER
            elif op == 0xFF:
                feats[F_SELFDESTRUCT] += 1
            elif op == 0x55:
                feats[F_SSTORE] += 1
            elif op == 0x52 and t1 & T_ADDR and not t1 & _FIXED_MASK:
                # A hard-coded address written to memory: an argument of a call being encoded.
                region_addr = True
                pending = region_sweep
                for j in range(min(sp, ENTRY_DEPTH)):
                    if stack[sp - 1 - j] & T_SWEEP:
                        pending = True
                if pending and not region_counted:
                    feats[F_TOKEN_MOVES_TO_FIXED] += 1
                    region_counted = True
            elif op == 0x35:
                result = T_CALLDATA
            elif op == 0x34:
                result = T_CALLVALUE
            elif op == 0x31 or op == 0x47:
                feats[F_BALANCE] += 1
                result = T_BALANCE
            elif op == 0x54 or op == 0x5C:
                result = T_STORAGE
            elif op == 0x51:
                result = T_MEM
            elif op == 0x20:
                result = T_HASH
            elif op == 0x33:
                result = T_CALLER
            elif op == 0x32:
                feats[F_ORIGIN] += 1
                result = T_CALLER
            elif op == 0x30:
                result = T_SELF
            elif op == 0x41:
                feats[F_COINBASE] += 1
                result = T_ENV
            elif op == 0x42:
                feats[F_TIMESTAMP] += 1
                result = T_ENV
            elif op == 0x43:
                feats[F_NUMBER] += 1
                result = T_ENV
            elif op == 0x44:
                feats[F_PREVRANDAO] += 1
                result = T_ENV
            elif op == 0x3A:
                feats[F_GASPRICE] += 1
                result = T_ENV
            if PUSHES[op] > 0 and sp < STACK_CAP:
                stack[sp] = result
                vals[sp] = -1
                sp += 1
            if op == 0x00 or op == 0x56 or op == 0xF3 or op == 0xFD or op == 0xFE or op == 0xFF:
                live = False
            i = nxt
        # Another round only if what jumps back carry changed.
        changed = False
        for d in range(n_dests):
            depth = snap_depth[nxt_back, d]
            if depth != snap_depth[back, d]:
                changed = True
                break
            for j in range(depth):
                if snap[nxt_back, d, j] != snap[back, d, j] or snap_val[nxt_back, d, j] != snap_val[back, d, j]:
                    changed = True
            if changed:
                break
        if not changed:
            break
    return feats, addrs, funcs, called
