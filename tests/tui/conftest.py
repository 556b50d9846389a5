"""Verdicts of the fixture chain's sample requests, analysed once and made deterministic, for the
snapshot tests (the pilot tests analyse their own)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import pytest_asyncio

from txfirewall.firewall import Firewall
from txfirewall.tui.verdict_doc import VerdictDoc, read_verdict

from ..conftest import load_request
from .support import deterministic

SAMPLES = {
    "allow": "b_usdx_transfer_carol.json",
    "warn": "j_nft_approval_for_all_drainer.json",
    "block": "d_usdx_approve_max_scammer.json",
    "drainer": "e_drainer_claim.json",
    "permit": "k_permit2_typed_data.json",
}


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sample_docs(firewall: Firewall) -> dict[str, VerdictDoc]:
    docs = {}
    for name, file in SAMPLES.items():
        verdict = await firewall.analyze(load_request(file))
        docs[name] = read_verdict(deterministic(verdict.to_json()))
    return docs


@pytest.fixture
def utc() -> Iterator[None]:
    """Clock times on screen in UTC, whatever the machine's zone."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "UTC")
        time.tzset()
        yield
    time.tzset()
