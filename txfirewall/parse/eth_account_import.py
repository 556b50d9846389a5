"""Loading eth-account without its process-wide side effect.

eth-account imports py_ecc, whose ``__init__`` raises the interpreter's recursion limit to
100,000. That is global: afterwards a deep recursion anywhere in the process (a hostile, deeply
nested RLP or JSON value) can overflow the C stack and crash the interpreter instead of raising
``RecursionError``, and test tools that guard the limit (Hypothesis) fail the test that happened
to import it first. txfirewall loads eth-account lazily (it costs 0.4 s), so every such import
goes through ``load_eth_account`` first, which imports it once and puts the limit back.
"""

from __future__ import annotations

import sys
from functools import cache


@cache
def load_eth_account() -> None:
    """Import eth-account (and py_ecc) once, keeping the recursion limit as it was."""
    limit = sys.getrecursionlimit()
    try:
        import eth_account
        import eth_account.messages
        import eth_account.typed_transactions.set_code_transaction  # noqa: F401
    finally:
        sys.setrecursionlimit(limit)
