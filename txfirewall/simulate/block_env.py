"""The block environment a simulation runs in.

``eth_simulateV1`` defaults to coinbase 0, the fork's own timestamp and block number: exactly the
environment a simulation-evading contract checks for. So the primary run uses a *realistic* next
block (the head's real fee recipient, +12 s, +1), and second runs use *variants*: what a naive
simulator sees (coinbase 0, the pinned block) and a plausible later block (another builder, two
blocks later, a different gas limit), never past the request's own deadline. A request whose
effects differ between them behaves differently when watched (``variants`` lists the runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from txfirewall.model.primitives import ZERO_ADDRESS, Address, parse_quantity, to_address, to_quantity

VARIANT_COINBASE = to_address("0x4838b106fce9647bdf1e7877bf73ce8b0bad5f97")
"""A real, busy builder fee recipient: any non-zero address a contract might allow-list."""


@dataclass(frozen=True)
class BlockEnv:
    coinbase: Address
    timestamp: int
    number: int
    gas_limit: int
    base_fee: int | None = None

    def overrides(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "feeRecipient": self.coinbase,
            "time": to_quantity(self.timestamp),
            "number": to_quantity(self.number),
            "gasLimit": to_quantity(self.gas_limit),
        }
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "coinbase": self.coinbase,
            "timestamp": self.timestamp,
            "number": self.number,
            "gas_limit": self.gas_limit,
        }


def next_block_env(head_block: dict[str, Any]) -> BlockEnv:
    """The realistic environment of the block after ``head_block`` (an eth_getBlockByNumber result)."""
    miner = to_address(head_block.get("miner") or "0x" + "00" * 20)
    return BlockEnv(
        coinbase=miner if int(miner, 16) else VARIANT_COINBASE,
        timestamp=parse_quantity(head_block["timestamp"]) + 12,
        number=parse_quantity(head_block["number"]) + 1,
        gas_limit=parse_quantity(head_block["gasLimit"]),
        base_fee=parse_quantity(head_block["baseFeePerGas"]) if head_block.get("baseFeePerGas") else None,
    )


LATER_BY_SECONDS = 24
"""How much later the variant block is: two slots. Long enough to change every block field a
contract can test, short enough to stay inside any deadline a wallet sets (Uniswap's default is
20 minutes; wallets rarely go below 1 minute)."""


def variant_env(env: BlockEnv, deadline: int | None = None) -> BlockEnv:
    """A second, equally plausible environment that differs in every field a contract can test,
    inside the request's validity: at most ``deadline`` (unix time), never before ``env``."""
    other = (
        VARIANT_COINBASE
        if env.coinbase != VARIANT_COINBASE
        else to_address("0x" + "95222290dd7278aa3ddd389cc1e1d165cc4bafe5")
    )
    return BlockEnv(
        coinbase=other,
        timestamp=max(
            env.timestamp, min(env.timestamp + LATER_BY_SECONDS, deadline or env.timestamp + LATER_BY_SECONDS)
        ),
        number=env.number + LATER_BY_SECONDS // 12,
        gas_limit=env.gas_limit * 5 // 4,
        base_fee=env.base_fee,
    )


def naive_env(env: BlockEnv) -> BlockEnv:
    """What a naive simulator runs in: coinbase 0, the pinned block's own number and time."""
    return BlockEnv(
        coinbase=ZERO_ADDRESS,
        timestamp=env.timestamp - 12,
        number=env.number - 1,
        gas_limit=env.gas_limit,
        base_fee=env.base_fee,
    )
