"""The terminal app (``txfirewall tui``): see what you sign, confirm the unusual deliberately.

``app.TxFirewallApp`` is the Textual application; ``options.TuiOptions`` what it starts with.
Nothing outside this package imports Textual or Rich (``tests/unit/test_architecture.py``), and
importing ``txfirewall`` never loads this package.
"""
