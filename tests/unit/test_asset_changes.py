"""Reading transfers and approvals out of logs in the shapes eth_simulateV1 returns."""

from __future__ import annotations

from eth_abi import encode

from txfirewall.model.primitives import NATIVE_TRANSFER_PSEUDO_ADDRESS, Address
from txfirewall.model.simulation import AssetKind, Transfer, net_changes
from txfirewall.simulate.asset_changes import (
    APPROVAL_FOR_ALL_TOPIC,
    APPROVAL_TOPIC,
    TRANSFER_BATCH_TOPIC,
    TRANSFER_TOPIC,
    read_log_effects,
)

TOKEN = "0x38A41bE4b4161A4d6bb4Facb9151020420D1b769"


def topic(address: str) -> str:
    return "0x" + "00" * 12 + address[2:].lower()


def word(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
DRAINER = "0x3Da56E1e6d91D7c783580b1b8fC2775efa54f8e0"
OWNER = "0x00000000000000000000000000000000000000ff"


def test_native_erc20_erc721_and_approvals() -> None:
    logs = [
        {
            "address": NATIVE_TRANSFER_PSEUDO_ADDRESS,
            "topics": [TRANSFER_TOPIC, topic(ALICE), topic(DRAINER)],
            "data": word(10**18),
        },
        {
            "address": NATIVE_TRANSFER_PSEUDO_ADDRESS,
            "topics": [TRANSFER_TOPIC, topic(DRAINER), topic(OWNER)],
            "data": word(10**18),
        },
        {"address": TOKEN, "topics": [TRANSFER_TOPIC, topic(ALICE), topic(OWNER)], "data": word(5)},
        {"address": TOKEN, "topics": [TRANSFER_TOPIC, topic(ALICE), topic(OWNER), word(7)], "data": "0x"},
        {"address": TOKEN, "topics": [APPROVAL_TOPIC, topic(ALICE), topic(DRAINER)], "data": word(2**256 - 1)},
        {"address": TOKEN, "topics": [APPROVAL_FOR_ALL_TOPIC, topic(ALICE), topic(DRAINER)], "data": word(1)},
    ]
    effects = read_log_effects(logs)
    kinds = [t.kind for t in effects.transfers]
    assert kinds == [AssetKind.NATIVE, AssetKind.NATIVE, AssetKind.ERC20, AssetKind.ERC721]
    assert effects.transfers[3].token_id == 7
    assert effects.approvals[0].unlimited and effects.approvals[1].approved
    assert effects.skipped_logs == 0
    changes = {(c.address, c.kind): c.delta for c in net_changes(effects.transfers)}
    assert changes[(ALICE, AssetKind.NATIVE)] == -(10**18)
    assert (DRAINER, AssetKind.NATIVE) not in changes  # passed straight through
    assert changes[(OWNER, AssetKind.NATIVE)] == 10**18


def test_erc1155_batch() -> None:
    data = "0x" + encode(["uint256[]", "uint256[]"], [[1, 2], [10, 20]]).hex()
    logs = [
        {"address": TOKEN, "topics": [TRANSFER_BATCH_TOPIC, topic(ALICE), topic(ALICE), topic(OWNER)], "data": data}
    ]
    transfers = read_log_effects(logs).transfers
    assert [(t.token_id, t.amount) for t in transfers] == [(1, 10), (2, 20)]


def test_malformed_logs_are_skipped_and_counted() -> None:
    logs = [
        {"address": TOKEN, "topics": [TRANSFER_TOPIC, topic(ALICE)], "data": word(1)},
        {"address": TOKEN, "topics": [TRANSFER_TOPIC, topic(ALICE), topic(OWNER)], "data": "0x12"},
        {"address": "nonsense", "topics": [TRANSFER_TOPIC], "data": "0x"},
        {"address": TOKEN, "topics": [], "data": "0x"},
    ]
    effects = read_log_effects(logs)
    assert effects.transfers == () and effects.skipped_logs == 3


def test_net_changes_sum_and_drop_zero() -> None:
    t = [
        Transfer(AssetKind.ERC20, Address(TOKEN), Address(ALICE), Address(OWNER), 5),
        Transfer(AssetKind.ERC20, Address(TOKEN), Address(OWNER), Address(ALICE), 5),
    ]
    assert net_changes(tuple(t)) == ()
