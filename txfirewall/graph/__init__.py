"""The address graph: transfers as CSR arrays on disk, and proximity to illicit seeds.

Importing this package is cheap: Numba and NetworkX load only when a precompute or a path needs
them (``txfirewall.graph.kernels`` is the one module that imports Numba).
"""

from __future__ import annotations

from txfirewall.graph.csr import CsrGraph
from txfirewall.graph.index import ProximityIndex

__all__ = ["CsrGraph", "ProximityIndex"]
