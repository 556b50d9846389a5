"""What the user holds of the assets a request touches, read at the pinned block.

An allowance means what it does to the user: ``approve(spender, 10**30)`` of a token whose whole
supply is 10**24 is unlimited in effect, and so is an approval of everything the user holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from txfirewall.model.json_values import JsonValue
from txfirewall.model.primitives import Address


@dataclass(frozen=True)
class TokenHolding:
    """The owner's balance of one token and the token's total supply (None: the token did not say)."""

    token: Address
    balance: int | None
    total_supply: int | None

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "token": self.token,
            "balance": None if self.balance is None else str(self.balance),
            "total_supply": None if self.total_supply is None else str(self.total_supply),
        }


@dataclass(frozen=True)
class Holdings:
    """The sender's native balance and their holdings of the tokens the request grants or moves."""

    owner: Address
    native: int | None = None
    tokens: Mapping[Address, TokenHolding] = field(default_factory=lambda: MappingProxyType({}))

    def of(self, token: Address | None) -> TokenHolding | None:
        return None if token is None else self.tokens.get(token)


def unlimited_in_effect(amount: int, holding: TokenHolding | None) -> str | None:
    """Why a finite allowance is unlimited for this user (it covers the whole supply, or everything
    they hold), or None. The sentinel test (``is_unlimited_amount``) is separate: it needs no node."""
    if holding is None:
        return None
    if holding.total_supply and amount >= holding.total_supply:
        return "more than the token's entire supply"
    if holding.balance and amount >= holding.balance:
        return "all of your balance of it"
    return None
