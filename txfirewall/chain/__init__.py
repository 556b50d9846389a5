"""The chain: the upstream JSON-RPC client and the Anvil nodes (finding, installing, starting).

A foundation: stages import it; it imports only ``model`` and ``errors``."""
