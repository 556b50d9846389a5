"""The real protocols on the fixture chain: npm bytecode at the mainnet addresses, real pools, and
alice's everyday use of them (history and sample requests).

Placement: the contract's real creation code (artifacts/npm/, with constructor arguments equal to
the canonical addresses of its dependencies) is run as a ``debug_traceCall`` contract creation with
the prestate tracer in diff mode; the runtime code and the storage the constructor wrote are then
set at the canonical address with ``anvil_setCode`` / ``anvil_setStorageAt``. Nothing is mined and
no stand-in deployment is left behind. Immutables holding ``address(this)`` (Uniswap V3's
``NoDelegateCall``) are rewritten from the scratch address to the canonical one.
"""

from __future__ import annotations

import json
from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import to_checksum_address

from anvil_fixtures import npm_artifacts
from anvil_fixtures.fixture_builder import (
    CHAIN_ID,
    ETH,
    HEAD_TIMESTAMP,
    MAX_UINT160,
    MAX_UINT256,
    PERMIT2_ADDRESS,
    USDX,
    ZERO,
    Builder,
    calldata,
    hexq,
    ts,
)

WETH9 = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
V2_FACTORY = "0x5C69bEe701ef814a2B6a3EDD4B1652CB9cc5aA6f"
V2_ROUTER02 = "0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D"
V3_FACTORY = "0x1F98431c8aD98523631AE4a59f267346ea31F984"
V3_POSITION_MANAGER = "0xC36442b4a4522E871399CD717aBDD847Ab11FE88"
V3_SWAP_ROUTER = "0xE592427A0AEce92De3Edee1F18E0157C05861564"
SWAP_ROUTER02 = "0x68b3465833fb72A70ecDF485E0e4C7bD8665Fc45"
UNIVERSAL_ROUTER = "0x66a9893cC07D91D95644AEDD05D03f95e1dBA8Af"  # Universal Router 2.0 on mainnet
SAFE_SINGLETON = "0x41675C099F32341bf84BFc5382aF534df5C7461a"  # Safe 1.4.1
SAFE_PROXY_FACTORY = "0x4e1DCf7AD4e460CfD30791CCC4F9c8a4f820ec67"
SAFE_FALLBACK_HANDLER = "0xfd0732Dc9E303f09fCEf3a7388Ad10A83459Ec99"
SAFE_MULTISEND_CALL_ONLY = "0x9641d764fc13c8B624c04430C7356C1C7C8102e2"
# Passed to constructors as on mainnet but not deployed here (no code at these addresses).
V3_TOKEN_DESCRIPTOR = "0xEe6A57eC80ea46401049E92587E52f5Ec1c24785"
V4_POOL_MANAGER = "0x000000000004444c5dc75cB358380D2e3dE08A90"
V4_POSITION_MANAGER = "0xbD216513d74C8cf14cf4747E6AaA6420FF64ee9e"

MAINNET_V3_POOL_INIT_CODE_HASH = "0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54"
V3_FEE = 3000
V3_TICK_SPACING = 60
# 2,500 USDX per ETH with USDX as token0 (6 decimals) and WETH as token1 (18): price 4e8 = 20000^2.
V3_SQRT_PRICE_X96 = 20_000 * 2**96
FULL_RANGE = (-887_220, 887_220)

MSG_SENDER = "0x0000000000000000000000000000000000000001"  # Universal Router ActionConstants
ADDRESS_THIS = "0x0000000000000000000000000000000000000002"
UR_V3_SWAP_EXACT_IN, UR_PERMIT2_PERMIT, UR_UNWRAP_WETH = 0x00, 0x0A, 0x0C

DEADLINE_XFAIL = "simulation-divergence on deadlines (issue 9, being fixed)"

MINT_PARAMS = "(address,address,uint24,int24,int24,uint256,uint256,uint256,uint256,address,uint256)"
PERMIT_SINGLE = "((address,uint160,uint48,uint48),address,uint256)"
SAFE_EXEC = "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)"


def v2_pair_init_code_hash() -> str:
    """keccak256 of the npm UniswapV2Pair creation code; the npm Router02 hard-codes this same value
    (the mainnet pair's is 0x96e8ac42782006f8..., from a different build)."""
    return npm_artifacts.code_hash(npm_artifacts.load("UniswapV2Pair")["bytecode"])


