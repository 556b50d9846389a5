"""Strict JSON reading for requests: one meaning per document, or a typed error.

Two parsers reading ``{"method":"eth_chainId","method":"eth_sendTransaction"}`` can disagree on
which method it is (Python keeps the last key, others the first); Go's decoder matches keys
case-insensitively. So duplicate keys and keys differing only by case are rejected outright.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

from txfirewall.errors import MalformedJsonError, NonCanonicalKeyError

MAX_REQUEST_BYTES = 5 * 1024 * 1024
MAX_JSON_RECURSION = 2_000
"""json's C scanner recurses per nesting level; py_ecc (imported by eth-account) raises the
interpreter's recursion limit to 100,000, past what the C stack holds, so "[" * 100_000 would
crash the process instead of raising RecursionError. The limit is lowered around parsing."""


_LIMIT_LOCK = threading.Lock()


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, str] = {}
    result: dict[str, Any] = {}
    for key, value in pairs:
        folded = key.casefold()
        if folded in seen:
            other = seen[folded]
            if other == key:
                raise NonCanonicalKeyError(f"duplicate key {key!r}")
            raise NonCanonicalKeyError(f"keys {other!r} and {key!r} differ only by case")
        seen[folded] = key
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise MalformedJsonError(f"{name} is not valid JSON")


def loads_bounded(text: str | bytes, **kwargs: Any) -> Any:
    """``json.loads`` for untrusted text (requests, RPC replies, user files), under a nesting
    bound: too deep raises ``json.JSONDecodeError`` ("nested too deeply"), never a crash; so does
    an integer too long for Python to convert ("number too long"), never a bare ``ValueError``."""
    # The limit is process-wide: two threads lowering and restoring it at once could leave it
    # stuck low, so the change is serialised (parsing holds the GIL anyway).
    with _LIMIT_LOCK:
        previous = sys.getrecursionlimit()
        try:
            sys.setrecursionlimit(min(previous, MAX_JSON_RECURSION))
            return json.loads(text, **kwargs)
        except RecursionError:
            doc = text if isinstance(text, str) else ""
            raise json.JSONDecodeError("nested too deeply", doc, 0) from None
        except json.JSONDecodeError:
            raise
        except ValueError as exc:
            # An integer of more than 4,300 digits (sys.get_int_max_str_digits()): valid JSON
            # that Python refuses to convert, with a bare ValueError.
            doc = text if isinstance(text, str) else ""
            raise json.JSONDecodeError(f"number too long ({exc})", doc, 0) from None
        finally:
            sys.setrecursionlimit(previous)


def loads_strict(text: str | bytes) -> Any:
    """Parse JSON, rejecting duplicate/case-variant keys, NaN/Infinity and oversized input."""
    if isinstance(text, bytes):
        if len(text) > MAX_REQUEST_BYTES:
            raise MalformedJsonError(f"request is larger than {MAX_REQUEST_BYTES} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedJsonError(f"request is not UTF-8: {exc}") from exc
    if len(text) > MAX_REQUEST_BYTES:
        raise MalformedJsonError(f"request is larger than {MAX_REQUEST_BYTES} bytes")
    try:
        return loads_bounded(text, object_pairs_hook=_pairs_hook, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        if exc.msg == "nested too deeply":
            raise MalformedJsonError("JSON nested too deeply") from exc
        raise MalformedJsonError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc


strict_pairs = _pairs_hook
"""The ``object_pairs_hook`` behind ``loads_strict``, for readers that need other options too."""
