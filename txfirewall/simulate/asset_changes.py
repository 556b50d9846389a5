"""Reading asset movements and approvals out of simulated logs.

ERC-20 and ERC-721 share the ``Transfer`` and ``Approval`` topic; the number of indexed topics
tells them apart (3 for ERC-20, 4 for ERC-721). Native ETH movements, top-level and internal,
arrive as ``Transfer`` pseudo-logs from 0xEeee…EEeE when ``traceTransfers`` is on.
A log that does not fit its event's shape is skipped and counted, never trusted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from txfirewall.model.abi import AbiError, abi_decode
from txfirewall.model.primitives import (
    NATIVE_TRANSFER_PSEUDO_ADDRESS,
    Address,
    address_from_word,
    is_unlimited_amount,
    parse_data,
    to_address,
)
from txfirewall.model.simulation import ApprovalChange, AssetKind, Transfer

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
APPROVAL_TOPIC = "0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925"
APPROVAL_FOR_ALL_TOPIC = "0x17307eab39ab6107e8899845ad3d59bd9653f200f220920489ca2b5937696c31"
TRANSFER_SINGLE_TOPIC = "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62"
TRANSFER_BATCH_TOPIC = "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb"

# Permit2 (AllowanceTransfer) events: the allowance lives in Permit2, keyed by token.
PERMIT2_APPROVAL_TOPIC = "0xda9fa7c1b00402c17d0161b249b1ab8bbec047c5a52207b9c112deffd817036b"
PERMIT2_PERMIT_TOPIC = "0xc6a377bfc4eb120024a8ac08eef205be16b817020812c73223e81d1bdb9708ec"


@dataclass(frozen=True)
class LogEffects:
    transfers: tuple[Transfer, ...]
    approvals: tuple[ApprovalChange, ...]
    skipped_logs: int


def _word(topic: str) -> bytes:
    raw = parse_data(topic)
    if len(raw) != 32:
        raise ValueError("topic is not 32 bytes")
    return raw


def _uint(topic: str) -> int:
    return int.from_bytes(_word(topic), "big")


def read_log_effects(logs: Iterable[Mapping[str, Any]]) -> LogEffects:
    transfers: list[Transfer] = []
    approvals: list[ApprovalChange] = []
    skipped = 0
    for log in logs:
        try:
            effect = _read_one(log)
        except (ValueError, KeyError, IndexError, TypeError, AbiError):
            skipped += 1
            continue
        if effect is None:
            continue
        if isinstance(effect, ApprovalChange):
            approvals.append(effect)
        else:
            transfers.extend(effect)
    return LogEffects(tuple(transfers), tuple(approvals), skipped)


def _read_one(log: Mapping[str, Any]) -> ApprovalChange | list[Transfer] | None:
    topics = [str(t).lower() for t in log.get("topics") or []]
    if not topics:
        return None
    emitter = to_address(log["address"])
    data = parse_data(log.get("data") or "0x")
    head = topics[0]
    if head == TRANSFER_TOPIC:
        return [_transfer(emitter, topics, data)]
    if head == APPROVAL_TOPIC:
        return _approval(emitter, topics, data)
    if head in (PERMIT2_APPROVAL_TOPIC, PERMIT2_PERMIT_TOPIC) and len(topics) == 4:
        types = ["uint160", "uint48"] if head == PERMIT2_APPROVAL_TOPIC else ["uint160", "uint48", "uint48"]
        values = abi_decode(types, data, strict=True)
        amount, expiration = int(values[0]), int(values[1])
        return ApprovalChange(
            kind=AssetKind.ERC20,
            token=address_from_word(_word(topics[2])),
            owner=address_from_word(_word(topics[1])),
            spender=address_from_word(_word(topics[3])),
            amount=amount,
            unlimited=is_unlimited_amount(amount, 160),
            via=emitter,
            expiration=expiration,
        )
    if head == APPROVAL_FOR_ALL_TOPIC and len(topics) == 3:
        (approved,) = abi_decode(["bool"], data, strict=True)
        return ApprovalChange(
            kind=AssetKind.ERC721,
            token=emitter,
            owner=address_from_word(_word(topics[1])),
            spender=address_from_word(_word(topics[2])),
            approved=bool(approved),
            unlimited=bool(approved),
        )
    if head == TRANSFER_SINGLE_TOPIC and len(topics) == 4:
        token_id, amount = abi_decode(["uint256", "uint256"], data, strict=True)
        return [_transfer_1155(emitter, topics, token_id, amount)]
    if head == TRANSFER_BATCH_TOPIC and len(topics) == 4:
        ids, amounts = abi_decode(["uint256[]", "uint256[]"], data, strict=True)
        if len(ids) != len(amounts):
            raise ValueError("TransferBatch ids and values differ in length")
        return [_transfer_1155(emitter, topics, i, a) for i, a in zip(ids, amounts, strict=True)]
    return None


def _transfer(emitter: Address, topics: list[str], data: bytes) -> Transfer:
    if len(topics) not in (3, 4):
        raise ValueError("Transfer log with the wrong number of topics")
    sender = address_from_word(_word(topics[1]))
    recipient = address_from_word(_word(topics[2]))
    if len(topics) == 3:
        if len(data) != 32:
            raise ValueError("ERC-20 Transfer data is not one word")
        amount = int.from_bytes(data, "big")
        if emitter == NATIVE_TRANSFER_PSEUDO_ADDRESS:
            return Transfer(AssetKind.NATIVE, None, sender, recipient, amount)
        return Transfer(AssetKind.ERC20, emitter, sender, recipient, amount)
    if len(topics) == 4 and not data:
        return Transfer(AssetKind.ERC721, emitter, sender, recipient, 1, token_id=_uint(topics[3]))
    raise ValueError("Transfer log of unknown shape")


def _approval(emitter: Address, topics: list[str], data: bytes) -> ApprovalChange:
    if len(topics) not in (3, 4):
        raise ValueError("Approval log with the wrong number of topics")
    owner = address_from_word(_word(topics[1]))
    spender = address_from_word(_word(topics[2]))
    if len(topics) == 3 and len(data) == 32:
        amount = int.from_bytes(data, "big")
        return ApprovalChange(
            AssetKind.ERC20, emitter, owner, spender, amount=amount, unlimited=is_unlimited_amount(amount)
        )
    if len(topics) == 4 and not data:
        return ApprovalChange(
            AssetKind.ERC721, emitter, owner, spender, token_id=_uint(topics[3]), approved=int(topics[2], 16) != 0
        )
    raise ValueError("Approval log of unknown shape")


def _transfer_1155(emitter: Address, topics: list[str], token_id: int, amount: int) -> Transfer:
    return Transfer(
        AssetKind.ERC1155,
        emitter,
        address_from_word(_word(topics[2])),
        address_from_word(_word(topics[3])),
        amount,
        token_id=token_id,
    )
