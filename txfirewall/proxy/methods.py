"""Which JSON-RPC methods the proxy forwards without analysis: a closed list of reads.

Deny by default: a method not listed here is analysed as a signing request before anything is
forwarded, and one txfirewall cannot analyse is refused with the reason. A new signing method
(``eth_sendRawTransactionSync``, a ``wallet_*`` extension, a ``personal_*`` namespace) is therefore
refused until someone classifies it; a read that is missing costs a clear error and a line here
(or ``--allow-method``), never a drained account.
"""

from __future__ import annotations

READ_METHODS: frozenset[str] = frozenset(
    {
        "eth_accounts",
        "eth_blobBaseFee",
        "eth_blockNumber",
        "eth_call",
        "eth_chainId",
        "eth_coinbase",
        "eth_createAccessList",
        "eth_estimateGas",
        "eth_feeHistory",
        "eth_gasPrice",
        "eth_getBalance",
        "eth_getBlockByHash",
        "eth_getBlockByNumber",
        "eth_getBlockReceipts",
        "eth_getBlockTransactionCountByHash",
        "eth_getBlockTransactionCountByNumber",
        "eth_getCode",
        "eth_getFilterChanges",
        "eth_getFilterLogs",
        "eth_getLogs",
        "eth_getProof",
        "eth_getStorageAt",
        "eth_getTransactionByBlockHashAndIndex",
        "eth_getTransactionByBlockNumberAndIndex",
        "eth_getTransactionByHash",
        "eth_getTransactionCount",
        "eth_getTransactionReceipt",
        "eth_getUncleByBlockHashAndIndex",
        "eth_getUncleByBlockNumberAndIndex",
        "eth_getUncleCountByBlockHash",
        "eth_getUncleCountByBlockNumber",
        "eth_hashrate",
        "eth_maxPriorityFeePerGas",
        "eth_mining",
        "eth_newBlockFilter",
        "eth_newFilter",
        "eth_newPendingTransactionFilter",
        "eth_protocolVersion",
        "eth_simulateV1",
        "eth_syncing",
        "eth_uninstallFilter",
        "net_listening",
        "net_peerCount",
        "net_version",
        "web3_clientVersion",
        "web3_sha3",
    }
)
"""Methods that read chain state and cannot move funds or sign anything."""

SUBSCRIPTION_METHODS: frozenset[str] = frozenset({"eth_subscribe", "eth_unsubscribe"})
"""Reads that only make sense on a WebSocket; over HTTP they are answered with an error."""
