"""The address-poisoning kernel against a plain-Python reading of the same rule, and the planted /
real split of the history."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from txfirewall.enrich.history import HistoryIndex
from txfirewall.heuristics.lookalike_kernel import best_lookalike, find_lookalike
from txfirewall.model.facts import HistoryEntry
from txfirewall.model.primitives import address_from_bytes


def _reference(addresses: list[bytes], target: bytes, min_prefix: int, min_suffix: int) -> tuple[int, int, int]:
    best = (-1, 0, 0)
    t = target.hex()
    for i, raw in enumerate(addresses):
        a = raw.hex()
        if a == t:
            continue
        p = next((k for k in range(40) if a[k] != t[k]), 40)
        s = next((k for k in range(40) if a[39 - k] != t[39 - k]), 40)
        if p >= min_prefix and s >= min_suffix and p + s > best[1] + best[2]:
            best = (i, p, s)
    return best


def _near(base: bytes, data: st.DataObject) -> bytes:
    """An address sharing a random number of leading and trailing bytes with ``base``."""
    keep_front = data.draw(st.integers(0, 6))
    keep_back = data.draw(st.integers(0, 6))
    middle = data.draw(st.binary(min_size=20 - keep_front - keep_back, max_size=20 - keep_front - keep_back))
    return base[:keep_front] + middle + base[20 - keep_back :] if keep_back else base[:keep_front] + middle


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=20, max_size=20), st.data(), st.integers(0, 8), st.integers(0, 8))
def test_kernel_matches_the_reference(target: bytes, data: st.DataObject, min_prefix: int, min_suffix: int) -> None:
    addresses = [_near(target, data) for _ in range(data.draw(st.integers(0, 30)))]
    packed = b"".join(addresses)
    assert find_lookalike(packed, target, min_prefix, min_suffix) == _reference(
        addresses, target, min_prefix, min_suffix
    )


def test_kernel_py_func_is_the_same_code() -> None:
    import numpy as np

    a = bytes.fromhex("1234" + "00" * 16 + "5678")
    t = bytes.fromhex("1234" + "ff" * 16 + "5678")
    matrix = np.frombuffer(a, dtype=np.uint8).reshape(-1, 20)
    target = np.frombuffer(t, dtype=np.uint8)
    assert best_lookalike.py_func(matrix, target, 4, 4) == best_lookalike(matrix, target, 4, 4) == (0, 4, 4)


def test_only_real_payments_make_a_counterparty() -> None:
    me, friend, poison, dusty, token = (address_from_bytes(os.urandom(20)) for _ in range(5))
    entries = [
        HistoryEntry(sender=me, to=friend, value=10**18),  # a real payment
        HistoryEntry(sender=poison, to=me, value=0),  # zero-value transfer from the look-alike
        HistoryEntry(sender=me, to=poison, value=0),  # spoofed transferFrom of 0
        HistoryEntry(sender=dusty, to=me, value=10),  # dust
        HistoryEntry(sender=dusty, to=me, value=10**20, token=token),  # incoming (maybe fake) token
    ]
    mine = HistoryIndex(entries).counterparties(me)
    assert mine.real == (friend,)
    assert mine.planted == {poison: 2, dusty: 2}
    assert mine.packed == bytes.fromhex(friend[2:])