def v3_pool_init_code_hash() -> str:
    got = npm_artifacts.code_hash(npm_artifacts.load("UniswapV3Pool")["bytecode"])
    if got != MAINNET_V3_POOL_INIT_CODE_HASH:
        raise RuntimeError(f"npm UniswapV3Pool init code hash {got} is not mainnet's")
    return got


def placements(deployer: str) -> list[tuple[str, str, str, list[str], list[Any]]]:
    """(role, npm artifact, canonical address, constructor types, constructor args), in order."""
    router_params = (
        PERMIT2_ADDRESS,
        WETH9,
        V2_FACTORY,
        V3_FACTORY,
        bytes.fromhex(v2_pair_init_code_hash()[2:]),
        bytes.fromhex(v3_pool_init_code_hash()[2:]),
        V4_POOL_MANAGER,
        V3_POSITION_MANAGER,
        V4_POSITION_MANAGER,
    )
    return [
        ("weth", "WETH9", WETH9, [], []),
        ("uniswap_v2_core_factory", "UniswapV2Factory", V2_FACTORY, ["address"], [deployer]),
        ("uniswap_v2_router02", "UniswapV2Router02", V2_ROUTER02, ["address", "address"], [V2_FACTORY, WETH9]),
        ("uniswap_v3_factory", "UniswapV3Factory", V3_FACTORY, [], []),
        (
            "uniswap_v3_position_manager",
            "NonfungiblePositionManager",
            V3_POSITION_MANAGER,
            ["address", "address", "address"],
            [V3_FACTORY, WETH9, V3_TOKEN_DESCRIPTOR],
        ),
        ("uniswap_v3_swap_router", "SwapRouter", V3_SWAP_ROUTER, ["address", "address"], [V3_FACTORY, WETH9]),
        (
            "uniswap_swap_router02",
            "SwapRouter02",
            SWAP_ROUTER02,
            ["address", "address", "address", "address"],
            [V2_FACTORY, V3_FACTORY, V3_POSITION_MANAGER, WETH9],
        ),
        (
            "universal_router",
            "UniversalRouter",
            UNIVERSAL_ROUTER,
            ["(address,address,address,address,bytes32,bytes32,address,address,address)"],
            [router_params],
        ),
        ("safe_singleton", "Safe", SAFE_SINGLETON, [], []),
        ("safe_proxy_factory", "SafeProxyFactory", SAFE_PROXY_FACTORY, [], []),
        ("safe_fallback_handler", "CompatibilityFallbackHandler", SAFE_FALLBACK_HANDLER, [], []),
        ("safe_multisend_call_only", "MultiSendCallOnly", SAFE_MULTISEND_CALL_ONLY, [], []),
    ]


def place(b: Builder, artifact: str, address: str, ctor_types: list[str], args: list[Any]) -> None:
    """Run the real constructor in a traced call and install its result at ``address``."""
    doc = npm_artifacts.load(artifact)
    creation = bytes.fromhex(doc["bytecode"][2:]) + (abi_encode(ctor_types, args) if ctor_types else b"")
    call = {"from": b.addr["deployer"], "data": "0x" + creation.hex(), "gas": hexq(30_000_000)}
    trace = b.rpc("debug_traceCall", call, "latest", {"tracer": "prestateTracer", "tracerConfig": {"diffMode": True}})
    created = [(a, post) for a, post in trace["post"].items() if post.get("code")]
    if len(created) != 1:
        raise RuntimeError(f"{artifact}: expected one created contract, got {[a for a, _ in created]}")
    ((scratch, post),) = created
    code = bytes.fromhex(post["code"][2:])
    if len(code) * 2 + 2 != len(doc["deployedBytecode"]):
        raise RuntimeError(f"{artifact}: runtime code length differs from the artifact's deployedBytecode")
    code = code.replace(bytes.fromhex(scratch[2:]), bytes.fromhex(address[2:]))
    b.rpc("anvil_setCode", address, "0x" + code.hex())
    b.rpc("anvil_setNonce", address, "0x1")
    for slot, value in sorted((post.get("storage") or {}).items()):
        b.rpc("anvil_setStorageAt", address, slot, value)


