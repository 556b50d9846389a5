"""Safe DELEGATECALL rules (RELIABILITY A6.9, the Bybit class): where a Safe runs another
contract's code as itself, at any depth, in a transaction or a signed SafeTx; Safe's own
libraries (MultiSend and friends) never fire."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

from tests.support.safe_tx import multisend_entry
from txfirewall.heuristics.rule import Hit
from txfirewall.heuristics.safe import (
    SAFE_LIBRARIES,
    safe_delegatecall_unknown_target,
    safe_funds_leave_via_delegatecall,
)
from txfirewall.model.context import AnalysisContext
from txfirewall.model.primitives import to_address

from .rule_fixtures import (
    BOB,
    DRAINER,
    MULTICALL3,
    SAFE,
    SAFE_MULTISEND_CALL_ONLY,
    ctx_for,
    safe_drained,
    safe_exec,
    safe_tx_typed,
    tx,
)

MULTISEND_130 = "0xA238CBeb142c10Ef7Ad8442C6D1f9E89e07e7761"
SIGN_MESSAGE_LIB_141 = "0xd53cd0aB83D845Ac265BE939c57F53AD838012c9"
MULTISEND_100 = "0xD4B7B161E4779629C2717385114Bf78D612aEa72"


def _unknown(ctx: AnalysisContext) -> Hit | None:
    hit = safe_delegatecall_unknown_target.check(ctx, safe_delegatecall_unknown_target.default_params())
    assert hit is None or isinstance(hit, Hit)
    return hit


def _packed(*entries: tuple[int, str, bytes]) -> bytes:
    return b"".join(multisend_entry(op, to, data) for op, to, data in entries)


def _multisend(*entries: tuple[int, str, bytes]) -> bytes:
    return keccak(text="multiSend(bytes)")[:4] + encode(["bytes"], [_packed(*entries)])


def test_top_level_delegatecall_to_an_unknown_contract_blocks_and_says_why() -> None:
    hit = _unknown(ctx_for(tx(SAFE, safe_exec(DRAINER, 1))))
    assert hit is not None and hit.subject == DRAINER
    assert hit.evidence["safe"] == SAFE and hit.evidence["target"] == DRAINER
    assert "as itself" in hit.message and "everything the Safe holds" in hit.message and "owners" in hit.message


def test_a_plain_call_does_not_fire() -> None:
    assert _unknown(ctx_for(tx(SAFE, safe_exec(DRAINER, 0)))) is None


def test_safe_libraries_do_not_fire() -> None:
    for library in (SAFE_MULTISEND_CALL_ONLY, MULTISEND_130, SIGN_MESSAGE_LIB_141):
        assert _unknown(ctx_for(tx(SAFE, safe_exec(library, 1)))) is None, library


def test_a_safe_wallet_batch_through_multisend_does_not_fire() -> None:
    batch = _multisend((0, BOB, b""), (0, DRAINER, b"\x12\x34\x56\x78"))
    assert _unknown(ctx_for(tx(SAFE, safe_exec(MULTISEND_130, 1, batch)))) is None


def test_a_delegatecall_entry_inside_multisend_runs_as_the_safe_and_fires() -> None:
    batch = _multisend((0, BOB, b""), (1, DRAINER, b""))
    hit = _unknown(ctx_for(tx(SAFE, safe_exec(MULTISEND_130, 1, batch))))
    assert hit is not None and hit.evidence["safe"] == SAFE and hit.evidence["target"] == DRAINER
    assert hit.evidence["path"] == "execTransaction > multiSend[1]"


def test_exec_transaction_nested_in_multicall3_fires_for_the_right_safe() -> None:
    inner = bytes.fromhex(safe_exec(DRAINER, 1)[2:])
    data = keccak(text="aggregate3((address,bool,bytes)[])")[:4] + encode(
        ["(address,bool,bytes)[]"], [[(SAFE, False, inner)]]
    )
    hit = _unknown(ctx_for(tx(MULTICALL3, "0x" + data.hex())))
    assert hit is not None and hit.evidence["safe"] == SAFE and hit.evidence["target"] == DRAINER


def test_signed_safe_tx_with_operation_1_fires_and_libraries_do_not() -> None:
    hit = _unknown(safe_tx_typed(DRAINER, 1))
    assert hit is not None and hit.evidence["via"] == "typed-data" and hit.evidence["safe"] == SAFE
    assert _unknown(safe_tx_typed(DRAINER, 0)) is None
    assert _unknown(safe_tx_typed(SAFE_MULTISEND_CALL_ONLY, 1)) is None


def test_a_signed_safe_tx_batch_with_a_delegatecall_entry_fires() -> None:
    """The owner signs a MultiSend batch (itself a library DELEGATECALL) whose second entry
    DELEGATECALLs a contract: that entry runs as the Safe."""
    hit = _unknown(safe_tx_typed(MULTISEND_130, 1, _multisend((0, BOB, b""), (1, DRAINER, b""))))
    assert hit is not None and hit.evidence["via"] == "typed-data" and hit.evidence["safe"] == SAFE
    assert hit.evidence["target"] == DRAINER and hit.evidence["path"] == "SafeTx > multiSend[1]"
    assert "sign for" in hit.message
    assert _unknown(safe_tx_typed(MULTISEND_130, 1, _multisend((0, BOB, b""), (0, DRAINER, b"\x12")))) is None
    # A batch entry DELEGATECALLing a Safe library (SignMessageLib in a batch) is not reported.
    assert _unknown(safe_tx_typed(MULTISEND_130, 1, _multisend((1, SIGN_MESSAGE_LIB_141, b"")))) is None


def test_a_signed_safe_tx_whose_data_is_not_calldata_does_not_fire() -> None:
    for data in (b"\x01", b"\xde\xad\xbe\xef" + b"\x00" * 40, keccak(text="multiSend(bytes)")[:4] + b"\xff" * 7):
        assert _unknown(safe_tx_typed(MULTISEND_130, 1, data)) is None, data.hex()


def test_a_module_transaction_with_delegatecall_fires() -> None:
    """A Safe module (recovery, allowance, a Zodiac role) calls ``execTransactionFromModule``:
    operation 1 runs the target's code as the Safe, like ``execTransaction``."""
    for name in ("execTransactionFromModule", "execTransactionFromModuleReturnData"):
        signature = f"{name}(address,uint256,bytes,uint8)"
        for op, fires in ((1, True), (0, False)):
            data = keccak(text=signature)[:4] + encode(["address", "uint256", "bytes", "uint8"], [DRAINER, 0, b"", op])
            hit = _unknown(ctx_for(tx(SAFE, "0x" + data.hex())))
            assert (hit is not None) is fires, (name, op)
            if hit is not None:
                assert hit.evidence["safe"] == SAFE and hit.evidence["path"] == name
        library = keccak(text=signature)[:4] + encode(
            ["address", "uint256", "bytes", "uint8"], [MULTISEND_100, 0, b"", 1]
        )
        assert _unknown(ctx_for(tx(SAFE, "0x" + library.hex()))) is None


def test_older_safe_libraries_do_not_fire() -> None:
    for library in (MULTISEND_100, "0x8538FcBccba7f5303d2C679Fa5d7A629A8c9bf4A"):
        assert _unknown(ctx_for(tx(SAFE, safe_exec(library, 1)))) is None, library


def test_the_safe_losses_rule_needs_the_frame_and_an_unknown_target() -> None:
    check = safe_funds_leave_via_delegatecall.check
    params = safe_funds_leave_via_delegatecall.default_params()
    hit = check(safe_drained(DRAINER), params)
    assert isinstance(hit, Hit) and hit.evidence["losses"] and hit.subject == DRAINER
    assert check(safe_drained(DRAINER, frame=False), params) is None
    assert check(safe_drained(SAFE_MULTISEND_CALL_ONLY), params) is None


def test_the_library_list_is_checksummed_canonical_addresses() -> None:
    assert len(SAFE_LIBRARIES) >= 15
    for address in SAFE_LIBRARIES:
        assert to_address(address).lower() == address
    assert SAFE_MULTISEND_CALL_ONLY.lower() in SAFE_LIBRARIES
