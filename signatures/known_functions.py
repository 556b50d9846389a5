"""The curated security core plus the ABI registry: functions decoded with argument names.

These win over the big selector lists: a selector found here is decoded only against these
entries (the big lists may hold junk collisions for ``approve`` or ``permit``).
"""

from __future__ import annotations

from dataclasses import dataclass

from txfirewall.model.hashing import keccak256
from txfirewall.model.primitives import Selector
from txfirewall.signatures.abi_registry import REGISTRY
from txfirewall.signatures.abi_types import signature_types


@dataclass(frozen=True)
class KnownFunction:
    signature: str
    names: tuple[str, ...]
    role: str
    """What the function means for the user: ``erc20-transfer``, ``erc20-approve``, ..."""
    protocol: str = ""

    @property
    def name(self) -> str:
        return self.signature.split("(", 1)[0]

    @property
    def types(self) -> tuple[str, ...]:
        types = signature_types(self.signature)
        if types is None:
            raise ValueError(f"malformed built-in signature {self.signature}")
        return types

    @property
    def selector(self) -> Selector:
        return Selector("0x" + keccak256(self.signature.encode())[:4].hex())


_FUNCTIONS = (
    KnownFunction("transfer(address,uint256)", ("to", "amount"), "erc20-transfer"),
    KnownFunction("approve(address,uint256)", ("spender", "amount"), "erc20-approve"),
    KnownFunction("transferFrom(address,address,uint256)", ("from", "to", "amount"), "erc20-transfer-from"),
    KnownFunction("increaseAllowance(address,uint256)", ("spender", "addedValue"), "erc20-increase-allowance"),
    KnownFunction("setApprovalForAll(address,bool)", ("operator", "approved"), "set-approval-for-all"),
    # Payable no-argument names that drainer kits use to look like a harmless button
    # (HEURISTICS_CATALOGUE item 76, after Revoke.cash's SuspectedScamDecoder).
    *(
        KnownFunction(f"{name}()", (), "scam-payable-name")
        for name in (
            "SecurityUpdate",
            "securityUpdate",
            "ClaimReward",
            "claimReward",
            "ClaimRewards",
            "claimRewards",
            "Claim",
            "claim",
            "SafeClaim",
            "safeClaim",
            "ClaimAirdrop",
            "claimAirdrop",
            "NetworkMerge",
            "networkMerge",
            "Verify",
            "verify",
            "Connect",
            "Execute",
        )
    ),
    *(KnownFunction(sig, names, role, protocol) for sig, names, role, protocol in REGISTRY),
)

BY_SELECTOR: dict[Selector, tuple[KnownFunction, ...]] = {}
for _fn in _FUNCTIONS:
    BY_SELECTOR[_fn.selector] = (*BY_SELECTOR.get(_fn.selector, ()), _fn)

# ERC-721 shares these selectors with ERC-20; which one applies depends on the contract,
# which decoding (offline) cannot know. The ambiguity is reported, never resolved silently.
SHARED_WITH_ERC721 = {
    "approve(address,uint256)": "approve(address to, uint256 tokenId) on an ERC-721",
    "transferFrom(address,address,uint256)": "transferFrom(from, to, uint256 tokenId) on an ERC-721",
}

SCAM_PAYABLE_SELECTORS: frozenset[Selector] = frozenset(
    fn.selector for fn in _FUNCTIONS if fn.role == "scam-payable-name"
)
