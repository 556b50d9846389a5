"""The JSON-RPC proxy in front of a wallet: it analyses every signing request before it is passed on."""
