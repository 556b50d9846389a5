"""The second runs a simulation is compared with: simulation evasion (RELIABILITY A8 45 and 46).

A contract that hides from simulators behaves one way in the run a simulator makes and another
in the transaction that is mined. It can tell them apart by what differs between the two:

* the block (coinbase, time, number, gas limit): the *block variants* (``block_variants``) run
  the calls in a naive simulator's environment and in a plausible later block;
* the transaction's own gas limit, read with ``gasleft()``: a request without ``gas`` is
  simulated with the gas a wallet will send (the node's estimate plus a wallet's margin, see
  ``wallet_gas``), and the *gas variants* (``gas_variants``) run it with the bare estimate (what
  geth, anvil, ethers, viem and web3.py fill in) and with no gas limit (what a simulator that
  ignores the gas sees). A request with its own gas runs with it, and once with no limit.

Each variant's asset effects are compared with the primary run's (``differential.compare``):
who moves what to whom, never the gas used (refunds and warm slots change it a little in every
run). A run that had less gas and reverted is not evidence: it may have run out of gas.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from txfirewall.simulate.block_env import BlockEnv, naive_env, variant_env

WALLET_GAS_MARGIN_PERCENT = 150
"""The gas a wallet sends, in percent of the node's estimate: MetaMask adds 50 % (``addGasBuffer``),
others send the estimate as it is (a gas variant runs that too)."""
BLOCK_GAS_SHARE_PERCENT = 90
"""The margin stops at this share of the block gas limit (as MetaMask's does), never below the estimate."""

REALISTIC = "the realistic next block"
"""Where the primary run happens, as a divergence describes it."""


@dataclass(frozen=True)
class Variant:
    """One second run of the same calls, compared with the primary run."""

    label: str
    """Where the second run happens, read after "in": "a block two slots later ..."."""
    env: BlockEnv | None
    """Its block environment; None: the node's default (a naive simulator's)."""
    gas: tuple[int | None, ...] | None = None
    """Per-call gas limits for this run (None in it: no limit, the node's default); None: the
    calls' own, as in the primary run."""
    less_gas: Literal["primary", "variant"] | None = None
    """Which of the two runs had less gas (None: the same): a revert there may be out of gas."""
    primary_label: str = REALISTIC
    """Where the primary run happened, as the comparison describes it."""
    kind: Literal["block", "gas"] = "block"
    """What the variant changes: the block the transaction lands in, or the gas it is sent with."""


def block_variants(env: BlockEnv, deadline: int | None = None) -> tuple[Variant, ...]:
    """What to compare the realistic run with: a naive simulator's view, and a later block within
    the request's own ``deadline`` (when it names one)."""
    return (
        Variant("a naive simulation environment (coinbase 0, the pinned block)", naive_env(env)),
        Variant("a block two slots later from another builder", variant_env(env, deadline)),
    )


def wallet_gas(estimate: int, block_gas_limit: int | None) -> int:
    """The gas limit a wallet sends for a transaction the node estimated at ``estimate``: the
    estimate plus ``WALLET_GAS_MARGIN_PERCENT``, at most ``BLOCK_GAS_SHARE_PERCENT`` of the block
    gas limit, never below the estimate."""
    padded = estimate * WALLET_GAS_MARGIN_PERCENT // 100
    if block_gas_limit is not None:
        padded = min(padded, block_gas_limit * BLOCK_GAS_SHARE_PERCENT // 100)
    return max(padded, estimate)


def gas_variants(env: BlockEnv | None, gas: int, *, estimate: int | None = None) -> tuple[Variant, ...]:
    """The gas variants of a single call simulated with ``gas``: with no gas limit, and, when
    ``gas`` came from the node's ``estimate`` (the request had none), with the bare estimate."""
    primary = f"a run with the {gas:,} gas {'a wallet sends' if estimate is not None else 'the request sets'}"
    out = [
        Variant(
            "a run with no gas limit (what a simulator that ignores the gas sees)",
            env,
            gas=(None,),
            less_gas="primary",
            primary_label=primary,
            kind="gas",
        )
    ]
    if estimate is not None and estimate < gas:
        out.append(
            Variant(
                f"a run with the node's bare estimate of {estimate:,} gas (what many wallets and nodes send)",
                env,
                gas=(estimate,),
                less_gas="variant",
                primary_label=primary,
                kind="gas",
            )
        )
    return tuple(out)
