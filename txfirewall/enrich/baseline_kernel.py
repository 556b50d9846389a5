"""Numba kernel for the user's baseline: median and median absolute deviation of a feature, in
one compiled pass (sorting included). Imported only when a history is indexed."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit


@njit(cache=True)
def median_and_mad(values: npt.NDArray[np.float64]) -> tuple[float, float]:
    """(median, MAD) of ``values``; (nan, nan) for an empty array."""
    n = values.size
    if n == 0:
        return np.nan, np.nan
    ordered = np.sort(values)
    mid = n // 2
    median = ordered[mid] if n % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])
    deviations = np.sort(np.abs(values - median))
    mad = deviations[mid] if n % 2 else 0.5 * (deviations[mid - 1] + deviations[mid])
    return median, mad
