"""The analysis worker: requests taken from a queue one at a time, each analysed by the app's
``Analyser``, its stages and its verdict (or why there is none) posted to the app as messages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.message import Message

from txfirewall.decide.decision import overridable
from txfirewall.errors import EnvironmentFailure, TxFirewallError
from txfirewall.tui.analyser import Analyser
from txfirewall.tui.messages import AnalysisFailed, StageStarted, VerdictReady
from txfirewall.tui.verdict_doc import read_verdict

Pending = tuple[str, dict[str, Any] | str, str | None, str | None]
"""(queue key, request, origin, account)."""


async def analyse_forever(
    pending: asyncio.Queue[Pending], analyser: Callable[[], Analyser | None], post: Callable[[Message], object]
) -> None:
    """Analyse what arrives in ``pending``, in order, with whatever analyser the app has then."""
    while True:
        key, request, origin, account = await pending.get()
        await analyse_one(analyser(), key, request, origin, account, post)


async def analyse_one(
    analyser: Analyser | None,
    key: str,
    request: dict[str, Any] | str,
    origin: str | None,
    account: str | None,
    post: Callable[[Message], object],
) -> None:
    if analyser is None:
        post(
            AnalysisFailed(key, "No RPC", "No chain to simulate on: give --rpc URL (or s: settings), or --no-simulate.")
        )
        return
    finished = False

    def on_stage(stage: str) -> None:
        if not finished:  # the Firewall's background warm-up re-runs stages after the verdict
            post(StageStarted(key, stage))

    try:
        verdict = await analyser.analyse(request, origin=origin, account=account, on_stage=on_stage)
    except TxFirewallError as exc:
        post(AnalysisFailed(key, type(exc).__name__, str(exc), environment=isinstance(exc, EnvironmentFailure)))
        return
    except Exception as exc:  # noqa: BLE001 - a bug must show as an error, not end the app
        post(AnalysisFailed(key, "Unexpected error", f"{type(exc).__name__}: {exc}"))
        return
    finally:
        finished = True
    post(VerdictReady(key, read_verdict(verdict.to_json()), overridable(verdict, analyser.policy)))
