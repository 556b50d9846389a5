"""Simulate: the pinned Anvil fork and its manager, the next-block environment,
``eth_simulateV1`` batches and what they did (asset, approval and code changes, call frames),
what a signature enables, and the evasion differential."""
