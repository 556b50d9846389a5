"""Turning bytes into meaning: calldata, messages and (later) typed data, decoded offline."""

from __future__ import annotations

from txfirewall.signatures.decode import decode_request
from txfirewall.signatures.intent_text import describe

__all__ = ["decode_request", "describe"]
