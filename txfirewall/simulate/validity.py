"""The request's own validity window: the earliest deadline its calls or signature name.

The evasion differential re-runs a request in a later block; that block must stay inside the time
the user accepted, or a swap with Uniswap's 20-minute deadline reverts there and looks like
evasion. Deadlines are read from decoded arguments by name (``deadline``, ``expiry``,
``expiration``, ``validTo``...), at any depth of the call tree, and from permits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from txfirewall.model.intent import Argument, CallNode, DecodedCall, Intent

_DEADLINE_NAME = re.compile(r"deadline|expir|valid_?to|valid_?until|valid_?before|end_?time", re.IGNORECASE)
_MAX_HORIZON = 10 * 365 * 86400
"""A 'deadline' further than this from now is not a time (a nonce, an amount): ignored."""

_DEADLINE_REVERT = re.compile(
    r"expired|too old|deadline|SignatureExpired|InvalidTime|OrderExpired|PastDeadline|TimestampExpired",
    re.IGNORECASE,
)
"""Revert reasons of a passed deadline: UniswapV2Router 'EXPIRED', V3 periphery 'Transaction too
old', Universal Router TransactionDeadlinePassed(), Permit2 SignatureExpired(), Seaport
InvalidTime(), and the usual custom-error spellings."""


def is_deadline_revert(reason: str | None) -> bool:
    """Does this revert reason say the request's deadline or expiry passed?"""
    return bool(reason) and bool(_DEADLINE_REVERT.search(reason or ""))


def _calls(intent: Intent) -> Iterable[DecodedCall]:
    if intent.call is not None:
        yield intent.call
    stack: list[CallNode] = list(intent.children)
    while stack:
        node = stack.pop()
        if node.call is not None:
            yield node.call
        stack.extend(node.children)


def _times(arguments: Iterable[Argument]) -> Iterable[int]:
    for arg in arguments:
        if _DEADLINE_NAME.search(arg.name) and isinstance(arg.value, int) and not isinstance(arg.value, bool):
            yield arg.value


def earliest_deadline(intent: Intent | None, now: int) -> int | None:
    """The earliest deadline in the request that is still ahead of ``now`` (a unix time), if any."""
    if intent is None:
        return None
    found = [t for call in _calls(intent) for t in _times(call.arguments)]
    if intent.deadline is not None:
        found.append(intent.deadline)
    found += [d for a in intent.allowances for d in (a.deadline, a.expiration) if d is not None]
    ahead = [t for t in found if now <= t <= now + _MAX_HORIZON]
    return min(ahead, default=None)
