"""Uniswap Universal Router ``execute`` commands: one byte per command, ABI-encoded inputs.

The Permit2 commands matter most: a router call can carry a Permit2 signature that grants an
allowance, and it must show up as one. ``EXECUTE_SUB_PLAN`` nests a whole command list.
"""

from __future__ import annotations

from txfirewall.model.abi import AbiError, abi_decode, abi_encode
from txfirewall.model.intent import Argument, DecodedCall
from txfirewall.model.primitives import Selector, to_address

_DETAILS = "(address,uint160,uint48,uint48)"
# command byte (low 6 bits) -> (name, [(arg name, type)])
COMMANDS: dict[int, tuple[str, tuple[tuple[str, str], ...]]] = {
    0x00: (
        "V3_SWAP_EXACT_IN",
        (
            ("recipient", "address"),
            ("amountIn", "uint256"),
            ("amountOutMin", "uint256"),
            ("path", "bytes"),
            ("payerIsUser", "bool"),
        ),
    ),
    0x01: (
        "V3_SWAP_EXACT_OUT",
        (
            ("recipient", "address"),
            ("amountOut", "uint256"),
            ("amountInMax", "uint256"),
            ("path", "bytes"),
            ("payerIsUser", "bool"),
        ),
    ),
    0x02: ("PERMIT2_TRANSFER_FROM", (("token", "address"), ("recipient", "address"), ("amount", "uint160"))),
    0x03: ("PERMIT2_PERMIT_BATCH", (("permitBatch", f"({_DETAILS}[],address,uint256)"), ("signature", "bytes"))),
    0x04: ("SWEEP", (("token", "address"), ("recipient", "address"), ("amountMin", "uint256"))),
    0x05: ("TRANSFER", (("token", "address"), ("recipient", "address"), ("value", "uint256"))),
    0x06: ("PAY_PORTION", (("token", "address"), ("recipient", "address"), ("bips", "uint256"))),
    0x08: (
        "V2_SWAP_EXACT_IN",
        (
            ("recipient", "address"),
            ("amountIn", "uint256"),
            ("amountOutMin", "uint256"),
            ("path", "address[]"),
            ("payerIsUser", "bool"),
        ),
    ),
    0x09: (
        "V2_SWAP_EXACT_OUT",
        (
            ("recipient", "address"),
            ("amountOut", "uint256"),
            ("amountInMax", "uint256"),
            ("path", "address[]"),
            ("payerIsUser", "bool"),
        ),
    ),
    0x0A: ("PERMIT2_PERMIT", (("permitSingle", f"({_DETAILS},address,uint256)"), ("signature", "bytes"))),
    0x0B: ("WRAP_ETH", (("recipient", "address"), ("amountMin", "uint256"))),
    0x0C: ("UNWRAP_WETH", (("recipient", "address"), ("amountMin", "uint256"))),
    0x0D: ("PERMIT2_TRANSFER_FROM_BATCH", (("batchDetails", "(address,address,uint160,address)[]"),)),
    0x0E: ("BALANCE_CHECK_ERC20", (("owner", "address"), ("token", "address"), ("minBalance", "uint256"))),
    0x10: ("V4_SWAP", (("actions", "bytes"),)),
    0x21: ("EXECUTE_SUB_PLAN", (("commands", "bytes"), ("inputs", "bytes[]"))),
}
MAX_COMMANDS = 256


def _decode(name: str, spec: tuple[tuple[str, str], ...], data: bytes) -> DecodedCall | None:
    types = [t for _, t in spec]
    try:
        values = abi_decode(types, data, strict=True)
        if abi_encode(types, list(values)) != data:
            return None
    except (AbiError, ValueError, OverflowError):
        return None
    args = tuple(Argument(n, t, to_address(v) if t == "address" else v) for (n, t), v in zip(spec, values, strict=True))
    return DecodedCall(
        selector=Selector("0x00000000"),
        signature=f"{name}({','.join(types)})",
        name=name,
        arguments=args,
        source="universal-router",
    )


def decode_commands(
    commands: bytes, inputs: list[bytes]
) -> list[tuple[int, str, DecodedCall | None, DecodedCall | None]]:
    """(index, command name, decoded input, nested sub-plan call) per command."""
    out = []
    for i, byte in enumerate(commands[:MAX_COMMANDS]):
        code = byte & 0x3F
        name, spec = COMMANDS.get(code, (f"COMMAND_0x{code:02x}", ()))
        data = inputs[i] if i < len(inputs) else b""
        decoded = _decode(name, spec, data) if spec else None
        inner = decoded if code == 0x21 and decoded is not None else None
        out.append((i, name, decoded, inner))
    return out
