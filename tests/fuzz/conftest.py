"""The fuzz tests import what the code under test imports lazily, before hypothesis runs, and
then put the interpreter's recursion limit back: eth-account's import (through py_ecc) raises it
to 100,000, hypothesis fails a test during which the limit changed, and the code under test must
hold at the default limit too (a process that never imported eth-account has 1,000)."""

from __future__ import annotations

import sys

_limit = sys.getrecursionlimit()
import eth_account  # noqa: E402
import eth_account.messages  # noqa: E402
import eth_account.typed_transactions.set_code_transaction  # noqa: E402

sys.setrecursionlimit(_limit)
del eth_account
