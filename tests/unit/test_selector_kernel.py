"""The batch Keccak kernel against eth_hash and against its own pure-Python ``py_func``; the fast
path of the signature grammar against eth-abi's parser."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from txfirewall.model.abi import parse_tuple_type
from txfirewall.model.hashing import selector_of
from txfirewall.signatures.abi_types import _fast_accepts, _split_top_level, argument_types, signature_types
from txfirewall.signatures.selector_db import functions
from txfirewall.signatures.selector_kernel import keccak_f1600, pack, selectors_kernel, selectors_of

ASCII = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=300)


def expected(texts: list[str]) -> list[int]:
    return [int.from_bytes(selector_of(t), "big") for t in texts]


def test_known_selectors_and_block_boundaries() -> None:
    assert selectors_of(["transfer(address,uint256)"]).tolist() == [0xA9059CBB]
    texts = ["", "a" * 135, "a" * 136, "a" * 137, "b" * 271, "b" * 272, "c" * 1000]
    assert selectors_of(texts).tolist() == expected(texts)
    assert selectors_of([]).tolist() == []


@settings(max_examples=200, deadline=None)
@given(st.lists(ASCII, max_size=12))
def test_kernel_matches_eth_hash(texts: list[str]) -> None:
    assert selectors_of(texts).tolist() == expected(texts)


def test_pure_python_kernel_agrees_with_the_compiled_one() -> None:
    texts = ["transfer(address,uint256)", "x" * 136, ""]
    blob, offsets = pack(texts)
    assert selectors_kernel.py_func(blob, offsets).tolist() == selectors_kernel(blob, offsets).tolist()  # type: ignore[attr-defined]
    state = np.arange(25, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    compiled, pure = state.copy(), state.copy()
    scratch = (np.empty(25, np.uint64), np.empty(5, np.uint64))
    keccak_f1600(compiled, *scratch)
    keccak_f1600.py_func(pure, *scratch)  # type: ignore[attr-defined]
    assert compiled.tolist() == pure.tolist()


TOKENS = [
    "uint256", "uint8", "int128", "uint", "int0", "uint7", "address", "bool", "string", "bytes", "bytes1",
    "bytes32", "bytes33", "bytes0", "function", "tuple", "T", "X", "(", ")", ",", "[]", "[2]", "[0]", "[01]",
    "[", "]", " ", "fixed128x18",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=10))
def test_the_fast_path_accepts_only_what_eth_abi_accepts(tokens: list[str]) -> None:
    inner = "(" + "".join(tokens) + ")"
    if _fast_accepts(inner):
        assert parse_tuple_type(inner) == _split_top_level(inner[1:-1])


def test_every_shipped_signature_is_canonical_and_parsed_as_eth_abi_does() -> None:
    table = functions()
    inners = sorted(
        {table.text[table.offsets[i] : table.offsets[i + 1]].decode().split("(", 1)[1] for i in range(0, len(table), 7)}
    )
    for rest in inners[::5]:
        inner = "(" + rest
        assert argument_types(inner) == (parse_tuple_type(inner) if inner != "()" else ())


def test_signature_types_refuses_non_canonical_text() -> None:
    assert signature_types("f((uint256,address)[],bytes32)") == ("(uint256,address)[]", "bytes32")
    for bad in ("f(uint)", "f(address, uint256)", " f()", "f()x", "f(uint256,)", "f(ünt256)", "1f()"):
        assert signature_types(bad) is None
