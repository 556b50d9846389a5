"""What counts as simulation evasion: a different outcome or different movements, never a passed
deadline or a few seconds of interest."""

from __future__ import annotations

from txfirewall.model.intent import Argument, CallNode, DecodedCall, Intent, IntentKind
from txfirewall.model.primitives import Address, Selector
from txfirewall.model.simulation import AssetKind, Simulation, SimulationStatus, Transfer
from txfirewall.simulate.block_env import LATER_BY_SECONDS, BlockEnv
from txfirewall.simulate.differential import compare
from txfirewall.simulate.validity import earliest_deadline, is_deadline_revert
from txfirewall.simulate.variants import block_variants, gas_variants, wallet_gas

ALICE = Address("0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4")
BOB = Address("0x79482941438f16cC093e6Fb410BaA77A9823026F")
EVE = Address("0x3Da56E1e6d91D7c783580b1b8fC2775efa54f8e0")
TOKEN = Address("0x38A41bE4b4161A4d6bb4Facb9151020420D1b769")


def _ok(*transfers: Transfer) -> Simulation:
    return Simulation(status=SimulationStatus.SUCCESS, transfers=transfers)


def _eth(to: Address, amount: int) -> Transfer:
    return Transfer(AssetKind.NATIVE, None, ALICE, to, amount)


def test_a_revert_on_a_passed_deadline_is_not_evasion() -> None:
    for reason in (
        "UniswapV2Router: EXPIRED",
        "Transaction too old",
        "TransactionDeadlinePassed()",
        "SignatureExpired(1)",
    ):
        later = Simulation(status=SimulationStatus.REVERTED, revert_reason=reason)
        assert compare(_ok(_eth(BOB, 10)), later) is None, reason


def test_a_revert_for_another_reason_is_evasion() -> None:
    later = Simulation(status=SimulationStatus.REVERTED, revert_reason="Ownable: caller is not the owner")
    found = compare(_ok(_eth(BOB, 10)), later)
    assert found is not None and "reverted" in found.description


def test_interest_drift_is_not_evasion_but_a_new_recipient_or_a_big_change_is() -> None:
    assert compare(_ok(_eth(BOB, 1_000_000)), _ok(_eth(BOB, 1_000_500))) is None
    assert compare(_ok(_eth(BOB, 1_000_000)), _ok(_eth(EVE, 1_000_000))) is not None
    assert compare(_ok(_eth(BOB, 1_000_000)), _ok(_eth(BOB, 2_000_000))) is not None
    assert compare(_ok(_eth(BOB, 10)), _ok()) is not None


def test_the_later_variant_stays_inside_the_request_deadline() -> None:
    env = BlockEnv(coinbase=BOB, timestamp=1_000_000, number=100, gas_limit=30_000_000)
    later = block_variants(env)[1].env
    assert later is not None and later.timestamp == env.timestamp + LATER_BY_SECONDS
    clamped = block_variants(env, deadline=env.timestamp + 5)[1].env
    assert clamped is not None and clamped.timestamp == env.timestamp + 5
    assert later.coinbase != env.coinbase and later.number > env.number and later.gas_limit != env.gas_limit


def test_with_another_gas_limit_a_revert_of_the_run_with_less_gas_is_not_evasion() -> None:
    """Case 46: a gas variant that reverted with less gas may have run out of gas; a run with more
    gas that reverts, or moves assets elsewhere, is a divergence of kind "gas"."""
    reverted = Simulation(status=SimulationStatus.REVERTED, revert_reason="no reason given")
    assert compare(reverted, _ok(_eth(BOB, 10)), less_gas="primary") is None
    assert compare(_ok(_eth(BOB, 10)), reverted, less_gas="variant") is None
    more_gas_reverts = compare(_ok(_eth(EVE, 10)), reverted, less_gas="primary", kind="gas")
    assert more_gas_reverts is not None and more_gas_reverts.kind == "gas"
    refund = compare(_ok(_eth(EVE, 10**17)), _ok(_eth(ALICE, 10**17)), "a run with no gas limit", less_gas="primary")
    assert refund is not None and "a run with no gas limit" in refund.description
    assert compare(_ok(_eth(BOB, 10)), _ok(_eth(BOB, 10)), less_gas="primary") is None, "gas used is not compared"


def test_the_gas_a_wallet_sends_and_the_gas_variants() -> None:
    assert wallet_gas(40_000, 30_000_000) == 60_000
    assert wallet_gas(25_000_000, 30_000_000) == 27_000_000, "the margin stops at 90 % of the block"
    assert wallet_gas(29_000_000, 30_000_000) == 29_000_000, "never below the estimate"
    env = BlockEnv(coinbase=BOB, timestamp=1_000_000, number=100, gas_limit=30_000_000)
    estimated = gas_variants(env, 60_000, estimate=40_000)
    assert [(v.gas, v.less_gas, v.kind) for v in estimated] == [
        ((None,), "primary", "gas"),
        ((40_000,), "variant", "gas"),
    ]
    assert all(v.env is env and "60,000 gas a wallet sends" in v.primary_label for v in estimated)
    own = gas_variants(env, 90_000)
    assert [(v.gas, v.less_gas) for v in own] == [((None,), "primary")] and "the request sets" in own[0].primary_label


def test_deadlines_are_found_by_name_at_any_depth_and_only_when_ahead() -> None:
    now = 1_700_000_000
    swap = DecodedCall(
        Selector("0x18cbafe5"),
        "swapExactTokensForETH(uint256,uint256,address[],address,uint256)",
        "swapExactTokensForETH",
        (Argument("amountIn", "uint256", 1), Argument("deadline", "uint256", now + 1200)),
        "test",
    )
    nested = Intent(
        kind=IntentKind.CONTRACT_CALL,
        summary="",
        children=(CallNode(label="multicall[0]", target=TOKEN, call=swap),),
    )
    assert earliest_deadline(nested, now) == now + 1200
    assert earliest_deadline(nested, now + 2000) is None, "a deadline already behind is not a window"
    assert earliest_deadline(Intent(kind=IntentKind.CONTRACT_CALL, summary=""), now) is None
    assert is_deadline_revert("UniswapV2Router: EXPIRED") and not is_deadline_revert("TRANSFER_FAILED")
