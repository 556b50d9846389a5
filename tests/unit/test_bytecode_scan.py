"""The bytecode scan: the Numba kernel against its pure-Python original, on hand-made bytecode
(every feature, PUSH data, dead code, metadata and a fake-metadata evasion), on compiled samples
(tests/data/bytecode) and on the fixture chain's contracts (artifacts and deployed code)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from txfirewall.enrich import bytecode_kernel as kernel
from txfirewall.enrich.bytecode import MAX_ITEMS, SWEEP_SELECTORS, BytecodeScanner, scan_code
from txfirewall.model.code import CodeFeatures

REPO = Path(__file__).resolve().parents[2]
SAMPLES = json.loads((REPO / "tests" / "data" / "bytecode" / "samples.json").read_text())
COLLECTOR = "36063540f3c333a0db2be22089eb9128c688a35c"
SELECTORS = np.array(sorted(SWEEP_SELECTORS), dtype=np.int64)


def scan(hex_code: str) -> CodeFeatures:
    """Scan with the compiled kernel and check the Python original agrees exactly."""
    code = bytes.fromhex(hex_code)
    fast = scan_code(code)
    assert fast == scan_code(code, pure_python=True)
    return fast


FOUR_ZEROS = "5f5f5f5f"  # out_len, out_off, in_len, in_off
PUSH20 = "73" + COLLECTOR


def test_sweep_selectors_are_what_they_say() -> None:
    for selector, signature in SWEEP_SELECTORS.items():
        assert keccak(text=signature)[:4] == selector.to_bytes(4, "big"), signature


def test_push_data_is_skipped_and_dead_code_does_not_count() -> None:
    assert scan("61fff400").delegatecall == 0  # PUSH2 0xfff4: data, not DELEGATECALL
    assert scan("00ff").selfdestruct == 0  # after STOP, before any JUMPDEST: unreachable
    assert scan("005bff").selfdestruct == 1  # a JUMPDEST makes it reachable again
    assert scan("6001565bff").selfdestruct == 1
    assert scan("7f01").instructions == 1  # a PUSH32 cut short by the end of the code


def test_delegatecall_targets_are_told_apart() -> None:
    calldata = scan(FOUR_ZEROS + "5f35" + "5af400")  # delegatecall(gas, calldataload(0), ...)
    storage = scan(FOUR_ZEROS + "5f54" + "5af400")  # delegatecall(gas, sload(0), ...)
    fixed = scan(FOUR_ZEROS + PUSH20 + "5af400")
    this = scan(FOUR_ZEROS + "30" + "5af400")  # address(this): a self-multicall
    assert (calldata.delegatecall_calldata_target, storage.delegatecall_storage_target) == (1, 1)
    assert fixed.delegatecall_fixed_target == 1 and fixed.addresses == ("0x36063540F3C333a0Db2be22089eb9128C688A35C",)
    assert this.delegatecall == 1
    assert (this.delegatecall_calldata_target, this.delegatecall_fixed_target, this.delegatecall_storage_target) == (
        0,
        0,
        0,
    )


def test_calls_with_value_and_forwards_to_a_fixed_address() -> None:
    forward = scan(FOUR_ZEROS + "47" + PUSH20 + "5af100")  # call(gas, COLLECTOR, selfbalance(), ...)
    assert (forward.calls, forward.value_calls, forward.value_forwards_to_fixed, forward.balance_reads) == (1, 1, 1, 1)
    no_value = scan(FOUR_ZEROS + "5f" + PUSH20 + "5af100")
    assert (no_value.value_calls, no_value.value_forwards_to_fixed) == (0, 0)
    to_caller = scan(FOUR_ZEROS + "34" + "33" + "5af100")  # call(gas, caller(), callvalue(), ...)
    assert (to_caller.value_calls, to_caller.value_forwards_to_fixed) == (1, 0)


def test_the_value_follows_a_jump_forward() -> None:
    # [4] SELFBALANCE [5] PUSH1 9 [7] JUMP [8] INVALID [9] JUMPDEST: the call sends the balance
    code = FOUR_ZEROS + "47" + "6009" + "56" + "fe" + "5b" + PUSH20 + "5af100"
    assert bytes.fromhex(code)[9] == 0x5B
    assert scan(code).value_forwards_to_fixed == 1


def test_a_return_address_is_followed_back() -> None:
    """``PUSH ret; PUSH helper; JUMP`` and a helper ``JUMPDEST calldataload(0) SWAP1 JUMP``: the
    value the helper returns reaches the code at ``ret``, which the walk passed before the helper."""
    # [4] PUSH1 ret=10 [6] PUSH1 helper=16 [8] JUMP [9] INVALID [10] JUMPDEST GAS DELEGATECALL STOP
    # [14] INVALID INVALID [16] JUMPDEST PUSH0 CALLDATALOAD SWAP1 JUMP
    code = FOUR_ZEROS + "600a" + "6010" + "56" + "fe" + "5b" + "5af400" + "fefe" + "5b" + "5f35" + "90" + "56"
    assert bytes.fromhex(code)[10] == 0x5B and bytes.fromhex(code)[16] == 0x5B
    assert scan(code).delegatecall_calldata_target == 1


def test_dispatcher_selectors_and_called_selectors() -> None:
    code = "5f35" + "60e01c" + "80" + "63aabbccdd" + "14" + "6100ff" + "57" + "80" + "63a9059cbb" + "11" + "00"
    found = scan(code)
    assert found.functions == ("0xaabbccdd",)  # PUSH4 x EQ; the GT pivot is neither kind
    assert found.called_selectors == ()
    outgoing = scan("63a9059cbb60e01b5f5200")
    assert outgoing.called_selectors == ("0xa9059cbb",) and outgoing.functions == ()


def test_token_moves_to_a_fixed_address_need_the_address_as_an_argument() -> None:
    selector_then_address = "63a9059cbb60e01b5f52" + PUSH20 + "600452" + "00"
    assert scan(selector_then_address).token_moves_to_fixed == 1
    address_then_selector = PUSH20 + "600452" + "63a9059cbb60e01b5f52" + "00"
    assert scan(address_then_selector).token_moves_to_fixed == 1
    # The token itself hard-coded as the call *target* (WETH in a router) is not a sweep.
    target_only = "63a9059cbb60e01b5f52" + "5f5f60445f5f" + PUSH20 + "5af100"
    assert scan(target_only).token_moves_to_fixed == 0


def test_environment_reads_and_origin() -> None:
    found = scan("41" + "42" + "43" + "44" + "3a" + "32" + "00")
    assert found.env_reads == ("COINBASE", "TIMESTAMP", "NUMBER", "PREVRANDAO", "GASPRICE")
    assert found.origin_reads == 1


def test_push32_immutables_are_addresses_and_small_words_are_not() -> None:
    immutable = "7f" + "00" * 12 + COLLECTOR + "00"
    assert scan(immutable).addresses == ("0x36063540F3C333a0Db2be22089eb9128C688A35C",)
    assert scan("7f" + "00" * 31 + "12" + "00").addresses == ()
    assert scan("73" + "ff" * 20 + "00").addresses == ()  # type(uint160).max is a mask
    selector_word = scan("7f" + "23b872dd" + "00" * 28 + "00")
    assert selector_word.called_selectors == ("0x23b872dd",)


def test_minimal_proxies_standard_and_vanity() -> None:
    standard = scan("363d3d373d3d3d363d73" + COLLECTOR + "5af43d82803e903d91602b57fd5bf3")
    assert standard.minimal_proxy_to == "0x36063540F3C333a0Db2be22089eb9128C688A35C"
    assert standard.delegatecall_fixed_target == 1
    vanity = scan("363d3d373d3d3d363d6f" + "11" * 16 + "5af43d82803e903d91602757fd5bf3")
    assert vanity.minimal_proxy_to == "0x00000000" + "11" * 16
    assert scan("363d3d373d3d3d363d73" + COLLECTOR + "5af43d82803e903d91602b57fd5bf300").minimal_proxy_to is None


def test_eip7702_designator() -> None:
    found = scan("ef0100" + COLLECTOR)
    assert found.delegation_to == "0x36063540F3C333a0Db2be22089eb9128C688A35C" and found.instructions == 0


def _with_metadata(code: str, blob: bytes) -> str:
    return code + blob.hex() + len(blob).to_bytes(2, "big").hex()


CBOR = bytes.fromhex("a264697066735822") + bytes.fromhex("5bff" + "00" * 32) + b"\x64solcC\x00\x08\x18"


def test_trailing_metadata_is_not_walked() -> None:
    found = scan(_with_metadata("600160005500fe", CBOR))
    assert found.selfdestruct == 0  # the 0x5b 0xff inside the hash is data
    assert found.scanned_size == 7 and found.size == 7 + len(CBOR) + 2


def test_code_hidden_in_a_fake_metadata_blob_is_still_walked() -> None:
    jumpdest = 7 + 8  # offset of the 0x5b inside the blob
    code = f"61{jumpdest:04x}56" + "0000fe"  # PUSH2 target; JUMP; padding
    assert len(bytes.fromhex(code)) == 7
    found = scan(_with_metadata(code, CBOR))
    assert found.selfdestruct == 1 and found.scanned_size == found.size


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=400))
def test_kernel_and_python_original_agree_on_any_bytes(code: bytes) -> None:
    array = np.frombuffer(code, dtype=np.uint8)
    fast = kernel.scan_bytecode(array, SELECTORS, 8)
    slow = kernel.scan_bytecode.py_func(array, SELECTORS, 8)
    for a, b in zip(fast, slow, strict=True):
        assert np.array_equal(a, b)


def test_compiled_samples_have_their_shapes() -> None:
    def sample(name: str) -> CodeFeatures:
        return scan(SAMPLES[name][2:])

    sweeper = sample("HardcodedSweeper")
    assert sweeper.value_forwards_to_fixed and sweeper.token_moves_to_fixed and len(sweeper.functions) == 1
    assert sample("ApprovalDrainer").token_moves_to_fixed == 1
    assert sample("DepositForwarder").value_forwards_to_fixed == 1  # benign, same shape: see contract_code.py
    assert sample("ArbitraryDelegator").delegatecall_calldata_target == 1  # through the ABI decoder's return
    assert sample("AssemblyDelegator").delegatecall_calldata_target == 1
    assert sample("SingletonProxy").delegatecall_storage_target == 1
    multicall = sample("SelfMulticall")
    assert multicall.delegatecall == 1 and multicall.delegatecall_calldata_target == 0
    assert sample("Killable").selfdestruct == 1
    account = sample("BatchAccount")
    assert account.value_calls == 1 and not account.value_forwards_to_fixed and not account.token_moves_to_fixed


ARTIFACTS = sorted(p for p in (REPO / "anvil_fixtures" / "artifacts").glob("*.json") if p.name != "build-info.json")


def _abi_type(item: dict[str, Any]) -> str:
    kind: str = item["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in item["components"]) + ")" + kind[len("tuple") :]
    return kind


@pytest.mark.parametrize("path", ARTIFACTS, ids=[p.stem for p in ARTIFACTS])
def test_artifact_dispatchers_are_their_abi(path: Path) -> None:
    """The selectors the dispatcher compares are exactly the ABI's functions (a factory also holds
    its child's creation code, whose dispatcher is walked too: a superset there)."""
    doc = json.loads(path.read_text())
    found = scan(doc["deployedBytecode"][2:])
    abi = {
        "0x" + keccak(text=f"{f['name']}({','.join(_abi_type(i) for i in f['inputs'])})")[:4].hex()
        for f in doc["abi"]
        if f["type"] == "function"
    }
    if path.stem == "UniV2Factory":
        assert abi < set(found.functions)
    else:
        assert set(found.functions) == abi
    assert found.scanned_size < found.size  # solc's metadata is recognised


