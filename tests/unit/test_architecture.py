"""The dependency direction in ARCHITECTURE.md, checked on the source: tui -> txfirewall (API)
-> heuristics -> signatures -> model. Nothing in the core imports Textual; only the RPC client
speaks HTTP."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import txfirewall

REPO = Path(__file__).resolve().parents[2]
# (folder in the repo, import name of the package it holds)
PACKAGES = {"txfirewall": "txfirewall", "signatures": "txfirewall.signatures",
            "heuristics": "txfirewall.heuristics", "tui": "txfirewall.tui"}


def modules() -> dict[str, set[str]]:
    """Import name of each module -> the absolute names it imports."""
    found: dict[str, set[str]] = {}
    for folder, package in PACKAGES.items():
        for path in (REPO / folder).rglob("*.py"):
            rel = path.relative_to(REPO / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([package, *parts])
            imports: set[str] = set()
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    imports.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    imports.add(node.module)
            found[name] = imports
    return found


MODULES = modules()


def _violations(prefix: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    bad = []
    for name, imports in MODULES.items():
        if not name.startswith(prefix) or name in allowed:
            continue
        for imp in imports:
            if imp.startswith(forbidden):
                bad.append(f"{name} imports {imp}")
    return bad


def test_every_folder_is_scanned() -> None:
    assert {"txfirewall.model.verdict", "txfirewall.signatures.decode", "txfirewall.heuristics.registry"} <= set(MODULES)


def test_model_imports_no_other_layer() -> None:
    core = tuple(f"txfirewall.{m}" for m in ("signatures", "heuristics", "tui", "pipeline", "firewall",
                                            "rpc_client", "anvil", "fork", "simulator", "enrich", "cli"))
    assert _violations("txfirewall.model", core) == []


def test_signatures_never_import_heuristics_or_front_ends() -> None:
    forbidden = ("txfirewall.heuristics", "txfirewall.tui", "txfirewall.pipeline", "txfirewall.firewall",
                 "txfirewall.chain.rpc_client", "txfirewall.cli.main", "txfirewall.anvil")
    assert _violations("txfirewall.signatures", forbidden) == []


def test_heuristics_are_pure() -> None:
    forbidden = ("txfirewall.tui", "txfirewall.pipeline", "txfirewall.firewall", "txfirewall.chain.rpc_client",
                 "txfirewall.cli.main", "txfirewall.anvil", "txfirewall.simulate.fork", "txfirewall.enrich.stage", "httpx",
                 "aiohttp", "web3", "socket", "subprocess", "requests")
    assert _violations("txfirewall.heuristics", forbidden) == []


def test_only_the_tui_imports_textual() -> None:
    assert _violations("txfirewall", ("textual", "rich"), allowed=tuple(n for n in MODULES if n.startswith("txfirewall.tui"))) == []


def test_only_the_rpc_client_speaks_http() -> None:
    http_users = {n for n, imps in MODULES.items() if any(i.startswith(("httpx", "aiohttp", "urllib.request")) for i in imps)}
    assert http_users <= {"txfirewall.chain.rpc_client", "txfirewall.proxy"}


def test_importing_the_package_is_light() -> None:
    """No Textual, no Numba compilation, no anvil on import."""
    code = "import txfirewall, sys; print(sorted(m for m in ('textual', 'numba') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", txfirewall.__all__)
def test_public_api_names_resolve(name: str) -> None:
    assert getattr(txfirewall, name) is not None


def test_public_api_is_complete() -> None:
    exported = {n for n in dir(txfirewall) if not n.startswith("_") and n[0].isupper()}
    assert exported <= set(txfirewall.__all__)
