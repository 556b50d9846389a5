"""The data model shared by every stage: requests, intents, simulations, facts, findings, verdicts.

Everything here is a frozen dataclass; nothing here does I/O or imports another txfirewall layer.
"""
