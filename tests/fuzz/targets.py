"""The fuzz targets: one function per parser, each asserting the contract for any input.

Contract: an input either parses or raises the documented typed error (``InvalidRequestError``
and its family for requests, ``InputFileError`` for user files, the proxy's ``RpcFailure`` for a
body answered with one error); never another exception. Where there is an encoder, valid
encodings round-trip exactly. The hypothesis tests (``test_*.py`` here) and the atheris entries of
the runner (``tools/fuzz.py``) call these functions.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import rlp

from txfirewall.decide.evaluate import validate_policy
from txfirewall.decide.policy import load_policy
from txfirewall.enrich.history_file import parse_history_lines
from txfirewall.errors import InputFileError, InvalidRequestError, RawTransactionError
from txfirewall.graph.ingest import read_edges
from txfirewall.model.abi import abi_encode
from txfirewall.model.request import Request
from txfirewall.model.verdict import Verdict
from txfirewall.parse.raw_tx import decode_raw_transaction
from txfirewall.parse.request import parse_request
from txfirewall.parse.unsigned_tx import decode_unsigned_transaction, looks_unsigned
from txfirewall.proxy.jsonrpc import ExactNumber, RpcFailure, encode, id_key, loads_exact, parse_payload
from txfirewall.signatures import decode_request
from txfirewall.signatures.calldata import decode_calldata
from txfirewall.signatures.siwe import parse_siwe

SIGNER = "0x0000000000000000000000000000000000000001"


def _decoded(request: Request) -> None:
    """The decode stage on a parsed request: never raises, and its JSON form serialises."""
    intent = decode_request(request)
    json.dumps(intent.to_json())


# --- requests: the JSON-RPC envelope and everything under it -----------------------------------


def check_request(source: str | bytes | Mapping[str, Any], *, account: str | None = None) -> Request | None:
    """``parse_request`` then ``decode_request``: a request or an ``InvalidRequestError``."""
    try:
        request = parse_request(source, account=account)
    except InvalidRequestError:
        return None
    _decoded(request)
    return request


# --- raw and unsigned transactions -------------------------------------------------------------


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""


def _addr(address: str | None) -> bytes:
    return b"" if address is None else bytes.fromhex(address[2:])


def _access(items: Any) -> list[Any]:
    return [[_addr(a), list(keys)] for a, keys in items]


def reencode_raw(raw: bytes) -> bytes | None:
    """Decode a signed transaction and write it back from the decoded fields (None: rejected)."""
    try:
        tx, dec = decode_raw_transaction(raw)
    except RawTransactionError:
        return None
    sig = dec.signature
    base = [tx.nonce, tx.gas_price, tx.gas] if dec.tx_type in (0, 1) else []
    if dec.tx_type == 0:
        fields: list[Any] = [*base, _addr(tx.to), tx.value, tx.data, *sig]
        return rlp.encode([_int_bytes(f) if isinstance(f, int) else f for f in fields])
    assert tx.chain_id is not None and tx.nonce is not None and tx.gas is not None
    head: list[Any] = [tx.chain_id, tx.nonce]
    if dec.tx_type == 1:
        head += [tx.gas_price, tx.gas]
    else:
        head += [tx.max_priority_fee_per_gas, tx.max_fee_per_gas, tx.gas]
    body: list[Any] = [*head, _addr(tx.to), tx.value, tx.data, _access(tx.access_list)]
    if dec.tx_type == 3:
        body += [dec.max_fee_per_blob_gas, list(dec.blob_hashes)]
    if dec.tx_type == 4:
        body.append(
            [
                [
                    _int_bytes(a.chain_id),
                    _addr(a.address),
                    _int_bytes(a.nonce),
                    _int_bytes(a.y_parity),
                    _int_bytes(a.r),
                    _int_bytes(a.s),
                ]
                for a in dec.authorizations
            ]
        )
    body += list(sig)
    encoded = [_int_bytes(f) if isinstance(f, int) else f for f in body]
    if dec.blob_sidecar:
        outer = rlp.decode(raw[1:])
        return bytes([3]) + rlp.encode([encoded, *outer[1:]])
    return bytes([dec.tx_type]) + rlp.encode(encoded)


def check_raw_transaction(raw: bytes, *, valid: bool = False) -> None:
    """A signed transaction decodes strictly or raises ``RawTransactionError``; what decodes
    re-encodes to the same bytes. ``valid``: the input was built canonical, so it must decode
    unless its signature recovers no key."""
    again = reencode_raw(raw)
    if again is not None:
        assert again == raw, f"re-encoded {again.hex()} != {raw.hex()}"
    elif valid:
        try:
            decode_raw_transaction(raw)
        except RawTransactionError as exc:
            assert "recover" in str(exc), f"a canonical transaction was refused: {exc}"
    # the same bytes as an eth_sendRawTransaction request and as a bare hex request
    check_request(
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction", "params": ["0x" + raw.hex()]})
    )


def check_unsigned_transaction(raw: bytes, *, valid: bool = False) -> None:
    """An unsigned transaction (types 0-2) decodes or raises ``RawTransactionError``; what decodes
    re-encodes to the same bytes."""
    looks_unsigned(raw)
    try:
        tx = decode_unsigned_transaction(raw, SIGNER)  # type: ignore[arg-type]
    except RawTransactionError as exc:
        assert not valid, f"a canonical unsigned transaction was refused: {exc}"
        return
    items = rlp.decode(raw if tx.tx_type == 0 else raw[1:])
    ints = lambda *vs: [_int_bytes(v) for v in vs]  # noqa: E731
    if tx.tx_type == 0:
        fields = [*ints(tx.nonce, tx.gas_price, tx.gas), _addr(tx.to), *ints(tx.value), tx.data]
        if len(items) == 9:
            fields += [*ints(tx.chain_id or 0), b"", b""]
        assert rlp.encode(fields) == raw
    else:
        fees = ints(tx.gas_price) if tx.tx_type == 1 else ints(tx.max_priority_fee_per_gas, tx.max_fee_per_gas)
        fields = [*ints(tx.chain_id, tx.nonce), *fees, *ints(tx.gas), _addr(tx.to), *ints(tx.value), tx.data]
        fields.append(_access(tx.access_list))
        assert bytes([tx.tx_type]) + rlp.encode(fields) == raw
    check_request(
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_signTransaction", "params": ["0x" + raw.hex(), SIGNER]})
    )


# --- calldata against the ABI registry -----------------------------------------------------------


def check_calldata(
    data: bytes, *, signature: str | None = None, types: tuple[str, ...] = (), values: Any = None
) -> None:
    """``decode_calldata`` never raises; a decoded call re-encodes to the same bytes. With
    ``signature`` (calldata built from registry ABI and random arguments), it must decode as that
    function, with the same values."""
    decoding = decode_calldata(data)
    call = decoding.call
    if call is not None:
        arg_types = [a.type for a in call.arguments]
        again = abi_encode(arg_types, [a.value for a in call.arguments])
        assert again == data[4:], f"{call.signature}: re-encoded calldata differs"
    if signature is not None:
        assert call is not None, f"{signature}: calldata built from its ABI did not decode ({decoding.notes})"
        assert signature == call.signature or signature in decoding.ambiguous or signature in (call.candidates or ()), (
            f"{signature} decoded as {call.signature}"
        )
        if call.signature == signature:
            assert abi_encode(list(types), list(values)) == data[4:]
    check_request({"from": SIGNER, "to": "0x" + "22" * 20, "data": "0x" + data.hex()})


# --- SIWE -----------------------------------------------------------------------------------------


def check_siwe(text: str, *, expect: Mapping[str, Any] | None = None) -> None:
    """``parse_siwe`` returns a Login or None, never raises; a message built from fields gives those
    fields back. Then the text goes through personal_sign."""
    login = parse_siwe(text)
    if expect is not None:
        assert login is not None, "a well-formed SIWE message was not recognised"
        for key, value in expect.items():
            assert getattr(login, key) == value, f"{key}: {getattr(login, key)!r} != {value!r}"
    payload = "0x" + text.encode("utf-8", "surrogatepass").hex()
    check_request(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "personal_sign", "params": [payload, SIGNER]}))


# --- user files: policy, history, edges -------------------------------------------------------------


_TMP = threading.local()


def _scratch() -> Path:
    if not hasattr(_TMP, "dir"):
        _TMP.dir = Path(tempfile.mkdtemp(prefix="txfirewall-fuzz-"))
    path: Path = _TMP.dir
    return path


def check_policy(text: str | bytes) -> None:
    """``load_policy`` on a file with this content, then ``validate_policy`` against the built-in
    rules (as the CLI does): a Policy or ``InputFileError``."""
    path = _scratch() / "policy.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    try:
        policy = load_policy(path)
        validate_policy(policy, _rules())
    except InputFileError:
        pass


@cache
def _rules() -> tuple[Any, ...]:
    from txfirewall.heuristics.registry import load_rules

    return load_rules(plugins=False)


def check_history(lines: list[str]) -> None:
    """``parse_history_lines``: entries or ``InputFileError``."""
    try:
        entries = parse_history_lines(lines)
    except InputFileError:
        return
    assert len(entries) <= len(lines)


def check_edges(content: bytes, suffix: str) -> None:
    """``read_edges`` on a file of this suffix (.csv, .jsonl, .gz, .parquet): edges or ``InputFileError``."""
    path = _scratch() / f"edges{suffix}"
    path.write_bytes(content)
    try:
        batch = read_edges(path)
    except InputFileError:
        return
    assert len(batch.src) == len(batch.dst) == len(batch.weight) == len(batch.timestamp)


# --- the proxy's framing ----------------------------------------------------------------------------


def check_payload(body: bytes, *, max_batch: int = 100) -> None:
    """``parse_payload``: calls or one ``RpcFailure``; every call's id survives ``encode`` (the id
    the proxy answers with re-reads as the same id)."""
    try:
        payload = parse_payload(body, max_batch=max_batch)
    except RpcFailure:
        return
    assert payload.calls
    assert payload.batch or len(payload.calls) == 1
    for call in payload.calls:
        assert (call.error is None) == bool(call.method), call
        if call.error is None or call.id is not None:
            again = loads_exact(encode({"id": call.id}))["id"]
            assert id_key(again) == id_key(call.id), f"id {call.id!r} came back as {again!r}"
            if isinstance(call.id, ExactNumber):
                # a fraction or exponent (1.0, 1e2, -0) is written back as the token it was sent as
                assert encode(call.id) == call.id.token, call.id.token


# --- the whole offline pipeline -------------------------------------------------------------------


class _Pipeline:
    """One offline Firewall on a private loop thread (SyncFirewall), for the whole run."""

    def __init__(self) -> None:
        from txfirewall.firewall import FirewallConfig, SyncFirewall

        self.fw = SyncFirewall(FirewallConfig(simulate=False))

    def analyze(self, source: Any) -> Verdict:
        return self.fw.analyze(source)


@cache
def _pipeline() -> _Pipeline:
    return _Pipeline()


def check_pipeline(source: str | bytes | Mapping[str, Any]) -> None:
    """Every input gives a verdict (offline: decode, lists, rules), never an exception."""
    verdict = _pipeline().analyze(source)
    assert isinstance(verdict, Verdict)
    json.dumps(verdict.to_json())