def _deployed(role: str) -> CodeFeatures:
    manifest = json.loads((REPO / "anvil_fixtures" / "manifest.json").read_text())
    state = json.loads((REPO / "anvil_fixtures" / "state.json").read_text())
    return scan(state["accounts"][manifest["contracts"][role].lower()]["code"][2:])


def test_fixture_chain_shapes() -> None:
    sweeper = _deployed("sweeper_7702")
    assert sweeper.value_forwards_to_fixed == 2 and sweeper.token_moves_to_fixed == 1
    assert sweeper.addresses == ("0x36063540F3C333a0Db2be22089eb9128C688A35C",)  # the immutable collector
    drainer = _deployed("drainer")
    assert drainer.value_forwards_to_fixed >= 1 and drainer.token_moves_to_fixed >= 1
    assert _deployed("vault_proxy").delegatecall_storage_target == 1
    assert _deployed("coinbase_gated_drainer").env_reads == ("COINBASE",)
    for benign in ("uniswap_v2_router", "permit2", "usdx", "weth", "multicall3", "nft"):
        found = _deployed(benign)
        assert not (found.value_forwards_to_fixed or found.token_moves_to_fixed or found.selfdestruct), benign
        assert not found.delegatecall_calldata_target, benign


def test_lists_are_capped_and_counts_are_not() -> None:
    code = "".join(f"63{i:08x}14" for i in range(MAX_ITEMS + 5)) + "00"
    found = scan(code)
    assert len(found.functions) == MAX_ITEMS and found.truncated


def test_the_scanner_caches_by_code_hash() -> None:
    scanner = BytecodeScanner(capacity=2)
    code = bytes.fromhex(SAMPLES["Killable"][2:])
    first = scanner.scan_many([("0xaa", code)])[0]
    scanner.remember(first)
    assert scanner.cached("0xaa") is first and scanner.scanned == 1
    for n in range(3):
        scanner.remember(scan_code(bytes([0x60, n, 0x00]), code_hash=f"0x{n}"))
    assert len(scanner) == 2 and scanner.cached("0xaa") is None  # least recently used goes first
