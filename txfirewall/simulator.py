"""The simulate stage's engine: one stateless ``eth_simulateV1`` call with ``traceTransfers``.

Stateless, so concurrent simulations on one fork are isolated by construction. Logs of a call
whose status is not success are ignored: reverted calls still carry the top-level ETH pseudo-log.
"""

from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError

from txfirewall.asset_changes import read_log_effects
from txfirewall.errors import UpstreamError
from txfirewall.model.primitives import parse_data, parse_quantity, to_quantity
from txfirewall.model.request import TransactionRequest
from txfirewall.model.simulation import Simulation, SimulationStatus, net_changes
from txfirewall.rpc_client import RpcCallError, RpcClient

_ERROR_SELECTOR = bytes.fromhex("08c379a0")
_PANIC_SELECTOR = bytes.fromhex("4e487b71")


def decode_revert(return_data: bytes) -> str | None:
    """Error(string), Panic(uint256), or the custom error's selector."""
    if not return_data:
        return None
    head, body = return_data[:4], return_data[4:]
    try:
        if head == _ERROR_SELECTOR:
            (message,) = abi_decode(["string"], body)
            return str(message)
        if head == _PANIC_SELECTOR:
            (code,) = abi_decode(["uint256"], body)
            return f"panic 0x{code:02x}"
    except (DecodingError, ValueError, OverflowError):
        pass
    return f"custom error 0x{head.hex()}" if len(return_data) >= 4 else "0x" + return_data.hex()


def call_object(tx: TransactionRequest) -> dict[str, Any]:
    call: dict[str, Any] = {"from": tx.sender, "value": to_quantity(tx.value), "input": "0x" + tx.data.hex()}
    if tx.to is not None:
        call["to"] = tx.to
    if tx.gas is not None:
        call["gas"] = to_quantity(tx.gas)
    return call


async def simulate_transaction(
    client: RpcClient, tx: TransactionRequest, *, block: str = "latest"
) -> Simulation:
    """Simulate as the real sender with the real gas limit and value. Transport errors raise."""
    payload = {
        "blockStateCalls": [{"calls": [call_object(tx)]}],
        "traceTransfers": True,
        "validation": False,
    }
    try:
        result = await client.call("eth_simulateV1", [payload, block])
    except RpcCallError as exc:
        # The node refused the call itself (e.g. -32003 insufficient funds): a finding, not a crash.
        return Simulation(status=SimulationStatus.FAILED, error=exc.rpc_message or str(exc))
    try:
        block_result = result[0]
        call = block_result["calls"][0]
        status_ok = parse_quantity(call["status"]) == 1
        gas_used = parse_quantity(call["gasUsed"])
        block_number = parse_quantity(block_result["number"])
        return_data = parse_data(call.get("returnData") or "0x")
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise UpstreamError(f"eth_simulateV1 answered in an unexpected shape: {exc}") from exc
    if not status_ok:
        return Simulation(
            status=SimulationStatus.REVERTED,
            block_number=block_number,
            gas_used=gas_used,
            revert_reason=decode_revert(return_data),
        )
    effects = read_log_effects(call.get("logs") or [])
    return Simulation(
        status=SimulationStatus.SUCCESS,
        block_number=block_number,
        gas_used=gas_used,
        transfers=effects.transfers,
        approvals=effects.approvals,
        changes=net_changes(effects.transfers),
        error=f"{effects.skipped_logs} malformed log(s) ignored" if effects.skipped_logs else None,
    )
