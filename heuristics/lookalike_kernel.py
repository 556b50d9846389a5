"""The Numba kernel behind the address-poisoning check: one pass over the user's real
counterparties (N x 20 bytes) against one destination, counting equal leading and trailing hex
digits. Imported only when a check runs (Numba costs a second to import and compile; the compiled
code is cached on disk).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit


@njit(cache=True)
def best_lookalike(
    matrix: npt.NDArray[np.uint8], target: npt.NDArray[np.uint8], min_prefix: int, min_suffix: int
) -> tuple[int, int, int]:
    """(index, prefix, suffix) of the counterparty sharing the most leading + trailing hex digits
    with ``target`` while not equal to it, among those with at least ``min_prefix`` leading and
    ``min_suffix`` trailing digits in common; (-1, 0, 0) when none."""
    best_i, best_p, best_s = -1, 0, 0
    for i in range(matrix.shape[0]):
        p = 0
        for b in range(20):
            x, y = matrix[i, b], target[b]
            if x == y:
                p += 2
                continue
            if (x >> 4) == (y >> 4):
                p += 1
            break
        if p < min_prefix or p == 40:
            continue
        s = 0
        for b in range(19, -1, -1):
            x, y = matrix[i, b], target[b]
            if x == y:
                s += 2
                continue
            if (x & 15) == (y & 15):
                s += 1
            break
        if s >= min_suffix and p + s > best_p + best_s:
            best_i, best_p, best_s = i, p, s
    return best_i, best_p, best_s


def find_lookalike(packed: bytes, target: bytes, min_prefix: int, min_suffix: int) -> tuple[int, int, int]:
    """``best_lookalike`` over the packed 20-byte addresses (zero-copy views)."""
    if not packed:
        return -1, 0, 0
    matrix = np.frombuffer(packed, dtype=np.uint8).reshape(-1, 20)
    found: tuple[int, int, int] = best_lookalike(matrix, np.frombuffer(target, dtype=np.uint8), min_prefix, min_suffix)
    return found
