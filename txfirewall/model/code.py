"""What a static scan of contract bytecode found, and what the EIP-7702 delegate lists say.

Both are facts the enrich stage computes (``txfirewall.enrich.bytecode``, the shipped lists in
``txfirewall.intel.delegates``); rules read them from ``AddressFacts`` and never scan code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from txfirewall.model.json_values import JsonValue
from txfirewall.model.primitives import Address


@dataclass(frozen=True)
class CodeFeatures:
    """Features of one contract's runtime bytecode, from one linear walk of its opcodes.

    Counts are of reachable instructions (the walk skips PUSH data, bytes after a terminating
    instruction until the next JUMPDEST, and trailing compiler metadata). Operand provenance
    (``*_target``, ``value_forwards_to_fixed``, ``token_moves_to_fixed``) comes from a small
    abstract stack that lives within a basic block and its fall-through successors: it is lost at
    every jump target, so those counts are lower bounds; a value is "hard-coded" when it is a
    PUSH20 constant, or a PUSH32 holding an address (how Solidity inlines immutables).
    """

    code_hash: str
    size: int
    scanned_size: int
    """Bytes walked: ``size`` minus the trailing Solidity/Vyper CBOR metadata, when present."""
    instructions: int
    functions: tuple[str, ...] = ()
    """Selectors the dispatcher compares calldata against (``PUSH4 x EQ``): the public functions."""
    called_selectors: tuple[str, ...] = ()
    """Other 4-byte constants that look like selectors of outgoing calls (``transfer``...)."""
    addresses: tuple[Address, ...] = ()
    """Hard-coded addresses (PUSH20, or PUSH32 immutables), first ones only."""
    selfdestruct: int = 0
    delegatecall: int = 0
    delegatecall_calldata_target: int = 0
    """DELEGATECALLs whose target is derived from calldata: the caller picks the code that runs."""
    delegatecall_fixed_target: int = 0
    """DELEGATECALLs to a hard-coded address (minimal proxies, some libraries)."""
    delegatecall_storage_target: int = 0
    """DELEGATECALLs to an address read from storage (EIP-1967 and Safe proxies)."""
    callcode: int = 0
    create: int = 0
    create2: int = 0
    calls: int = 0
    value_calls: int = 0
    """CALL/CALLCODE whose value is not a pushed zero."""
    value_forwards_to_fixed: int = 0
    """CALLs that send the balance or the incoming value (SELFBALANCE, BALANCE, CALLVALUE) to a
    hard-coded address."""
    token_moves_to_fixed: int = 0
    """Blocks that build a ``transfer``/``transferFrom``/``safeTransferFrom`` call next to a
    hard-coded address."""
    origin_reads: int = 0
    balance_reads: int = 0
    env_reads: tuple[str, ...] = ()
    """Block-environment opcodes read (COINBASE, TIMESTAMP, NUMBER, PREVRANDAO, GASPRICE): code
    that can behave differently in a simulation than in the real block."""
    minimal_proxy_to: Address | None = None
    """The implementation, when the code is an EIP-1167 minimal proxy."""
    delegation_to: Address | None = None
    """The delegate, when the code is an EIP-7702 designator ``0xef0100 || address``."""
    truncated: bool = False
    """A list above was capped."""

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "code_hash": self.code_hash,
            "size": self.size,
            "scanned_size": self.scanned_size,
            "instructions": self.instructions,
            "functions": list(self.functions),
            "called_selectors": list(self.called_selectors),
            "addresses": list(self.addresses),
            "selfdestruct": self.selfdestruct,
            "delegatecall": self.delegatecall,
            "delegatecall_calldata_target": self.delegatecall_calldata_target,
            "delegatecall_fixed_target": self.delegatecall_fixed_target,
            "delegatecall_storage_target": self.delegatecall_storage_target,
            "callcode": self.callcode,
            "create": self.create,
            "create2": self.create2,
            "calls": self.calls,
            "value_calls": self.value_calls,
            "value_forwards_to_fixed": self.value_forwards_to_fixed,
            "token_moves_to_fixed": self.token_moves_to_fixed,
            "origin_reads": self.origin_reads,
            "balance_reads": self.balance_reads,
            "env_reads": list(self.env_reads),
            "minimal_proxy_to": self.minimal_proxy_to,
            "delegation_to": self.delegation_to,
            "truncated": self.truncated,
        }


class DelegateStatus(StrEnum):
    """What the shipped EIP-7702 delegate lists say about an address."""

    KNOWN_GOOD = "known-good"
    """A wallet vendor's or account-abstraction provider's delegate."""
    MALICIOUS = "malicious"
    """A sweeper / drainer delegate (CrimeEnjoyor family and others)."""
    UNSAFE = "unsafe"
    """Labelled, but unsafe as a 7702 delegate (an ERC-4337 implementation anyone can initialise)."""
    UNVETTED = "unvetted"
    """Labelled, but neither vetted nor known bad (MEV bots, generic executors, stale labels)."""


@dataclass(frozen=True)
class DelegateListing:
    """One row of the shipped delegate lists."""

    address: Address
    status: DelegateStatus
    name: str
    kind: str = ""
    vendor: str = ""
    sources: str = ""

    @property
    def display(self) -> str:
        """``name (vendor)``, without repeating a vendor the name already says."""
        if self.vendor and self.vendor.lower() not in self.name.lower():
            return f"{self.name} ({self.vendor})"
        return self.name

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "status": self.status.value,
            "name": self.name,
            "kind": self.kind,
            "vendor": self.vendor,
            "sources": self.sources,
        }