def place_all(b: Builder) -> tuple[dict[str, str], dict[str, str]]:
    """Install every real protocol contract; return (role -> address, role -> artifact name)."""
    contracts: dict[str, str] = {}
    artifacts: dict[str, str] = {}
    for role, artifact, address, types, args in placements(b.addr["deployer"]):
        place(b, artifact, address, types, args)
        contracts[role] = to_checksum_address(address)
        artifacts[role] = f"npm/{artifact}"
    return contracts, artifacts


def _mint_params(
    token0: str, token1: str, ticks: tuple[int, int], amounts: tuple[int, int], mins: tuple[int, int], to: str, dl: int
) -> tuple[Any, ...]:
    return (token0, token1, V3_FEE, ticks[0], ticks[1], amounts[0], amounts[1], mins[0], mins[1], to, dl)


def seed_pools(b: Builder, c: dict[str, str]) -> dict[str, str]:
    """deployer seeds a real V2 pair (500,000 USDX / 200 ETH) and a real V3 0.3% pool (full range,
    400,000 USDX / 160 ETH), both USDX/WETH at 2,500 USDX per ETH."""
    usdx, deployer = c["usdx"], b.addr["deployer"]
    if int(usdx, 16) >= int(WETH9, 16):
        raise RuntimeError("the V3 price and ticks assume USDX sorts before WETH (token0)")
    b.send("deployer", usdx, calldata("approve(address,uint256)", V2_ROUTER02, MAX_UINT256), method="approve")
    b.send(
        "deployer",
        V2_ROUTER02,
        calldata(
            "addLiquidityETH(address,uint256,uint256,uint256,address,uint256)",
            usdx,
            500_000 * USDX,
            0,
            0,
            deployer,
            b.now + 1200,
        ),
        value=200 * ETH,
        method="addLiquidityETH",
    )
    b.send(
        "deployer",
        V3_POSITION_MANAGER,
        calldata(
            "createAndInitializePoolIfNecessary(address,address,uint24,uint160)", usdx, WETH9, V3_FEE, V3_SQRT_PRICE_X96
        ),
        method="createAndInitializePoolIfNecessary",
    )
    b.send("deployer", usdx, calldata("approve(address,uint256)", V3_POSITION_MANAGER, MAX_UINT256), method="approve")
    mint = calldata(
        f"mint({MINT_PARAMS})",
        _mint_params(usdx, WETH9, FULL_RANGE, (400_000 * USDX, 160 * ETH), (0, 0), deployer, b.now + 1200),
    )
    b.send(
        "deployer",
        V3_POSITION_MANAGER,
        calldata("multicall(bytes[])", [mint, calldata("refundETH()")]),
        value=160 * ETH,
        method="multicall",
    )
    (pair,) = b.call(V2_FACTORY, calldata("getPair(address,address)", usdx, WETH9), ["address"])
    (pool,) = b.call(V3_FACTORY, calldata("getPool(address,address,uint24)", usdx, WETH9, V3_FEE), ["address"])
    return {
        "uniswap_v2_usdx_weth_pair": to_checksum_address(pair),
        "uniswap_v3_usdx_weth_pool": to_checksum_address(pool),
    }


