"""Fuzz tests: every parser, on structured and mutated inputs, parses or raises its documented
typed error; encoders round-trip. The suite runs each with a few examples (``FUZZ_MAX_EXAMPLES``,
default 15); ``make fuzz BUDGET=N`` (``tools/fuzz.py``) runs them with a share of N each and
writes ``docs/fuzz_report.md``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import seeds
from tests.fuzz import strategies as s
from tests.fuzz import targets as t

pytestmark = pytest.mark.fuzz
FUZZ = s.fuzz_settings()
COUNTS: Counter[str] = Counter()
"""Inputs each test ran (``tools/fuzz.py`` reports them)."""

F = TypeVar("F", bound=Callable[..., Any])


def counted(fn: F) -> F:
    @wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        COUNTS[fn.__name__] += 1
        return fn(*args, **kwargs)

    return run  # type: ignore[return-value]


ACCOUNT = "0x0000000000000000000000000000000000000001"


@FUZZ
@given(s.envelopes())
@counted
def test_envelope(text: str) -> None:
    """JSON-RPC envelopes for every signing method, params shaped for it or not."""
    t.check_request(text)


@FUZZ
@given(s.mutated(seeds.all_requests()))
@counted
def test_request_mutations(data: bytes) -> None:
    """Byte-level mutations of real requests (fixtures, mainnet, ERC-7730 typed data)."""
    t.check_request(data, account=ACCOUNT)


@FUZZ
@given(st.binary(max_size=300) | st.text(max_size=300))
@counted
def test_request_random(data: bytes | str) -> None:
    t.check_request(data)


@FUZZ
@given(s.signed_transactions())
@counted
def test_raw_transaction_roundtrip(raw: bytes) -> None:
    """Canonical signed transactions of types 0-4 decode, and re-encode to the same bytes."""
    t.check_raw_transaction(raw, valid=True)


@FUZZ
@given(s.rlp_payloads() | s.mutated(seeds.unsigned_raw_transactions()))
@counted
def test_raw_transaction_rlp(raw: bytes) -> None:
    """Well-formed RLP with the wrong fields, and mutated real transactions."""
    t.check_raw_transaction(raw)
    t.check_unsigned_transaction(raw)


@FUZZ
@given(s.unsigned_transactions())
@counted
def test_unsigned_transaction_roundtrip(raw: bytes) -> None:
    t.check_unsigned_transaction(raw, valid=True)


@FUZZ
@given(s.typed_data_documents(), st.sampled_from(["eth_signTypedData_v4", "eth_signTypedData_v3", "eth_signTypedData"]))
@counted
def test_typed_data_graphs(doc: dict[str, Any], method: str) -> None:
    """Random type graphs with messages generated from them."""
    t.check_request(s.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": [s.ALICE, s.dumps(doc)]}))


@FUZZ
@given(s.typed_data_mutations())
@counted
def test_typed_data_mutations(doc: dict[str, Any]) -> None:
    """Real documents (ERC-7730 vectors, fixtures) with one field changed."""
    t.check_request(s.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [s.ALICE, doc]}))


@FUZZ
@given(s.legacy_typed_data)
@counted
def test_legacy_typed_data(doc: list[Any]) -> None:
    t.check_request(s.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v1", "params": [doc, s.ALICE]}))


@FUZZ
@given(s.registry_calldata())
@counted
def test_registry_calldata_roundtrip(case: tuple[str, tuple[str, ...], tuple[Any, ...], bytes]) -> None:
    """Every function the decoder knows by name, called with random arguments: it decodes as
    that function and re-encodes to the same bytes."""
    signature, types, values, data = case
    t.check_calldata(data, signature=signature, types=types, values=values)


@FUZZ
@given(s.mutated(seeds.calldata()) | s.registry_calldata().flatmap(lambda c: s.mutated((c[3],))))
@counted
def test_calldata_mutations(data: bytes) -> None:
    """Mutated real and registry calldata: decoded strictly or not at all, never an exception."""
    t.check_calldata(data)


@FUZZ
@given(s.siwe_messages())
@counted
def test_siwe(case: tuple[str, dict[str, Any] | None]) -> None:
    text, expect = case
    t.check_siwe(text, expect=expect)


@FUZZ
@given(s.policy_texts())
@counted
def test_policy_file(text: str) -> None:
    t.check_policy(text)


@FUZZ
@given(s.history_files())
@counted
def test_history_file(lines: list[str]) -> None:
    t.check_history(lines)


@FUZZ
@given(s.edge_files())
@counted
def test_edge_file(case: tuple[bytes, str]) -> None:
    t.check_edges(*case)


@FUZZ
@given(s.proxy_bodies())
@counted
def test_proxy_payload(body: bytes) -> None:
    t.check_payload(body)


@FUZZ
@given(
    s.envelopes()
    | s.mutated(seeds.fixture_requests())
    | s.typed_data_documents().map(
        lambda d: s.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_signTypedData_v4", "params": [s.ALICE, d]})
    )
)
@counted
def test_offline_pipeline(source: str | bytes) -> None:
    """The whole offline analysis: a verdict for every input."""
    t.check_pipeline(source)


TESTS: dict[str, Callable[[], None]] = {
    name.removeprefix("test_"): fn
    for name, fn in sorted(globals().items())
    if name.startswith("test_") and callable(fn)
}
