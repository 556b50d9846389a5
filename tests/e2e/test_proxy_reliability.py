"""The index of the proxy's reliability suite: every case of RELIABILITY.md (../shared/design/)
that concerns the proxy has its test, named after the case.

The cases live in four files, run against a real ProxyServer in front of the fixture chain:

* ``test_proxy_transport.py``: A8 1-10 (Host, CORS, WebSocket Origin, content type, body limits,
  slowloris, a broken or missing upstream), A2 (405), A7.6 (subscriptions), A7.10 (gzip, HTTP errors);
* ``test_proxy_framing.py``: A8 11-20 (geth's rpc/testdata framing cases, ids, batches), A3
  (``params: null``), A7.1-A7.5 and A7.9 (re-assembly by id, upstream batch chunking);
* ``test_proxy_bypass.py``: A8 21-25 (parser differentials, hidden and unknown signing methods,
  data/input) and 52 (a burst of 100 signing requests);
* ``test_proxy_decoding.py``: A8 26-48 sent through the proxy (raw transactions, signatures,
  simulation evasion, a cold or failing fork).

Cases 49-51 (the terminal app's rendering of token names) belong to the TUI's issue.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
SUITE = ("test_proxy_transport.py", "test_proxy_framing.py", "test_proxy_bypass.py", "test_proxy_decoding.py")
PROXY_CASES = {*range(1, 49), 52}
"""A8's cases the proxy answers for (1-48 and 52); 49-51 are the terminal app's."""
TUI_CASES = {49, 50, 51}
A7_UNDER_A8 = {2: 19, 3: 14, 4: 11, 5: 12, 7: 9, 8: 21}
"""A7's pitfalls tested as the A8 case that makes them concrete (A7.2 ids are A8 19, ...)."""


def _names() -> str:
    return "\n".join((HERE / name).read_text(encoding="utf-8") for name in SUITE)


def test_every_proxy_case_of_a8_has_a_test_named_after_it() -> None:
    found = {int(n) for n in re.findall(r"def test_a8_(\d\d)_", _names())}
    assert PROXY_CASES - found == set(), "cases without a test"
    assert found - PROXY_CASES == set(), "a test names a case that is not the proxy's"
    assert not found & TUI_CASES


def test_every_a7_pitfall_has_a_test() -> None:
    names = _names()
    found = {int(n) for n in re.findall(r"def test_a7_(\d+)_", names)}
    assert set(range(1, 11)) - found - set(A7_UNDER_A8) == set()
    for pitfall, case in A7_UNDER_A8.items():
        assert f"A7.{pitfall}" in names, f"A7.{pitfall} is not named where A8 {case} tests it"
        assert f"def test_a8_{case:02d}_" in names
