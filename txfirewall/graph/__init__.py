"""The address graph: transfers as CSR arrays on disk, proximity to illicit seeds, and risk.

Importing this package is cheap: Numba and NetworkX load only when a precompute or a path needs
them (``txfirewall.graph.kernels`` and ``feature_kernels`` are the only modules that import Numba;
a lookup needs neither).
"""

from __future__ import annotations

from txfirewall.graph.csr import CsrGraph
from txfirewall.graph.index import ProximityIndex

__all__ = ["CsrGraph", "ProximityIndex"]
