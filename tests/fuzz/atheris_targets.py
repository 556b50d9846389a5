"""atheris (libFuzzer for Python) entries: coverage-guided runs over raw bytes, started from the
same seeds as the hypothesis tests. Run by ``tools/fuzz.py``; by hand:

    PYTHONPATH=. python tests/fuzz/atheris_targets.py rlp -runs=100000 CORPUS_DIR

An input passes when the target parses it or raises its documented typed error; anything else is
an uncaught exception, which atheris reports as a crash and saves.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable

SIGNER = "0x0000000000000000000000000000000000000001"


def seeds_for(name: str) -> list[bytes]:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.fuzz import seeds
    from tests.fuzz import strategies as s

    if name == "rlp":
        out = list(seeds.unsigned_raw_transactions())
        drawn: list[bytes] = []

        @settings(max_examples=60, database=None, deadline=None, suppress_health_check=list(HealthCheck))
        @given(s.signed_transactions())
        def collect(raw: bytes) -> None:
            drawn.append(raw)

        collect()
        return out + drawn
    if name == "typed_data":
        return [json.dumps(d).encode() for d in seeds.typed_data_documents()]
    if name == "request":
        return list(seeds.all_requests())
    if name == "payload":
        batch = json.dumps([{"jsonrpc": "2.0", "id": i, "method": "eth_blockNumber"} for i in range(3)]).encode()
        return [*seeds.fixture_requests(), batch]
    _ = st
    raise KeyError(name)


def target(name: str) -> Callable[[bytes], None]:
    from txfirewall.errors import InvalidRequestError, RawTransactionError, TypedDataError
    from txfirewall.model.primitives import Address
    from txfirewall.parse.raw_tx import decode_raw_transaction
    from txfirewall.parse.request import parse_request
    from txfirewall.parse.typed_data_request import parse_typed_data
    from txfirewall.parse.unsigned_tx import decode_unsigned_transaction
    from txfirewall.proxy.jsonrpc import RpcFailure, parse_payload
    from txfirewall.signatures import decode_request

    if name == "rlp":

        def rlp_target(data: bytes) -> None:
            with contextlib.suppress(RawTransactionError):
                decode_raw_transaction(data)
            with contextlib.suppress(RawTransactionError):
                decode_unsigned_transaction(data, Address(SIGNER))

        return rlp_target
    if name == "typed_data":

        def typed_target(data: bytes) -> None:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                return
            with contextlib.suppress(TypedDataError, InvalidRequestError):
                parse_typed_data(Address(SIGNER), text)

        return typed_target
    if name == "request":

        def request_target(data: bytes) -> None:
            try:
                request = parse_request(data, account=SIGNER)
            except InvalidRequestError:
                return
            json.dumps(decode_request(request).to_json())

        return request_target
    if name == "payload":

        def payload_target(data: bytes) -> None:
            with contextlib.suppress(RpcFailure):
                parse_payload(data, max_batch=100)

        return payload_target
    raise KeyError(name)


def main() -> None:
    import atheris

    name = sys.argv[1]
    limit = sys.getrecursionlimit()
    with atheris.instrument_imports(include=["txfirewall", "rlp"]):
        import eth_account
        import eth_account.messages  # noqa: F401
        import rlp  # noqa: F401

        import txfirewall.parse.request
        import txfirewall.proxy.jsonrpc
        import txfirewall.signatures  # noqa: F401
    sys.setrecursionlimit(limit)
    fn = target(name)
    atheris.Setup([sys.argv[0], *sys.argv[2:]], fn)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
