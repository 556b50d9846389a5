"""Message signatures (personal_sign): readable text, or opaque bytes.

A message is text when it is valid UTF-8 without control characters other than line breaks and
tabs; text in the EIP-4361 format is a login, parsed into its fields.
"""

from __future__ import annotations

import unicodedata

from txfirewall.model.intent import Intent, IntentKind
from txfirewall.signatures.siwe import parse_siwe

MAX_MESSAGE_BYTES = 64 * 1024


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
    login = parse_siwe(text)
    if login is not None:
        return Intent(kind=IntentKind.LOGIN, summary="", message=text, login=login)
    return Intent(kind=IntentKind.MESSAGE_SIGNATURE, summary="", message=text)
