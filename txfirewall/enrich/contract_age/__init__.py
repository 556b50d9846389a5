"""How old a contract is: its creation block, found by a k-ary search over historical ``eth_getCode``.

An address has no code before the block that created it and has code from then on, so its
creation block is where a monotone predicate over block numbers turns true. Each round trip asks
for the code at ``fan_out`` evenly spaced blocks inside the open interval (lo, hi) in one JSON-RPC
batch and keeps the gap where "empty" turns into "code": the interval shrinks (fan_out + 1)-fold
per round, so mainnet's 2.4e7-3e7 blocks take 6-7 rounds at fan_out 16, plus one round for the
creation block's timestamp. The searches of all the addresses a request touches share each batch.

The node must serve historical state. Nodes that cannot (pruned Geth, Reth or Erigon; an anvil
loaded from a state dump) answer with an error or null; a search whose boundary falls on such a
block reports the age as unknown, never as younger than it is. Errors *below* an empty probe are
fine: a contract created inside the node's history window is still dated exactly.

Known limits: a node that silently answers ``0x`` for state it pruned looks exactly like an
address without code, so it would make old contracts look created at its pruning horizon. The
nodes we know answer with an error instead: anvil (checked in the tests), Geth ("missing trie
node", go-ethereum#20874) and Reth ("header not found", reth#22874). A contract that
self-destructed and was created again is dated by the start of its current run of code as far as
the probes can see it. EIP-7702 delegated accounts (code ``0xef0100 || delegate``) are accounts,
not contracts: they are not searched.
"""

from __future__ import annotations

from txfirewall.enrich.contract_age.cache import ContractAgeCache
from txfirewall.enrich.contract_age.lookup import AgeLookup, age_candidates, age_lookup, apply_ages, start_age_lookup
from txfirewall.enrich.contract_age.search import find_contract_ages
from txfirewall.enrich.contract_age.values import (
    AGE_ROLES,
    AgeReport,
    AgeSearchOptions,
    AgeSource,
    ContractAge,
    CreationBlock,
    PinnedBlock,
    dated,
    pinned_from_env,
)

__all__ = [
    "AGE_ROLES",
    "AgeLookup",
    "AgeReport",
    "AgeSearchOptions",
    "AgeSource",
    "ContractAge",
    "ContractAgeCache",
    "CreationBlock",
    "PinnedBlock",
    "age_candidates",
    "age_lookup",
    "apply_ages",
    "dated",
    "find_contract_ages",
    "pinned_from_env",
    "start_age_lookup",
]