def alice_swaps_on_uniswap_v2(b: Builder, c: dict[str, str]) -> None:
    """2025-02: alice buys USDX with 0.2 ETH on the real router, then approves it for 1,000 USDX."""
    alice, path = b.addr["alice"], [WETH9, c["usdx"]]
    (amounts,) = b.call(V2_ROUTER02, calldata("getAmountsOut(uint256,address[])", ETH // 5, path), ["uint256[]"])
    b.at(ts("2025-02-11 10:00"))
    b.send(
        "alice",
        V2_ROUTER02,
        calldata(
            "swapExactETHForTokens(uint256,address[],address,uint256)",
            amounts[-1] * 995 // 1000,
            path,
            alice,
            b.now + 1200,
        ),
        value=ETH // 5,
        method="swapExactETHForTokens",
    )
    b.at(ts("2025-02-11 10:04"))
    b.send("alice", c["usdx"], calldata("approve(address,uint256)", V2_ROUTER02, 1_000 * USDX), method="approve")


def safe_setup(owner: str) -> bytes:
    return calldata(
        "setup(address[],uint256,address,bytes,address,address,uint256,address)",
        [owner],
        1,
        ZERO,
        b"",
        SAFE_FALLBACK_HANDLER,
        ZERO,
        0,
        ZERO,
    )


def alice_opens_a_safe(b: Builder) -> str:
    """2026-03: alice creates a 1-of-1 Safe through the proxy factory (as Safe{Wallet} does, salt =
    creation time in ms) and moves 1.5 ETH into it. Returns the Safe's address."""
    b.at(ts("2026-03-15 11:00"))
    data = calldata(
        "createProxyWithNonce(address,bytes,uint256)", SAFE_SINGLETON, safe_setup(b.addr["alice"]), b.now * 1000
    )
    (safe,) = b.call(SAFE_PROXY_FACTORY, data, ["address"], sender=b.addr["alice"])
    b.send("alice", SAFE_PROXY_FACTORY, data, method="createProxyWithNonce")
    b.at(ts("2026-03-15 11:06"))
    b.send("alice", to_checksum_address(safe), value=3 * ETH // 2)
    return to_checksum_address(safe)


def alice_approves_position_manager(b: Builder, c: dict[str, str]) -> None:
    """2026-05: alice approves the V3 position manager for unlimited USDX, as the Uniswap app asks."""
    b.at(ts("2026-05-09 16:40"))
    b.send("alice", c["usdx"], calldata("approve(address,uint256)", V3_POSITION_MANAGER, MAX_UINT256), method="approve")


def _v3_quote_out(b: Builder, pool: str, amount_in_token0: int) -> int:
    """token0 -> token1 output of the full-range pool (constant product on its virtual reserves)."""
    (liquidity,) = b.call(pool, calldata("liquidity()"), ["uint128"])
    (sqrt_price,) = b.call(pool, calldata("slot0()"), ["uint160"])
    x = liquidity * 2**96 // sqrt_price
    y = liquidity * sqrt_price // 2**96
    x_after = x + amount_in_token0 * (10**6 - V3_FEE) // 10**6
    return y - liquidity * liquidity // x_after - 1


def _ticks_around(price_tick: int, width: int) -> tuple[int, int]:
    lower = (price_tick - width) // V3_TICK_SPACING * V3_TICK_SPACING
    upper = -((-(price_tick + width)) // V3_TICK_SPACING) * V3_TICK_SPACING
    return lower, upper


def permit2_typed_data(token: str, nonce: int, now: int) -> dict[str, Any]:
    """The Uniswap app's PermitSingle for the Universal Router: max amount, 30-day expiration,
    30-minute signature deadline (JSON form, numbers as decimal strings, as wallets receive it)."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "PermitSingle": [
                {"name": "details", "type": "PermitDetails"},
                {"name": "spender", "type": "address"},
                {"name": "sigDeadline", "type": "uint256"},
            ],
            "PermitDetails": [
                {"name": "token", "type": "address"},
                {"name": "amount", "type": "uint160"},
                {"name": "expiration", "type": "uint48"},
                {"name": "nonce", "type": "uint48"},
            ],
        },
        "primaryType": "PermitSingle",
        "domain": {"name": "Permit2", "chainId": CHAIN_ID, "verifyingContract": PERMIT2_ADDRESS},
        "message": {
            "details": {
                "token": token,
                "amount": str(MAX_UINT160),
                "expiration": str(now + 30 * 86400),
                "nonce": str(nonce),
            },
            "spender": UNIVERSAL_ROUTER,
            "sigDeadline": str(now + 30 * 60),
        },
    }


def ur_permit_swap(
    b: Builder, usdx: str, pool: str, key: str, now: int, *, nonce: int, amount: int
) -> tuple[dict[str, Any], bytes]:
    """(permit typed data, execute calldata) for "swap ``amount`` USDX for ETH" on the Universal
    Router: PERMIT2_PERMIT with the signed permit, V3_SWAP_EXACT_IN to the router, UNWRAP_WETH to
    the sender, 0.5% slippage, deadline = the signature deadline (30 minutes)."""
    typed = permit2_typed_data(usdx, nonce, now)
    msg = typed["message"]
    details = (usdx, MAX_UINT160, int(msg["details"]["expiration"]), nonce)
    deadline = int(msg["sigDeadline"])
    to_sign = {
        **typed,
        "message": {
            "details": dict(zip(("token", "amount", "expiration", "nonce"), details, strict=True)),
            "spender": UNIVERSAL_ROUTER,
            "sigDeadline": deadline,
        },
    }
    signature = bytes(Account.sign_message(encode_typed_data(full_message=to_sign), key).signature)
    eth_out_min = _v3_quote_out(b, pool, amount) * 995 // 1000
    path = bytes.fromhex(usdx[2:]) + V3_FEE.to_bytes(3, "big") + bytes.fromhex(WETH9[2:])
    inputs = [
        abi_encode([PERMIT_SINGLE, "bytes"], [(details, UNIVERSAL_ROUTER, deadline), signature]),
        abi_encode(["address", "uint256", "uint256", "bytes", "bool"], [ADDRESS_THIS, amount, eth_out_min, path, True]),
        abi_encode(["address", "uint256"], [MSG_SENDER, eth_out_min]),
    ]
    commands = bytes([UR_PERMIT2_PERMIT, UR_V3_SWAP_EXACT_IN, UR_UNWRAP_WETH])
    return typed, calldata("execute(bytes,bytes[],uint256)", commands, inputs, deadline)


def alice_swaps_on_universal_router(b: Builder, c: dict[str, str], alice_key: str) -> None:
    """2025-10: alice, who approved Permit2 in September, signs her first permit for the Universal
    Router and swaps 200 USDX for ETH through it (the permit expires 30 days later)."""
    b.at(ts("2025-10-02 19:30"))
    _, execute = ur_permit_swap(
        b, c["usdx"], c["uniswap_v3_usdx_weth_pool"], alice_key, b.now, nonce=0, amount=200 * USDX
    )
    b.send("alice", UNIVERSAL_ROUTER, execute, method="execute")


Sample = tuple[str, str, str, str, dict[str, Any]]


def samples(b: Builder, c: dict[str, str], addr: dict[str, str], alice_key: str) -> list[Sample]:
    """Everyday requests on the real protocols, exactly as a wallet sends them (expected: allow)."""
    alice, usdx = addr["alice"], c["usdx"]
    send = "eth_sendTransaction"

    def tx(to: str, data: bytes, value: int = 0) -> dict[str, Any]:
        return {"from": alice, "to": to, "value": hexq(value), "data": "0x" + data.hex()}

    def v2_eth_for_usdx(minutes: int) -> dict[str, Any]:
        path = [WETH9, usdx]
        (amounts,) = b.call(V2_ROUTER02, calldata("getAmountsOut(uint256,address[])", ETH // 10, path), ["uint256[]"])
        data = calldata(
            "swapExactETHForTokens(uint256,address[],address,uint256)",
            amounts[-1] * 995 // 1000,
            path,
            alice,
            HEAD_TIMESTAMP + 60 * minutes,
        )
        return {"method": send, "params": [tx(V2_ROUTER02, data, ETH // 10)]}

    path_out = [usdx, WETH9]
    (sell_quote,) = b.call(
        V2_ROUTER02, calldata("getAmountsOut(uint256,address[])", 100 * USDX, path_out), ["uint256[]"]
    )
    v2_usdx_for_eth = calldata(
        "swapExactTokensForETH(uint256,uint256,address[],address,uint256)",
        100 * USDX,
        sell_quote[-1] * 995 // 1000,
        path_out,
        alice,
        HEAD_TIMESTAMP + 1200,
    )

    pool = c["uniswap_v3_usdx_weth_pool"]
    permit_typed, ur_execute = ur_permit_swap(b, usdx, pool, alice_key, HEAD_TIMESTAMP, nonce=1, amount=100 * USDX)

    # Safe{Wallet} with a 1-of-1 Safe: the owner executes directly with a pre-validated signature
    # (r = owner, s = 0, v = 1).
    safe = c["alice_safe"]
    prevalidated = abi_encode(["uint256", "uint256"], [int(alice, 16), 0]) + b"\x01"
    safe_exec = calldata(SAFE_EXEC, addr["bob"], ETH // 5, b"", 0, 0, 0, 0, ZERO, ZERO, prevalidated)

    # A new V3 position around the current price (about +-10%), paying the WETH side in ETH.
    (slot0,) = b.call(pool, calldata("slot0()"), ["(uint160,int24,uint16,uint16,uint16,uint8,bool)"])
    ticks = _ticks_around(slot0[1], 960)
    want = (1_000 * USDX, 2 * ETH // 5)
    probe = calldata(
        f"mint({MINT_PARAMS})", _mint_params(usdx, WETH9, ticks, want, (0, 0), alice, HEAD_TIMESTAMP + 600)
    )
    (_, _, used0, used1) = b.call(
        V3_POSITION_MANAGER, probe, ["uint256", "uint128", "uint256", "uint256"], sender=alice, value=want[1]
    )
    mins = (used0 * 995 // 1000, used1 * 995 // 1000)
    mint = calldata(f"mint({MINT_PARAMS})", _mint_params(usdx, WETH9, ticks, want, mins, alice, HEAD_TIMESTAMP + 600))
    v3_mint = calldata("multicall(bytes[])", [mint, calldata("refundETH()")])

    return [
        (
            "p_v2_swap_eth_for_usdx_20min.json",
            "Uniswap V2: swap 0.1 ETH for USDX, 20-minute deadline",
            "allow",
            "swapExactETHForTokens on the real Router02 alice used before, 0.5% slippage, deadline 20 minutes after the head.",
            v2_eth_for_usdx(20),
        ),
        (
            "q_v2_swap_usdx_for_eth_20min.json",
            "Uniswap V2: swap 100 USDX for ETH, 20-minute deadline",
            "allow",
            "swapExactTokensForETH within alice's 1,000 USDX allowance to the real Router02; ETH comes back to her.",
            {"method": send, "params": [tx(V2_ROUTER02, v2_usdx_for_eth)]},
        ),
        (
            "r_v2_swap_eth_for_usdx_5min.json",
            "Uniswap V2: swap 0.1 ETH for USDX, 5-minute deadline",
            "allow",
            "Same swap with a 5-minute deadline, as a wallet with a short deadline setting sends it.",
            v2_eth_for_usdx(5),
        ),
        (
            "s_v2_swap_eth_for_usdx_1min.json",
            "Uniswap V2: swap 0.1 ETH for USDX, 1-minute deadline",
            "allow",
            "Same swap with a 1-minute deadline: still valid in the next block.",
            v2_eth_for_usdx(1),
        ),
        (
            "t_permit2_universal_router_typed_data.json",
            "Permit2 PermitSingle for the Universal Router",
            "allow",
            "The Uniswap app's Permit2 signature (nonce 1; her October 2025 permit has expired): USDX for the "
            "Universal Router alice swapped through before, 30-day expiration, 30-minute signature deadline.",
            {"method": "eth_signTypedData_v4", "params": [alice, json.dumps(permit_typed, separators=(",", ":"))]},
        ),
        (
            "u_universal_router_permit_swap.json",
            "Universal Router: permit + swap 100 USDX for ETH (V3)",
            "allow",
            "execute(PERMIT2_PERMIT, V3_SWAP_EXACT_IN, UNWRAP_WETH) with alice's signature, as in her October 2025 "
            "swap; 30-minute deadline; ETH comes back to her.",
            {"method": send, "params": [tx(UNIVERSAL_ROUTER, ur_execute)]},
        ),
        (
            "v_safe_exec_eth_to_bob.json",
            "Safe: execTransaction sending 0.2 ETH to bob",
            "allow",
            "alice's own 1-of-1 Safe (created in March 2026) pays her friend bob; owner-executed, pre-validated signature.",
            {"method": send, "params": [tx(safe, safe_exec)]},
        ),
        (
            "w_v3_mint_position.json",
            "Uniswap V3: new USDX/ETH position (10-minute deadline)",
            "allow",
            "NonfungiblePositionManager multicall(mint, refundETH): 1,000 USDX + up to 0.4 ETH into the 0.3% pool, "
            "the position NFT to alice.",
            {"method": send, "params": [tx(V3_POSITION_MANAGER, v3_mint, want[1])]},
        ),
    ]
