"""Parse: the JSON-RPC envelope, raw and unsigned transactions, typed data and
``wallet_sendCalls`` into one ``Request`` (``request.parse_request``). Strict: an ambiguous
input is a typed error, never a guess."""
