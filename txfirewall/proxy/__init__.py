"""The JSON-RPC proxy: a firewall in front of any wallet (``txfirewall proxy``)."""
