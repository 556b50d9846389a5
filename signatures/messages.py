"""Message signatures (personal_sign): readable text, or opaque bytes.

A message is text when it is valid UTF-8 without control characters other than line breaks and
tabs; text in the EIP-4361 format is a login, parsed into its fields.
"""

from __future__ import annotations

import re
import unicodedata

from txfirewall.model.intent import Intent, IntentKind
from txfirewall.signatures.siwe import parse_siwe

MAX_MESSAGE_BYTES = 64 * 1024
_HEX_TEXT = re.compile(r"\s*(0x)?([0-9a-fA-F]{2}){20,}\s*", re.ASCII)
"""Text that is only hex (a hash, a transaction, an address list written out): as opaque to a
person as the raw bytes, so it is treated like them (a 32-byte hash as text is the classic case)."""


def as_text(payload: bytes) -> str | None:
    if len(payload) > MAX_MESSAGE_BYTES:
        return None
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
    for ch in text:
        if ch in "\n\r\t":
            continue
        if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            return None
    return text


def decode_personal_message(payload: bytes) -> Intent:
    text = as_text(payload)
    if text is None:
        note = f"{len(payload)} bytes that are not readable text"
        if len(payload) == 32:
            note += " (looks like a 32-byte hash)"
        return Intent(kind=IntentKind.MESSAGE_SIGNATURE, summary="", notes=(note,))
    hex_text = _HEX_TEXT.fullmatch(text)
    if hex_text is not None:
        digits = len(text.strip().removeprefix("0x").removeprefix("0X")) // 2
        what = "a 32-byte hash" if digits == 32 else f"{digits} bytes"
        return Intent(
            kind=IntentKind.MESSAGE_SIGNATURE,
            summary="",
            notes=(f"the text is only hex digits: {what} written out, not something a person can read",),
        )
    login = parse_siwe(text)
    if login is not None:
        return Intent(kind=IntentKind.LOGIN, summary="", message=text, login=login)
    return Intent(kind=IntentKind.MESSAGE_SIGNATURE, summary="", message=text)
