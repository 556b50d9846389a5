"""Shared fixtures: the repository's fixture chain, started once per session from its state dump; Foundry's
``cast`` (a real client for end-to-end tests); and no test sees the developer's own signature database."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from txfirewall.chain.anvil_node import AnvilNode, AnvilOptions
from txfirewall.chain.anvil_provision import ensure_cast
from txfirewall.enrich.history_file import load_history
from txfirewall.errors import ToolNotFoundError
from txfirewall.firewall import Firewall, FirewallConfig

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "anvil_fixtures"


@pytest.fixture(scope="session", autouse=True)
def _no_personal_signature_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The decoder reads the user's own signature database when there is one
    (``~/.local/share/txfirewall/signatures.db``); tests, and the CLI they start, must not see the
    developer's. Tests that want one point ``TXFIREWALL_SIGNATURES_DB`` at their own file."""
    from txfirewall.signatures.user_db import ENV_VAR, reset_user_db

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_VAR, str(tmp_path_factory.mktemp("no-signature-db") / "absent.db"))
        reset_user_db()
        yield
    reset_user_db()


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    return json.loads((FIXTURES / "manifest.json").read_text())


@pytest.fixture(scope="session")
def mainnet(manifest: dict[str, Any]) -> Iterator[AnvilNode]:
    """The fixture "mainnet": anvil loaded from the committed state dump."""
    options = AnvilOptions(load_state=FIXTURES / "state.json", chain_id=manifest["chain_id"], accounts=0)
    with AnvilNode.start(options) as node:
        yield node


@pytest.fixture(scope="session")
def cast_bin() -> Path:
    """Foundry's ``cast``: ``$TXFIREWALL_CAST``, PATH, or the pinned npm build, installed into the cache
    on first use (about 60 MB, a second or two). Never skipped: a machine that cannot get cast fails,
    with the error's hint."""
    try:
        return ensure_cast()
    except ToolNotFoundError as exc:
        reason = str(exc)
    pytest.fail(f"cast is needed by the end-to-end tests: {reason}", pytrace=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def firewall(mainnet: AnvilNode, manifest: dict[str, Any]) -> AsyncIterator[Firewall]:
    """A Firewall forking the fixture chain, with the user's history."""
    config = FirewallConfig(
        rpc_url=mainnet.url,
        chain_id=manifest["chain_id"],
        history=load_history(FIXTURES / "history.jsonl"),
    )
    async with Firewall(config) as fw:
        yield fw


def load_request(name: str) -> bytes:
    return (FIXTURES / "requests" / name).read_bytes()
