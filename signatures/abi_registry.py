"""Functions of well-known protocols and standards, with argument names and a role.

The role tells the decoder what a call means (``erc20-approve``, ``multicall``, ``safe-exec``...);
``call`` means "named but nothing special". Canonical signatures only: names come from ``names``.
These entries, with the security core in ``known_functions``, win over the big selector lists.
"""

from __future__ import annotations

_P2_DETAILS = "(address,uint160,uint48,uint48)"
_SEAPORT_ORDER = (
    "((address,address,(uint8,address,uint256,uint256,uint256)[],"
    "(uint8,address,uint256,uint256,uint256,address)[],uint8,uint256,uint256,bytes32,uint256,bytes32,"
    "uint256),bytes)"
)

# (signature, argument names, role, protocol)
REGISTRY: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    # ERC-20 / ERC-2612 / DAI
    (
        "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)",
        ("owner", "spender", "value", "deadline", "v", "r", "s"),
        "erc2612-permit",
        "ERC-2612",
    ),
    (
        "permit(address,address,uint256,uint256,bool,uint8,bytes32,bytes32)",
        ("holder", "spender", "nonce", "expiry", "allowed", "v", "r", "s"),
        "dai-permit",
        "DAI",
    ),
    ("decreaseAllowance(address,uint256)", ("spender", "subtractedValue"), "call", "ERC-20"),
    ("increaseApproval(address,uint256)", ("spender", "addedValue"), "erc20-increase-allowance", "ERC-20"),
    # ERC-721 / ERC-1155
    ("safeTransferFrom(address,address,uint256)", ("from", "to", "tokenId"), "nft-transfer", "ERC-721"),
    ("safeTransferFrom(address,address,uint256,bytes)", ("from", "to", "tokenId", "data"), "nft-transfer", "ERC-721"),
    (
        "safeTransferFrom(address,address,uint256,uint256,bytes)",
        ("from", "to", "id", "amount", "data"),
        "nft-transfer",
        "ERC-1155",
    ),
    (
        "safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)",
        ("from", "to", "ids", "amounts", "data"),
        "nft-transfer",
        "ERC-1155",
    ),
    # ERC-4626
    ("deposit(uint256,address)", ("assets", "receiver"), "call", "ERC-4626"),
    ("mint(uint256,address)", ("shares", "receiver"), "call", "ERC-4626"),
    ("withdraw(uint256,address,address)", ("assets", "receiver", "owner"), "call", "ERC-4626"),
    ("redeem(uint256,address,address)", ("shares", "receiver", "owner"), "call", "ERC-4626"),
    # WETH
    ("withdraw(uint256)", ("wad",), "call", "WETH"),
    ("deposit()", (), "call", "WETH"),
    # Permit2
    (
        f"permit(address,({_P2_DETAILS},address,uint256),bytes)",
        ("owner", "permitSingle", "signature"),
        "permit2-permit",
        "Permit2",
    ),
    (
        f"permit(address,({_P2_DETAILS}[],address,uint256),bytes)",
        ("owner", "permitBatch", "signature"),
        "permit2-permit-batch",
        "Permit2",
    ),
    (
        "approve(address,address,uint160,uint48)",
        ("token", "spender", "amount", "expiration"),
        "permit2-approve",
        "Permit2",
    ),
    ("transferFrom(address,address,uint160,address)", ("from", "to", "amount", "token"), "call", "Permit2"),
    ("transferFrom((address,address,uint160,address)[])", ("transferDetails",), "call", "Permit2"),
    ("lockdown((address,address)[])", ("approvals",), "call", "Permit2"),
    (
        "permitTransferFrom(((address,uint256),uint256,uint256),(address,uint256),address,bytes)",
        ("permit", "transferDetails", "owner", "signature"),
        "call",
        "Permit2",
    ),
    # Multicall variants
    ("multicall(bytes[])", ("data",), "multicall", "Multicall"),
    ("multicall(uint256,bytes[])", ("deadline", "data"), "multicall", "Uniswap V3"),
    ("multicall(bytes32,bytes[])", ("previousBlockhash", "data"), "multicall", "Uniswap V3"),
    ("aggregate((address,bytes)[])", ("calls",), "aggregate", "Multicall3"),
    ("tryAggregate(bool,(address,bytes)[])", ("requireSuccess", "calls"), "aggregate", "Multicall3"),
    ("blockAndAggregate((address,bytes)[])", ("calls",), "aggregate", "Multicall3"),
    ("tryBlockAndAggregate(bool,(address,bytes)[])", ("requireSuccess", "calls"), "aggregate", "Multicall3"),
    ("aggregate3((address,bool,bytes)[])", ("calls",), "aggregate3", "Multicall3"),
    ("aggregate3Value((address,bool,uint256,bytes)[])", ("calls",), "aggregate3-value", "Multicall3"),
    # Safe
    (
        "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)",
        (
            "to",
            "value",
            "data",
            "operation",
            "safeTxGas",
            "baseGas",
            "gasPrice",
            "gasToken",
            "refundReceiver",
            "signatures",
        ),
        "safe-exec",
        "Safe",
    ),
    # A module (a recovery or allowance module, a Zodiac role) makes the Safe call or DELEGATECALL
    (
        "execTransactionFromModule(address,uint256,bytes,uint8)",
        ("to", "value", "data", "operation"),
        "safe-exec",
        "Safe",
    ),
    (
        "execTransactionFromModuleReturnData(address,uint256,bytes,uint8)",
        ("to", "value", "data", "operation"),
        "safe-exec",
        "Safe",
    ),
    ("multiSend(bytes)", ("transactions",), "safe-multisend", "Safe"),
    ("enableModule(address)", ("module",), "call", "Safe"),
    ("addOwnerWithThreshold(address,uint256)", ("owner", "threshold"), "call", "Safe"),
    ("changeThreshold(uint256)", ("threshold",), "call", "Safe"),
    ("setGuard(address)", ("guard",), "call", "Safe"),
    # Uniswap Universal Router
    (
        "execute(bytes,bytes[],uint256)",
        ("commands", "inputs", "deadline"),
        "universal-router",
        "Uniswap Universal Router",
    ),
    ("execute(bytes,bytes[])", ("commands", "inputs"), "universal-router", "Uniswap Universal Router"),
    # Uniswap V2 router
    (
        "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)",
        ("amountIn", "amountOutMin", "path", "to", "deadline"),
        "call",
        "Uniswap V2",
    ),
    (
        "swapTokensForExactTokens(uint256,uint256,address[],address,uint256)",
        ("amountOut", "amountInMax", "path", "to", "deadline"),
        "call",
        "Uniswap V2",
    ),
    (
        "swapExactETHForTokens(uint256,address[],address,uint256)",
        ("amountOutMin", "path", "to", "deadline"),
        "call",
        "Uniswap V2",
    ),
    (
        "swapExactTokensForETH(uint256,uint256,address[],address,uint256)",
        ("amountIn", "amountOutMin", "path", "to", "deadline"),
        "call",
        "Uniswap V2",
    ),
    (
        "swapETHForExactTokens(uint256,address[],address,uint256)",
        ("amountOut", "path", "to", "deadline"),
        "call",
        "Uniswap V2",
    ),
    (
        "addLiquidity(address,address,uint256,uint256,uint256,uint256,address,uint256)",
        ("tokenA", "tokenB", "amountADesired", "amountBDesired", "amountAMin", "amountBMin", "to", "deadline"),
        "call",
        "Uniswap V2",
    ),
    (
        "removeLiquidity(address,address,uint256,uint256,uint256,address,uint256)",
        ("tokenA", "tokenB", "liquidity", "amountAMin", "amountBMin", "to", "deadline"),
        "call",
        "Uniswap V2",
    ),
    # Uniswap V3 router (SwapRouter02 drops the deadline from the structs)
    (
        "exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))",
        ("params",),
        "call",
        "Uniswap V3",
    ),
    ("exactInputSingle((address,address,uint24,address,uint256,uint256,uint160))", ("params",), "call", "Uniswap V3"),
    ("exactInput((bytes,address,uint256,uint256,uint256))", ("params",), "call", "Uniswap V3"),
    ("exactInput((bytes,address,uint256,uint256))", ("params",), "call", "Uniswap V3"),
    (
        "exactOutputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))",
        ("params",),
        "call",
        "Uniswap V3",
    ),
    ("exactOutputSingle((address,address,uint24,address,uint256,uint256,uint160))", ("params",), "call", "Uniswap V3"),
    ("exactOutput((bytes,address,uint256,uint256,uint256))", ("params",), "call", "Uniswap V3"),
    ("exactOutput((bytes,address,uint256,uint256))", ("params",), "call", "Uniswap V3"),
    ("unwrapWETH9(uint256,address)", ("amountMinimum", "recipient"), "call", "Uniswap V3"),
    ("unwrapWETH9(uint256)", ("amountMinimum",), "call", "Uniswap V3"),
    ("refundETH()", (), "call", "Uniswap V3"),
    ("sweepToken(address,uint256,address)", ("token", "amountMinimum", "recipient"), "call", "Uniswap V3"),
    (
        "selfPermit(address,uint256,uint256,uint8,bytes32,bytes32)",
        ("token", "value", "deadline", "v", "r", "s"),
        "call",
        "Uniswap V3",
    ),
    # Seaport 1.5 / 1.6
    (f"fulfillOrder({_SEAPORT_ORDER},bytes32)", ("order", "fulfillerConduitKey"), "call", "Seaport"),
    (
        "cancel((address,address,(uint8,address,uint256,uint256,uint256)[],(uint8,address,uint256,uint256,uint256,"
        "address)[],uint8,uint256,uint256,bytes32,uint256,bytes32,uint256)[])",
        ("orders",),
        "call",
        "Seaport",
    ),
    ("incrementCounter()", (), "call", "Seaport"),
    # 1inch Aggregation Router v5/v6
    (
        "swap(address,(address,address,address,address,uint256,uint256,uint256),bytes,bytes)",
        ("executor", "desc", "permit", "data"),
        "call",
        "1inch",
    ),
    (
        "swap(address,(address,address,address,address,uint256,uint256,uint256),bytes)",
        ("executor", "desc", "data"),
        "call",
        "1inch",
    ),
    ("unoswap(address,uint256,uint256,uint256[])", ("srcToken", "amount", "minReturn", "pools"), "call", "1inch"),
    ("uniswapV3Swap(uint256,uint256,uint256[])", ("amount", "minReturn", "pools"), "call", "1inch"),
    # 0x Exchange Proxy
    (
        "transformERC20(address,address,uint256,uint256,(uint32,bytes)[])",
        ("inputToken", "outputToken", "inputTokenAmount", "minOutputTokenAmount", "transformations"),
        "call",
        "0x",
    ),
    (
        "sellToUniswap(address[],uint256,uint256,bool)",
        ("tokens", "sellAmount", "minBuyAmount", "isSushi"),
        "call",
        "0x",
    ),
)
