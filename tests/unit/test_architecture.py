"""The dependency direction of ARCHITECTURE.md, checked on the source as an allow-list.

Every module belongs to a unit (a stage package, a foundation, a front end). A unit may import
only the units listed for it below; a module in no known unit fails the test, so a new package
has to be placed in the map on purpose. The order of the stages is the pipeline's: parse, decode
(``signatures``), simulate, enrich, decide (which runs the ``heuristics``); a stage never imports a
later one, and nothing in the core imports a front end.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import txfirewall

REPO = Path(__file__).resolve().parents[2]
# (folder in the repo, import name of the package it holds)
PACKAGES = {
    "txfirewall": "txfirewall",
    "signatures": "txfirewall.signatures",
    "heuristics": "txfirewall.heuristics",
    "tui": "txfirewall.tui",
}

FOUNDATION = frozenset({"errors", "model"})
STAGES = ("parse", "signatures", "simulate", "enrich", "decide")
"""In pipeline order: each may import the ones before it."""
CORE = frozenset({*FOUNDATION, "chain", *STAGES, "intel", "graph", "heuristics"})

ALLOWED: dict[str, frozenset[str]] = {
    "errors": frozenset(),
    "model": frozenset({"errors"}),
    "chain": FOUNDATION,
    "parse": FOUNDATION,
    "signatures": FOUNDATION,
    "simulate": FOUNDATION | {"chain", "parse", "signatures"},
    "intel": FOUNDATION,
    "graph": FOUNDATION | {"chain", "intel"},
    "enrich": FOUNDATION | {"chain", "parse", "signatures", "simulate", "intel", "graph"},
    "heuristics": frozenset({"model", "signatures"}),
    "decide": FOUNDATION | {"heuristics"},
    "pipeline": CORE,
    "firewall": CORE | {"pipeline"},
    "package": frozenset({*FOUNDATION, "firewall", "pipeline", "parse", "enrich", "decide"}),
    "web3": frozenset({*FOUNDATION, "firewall", "package", "parse"}),
    "cli": CORE | {"pipeline", "firewall", "package", "proxy", "tui"},
    "proxy": CORE | {"pipeline", "firewall", "package"},
    "tui": frozenset({*FOUNDATION, "firewall", "package", "parse", "decide", "proxy"}),
}
"""unit -> the units it may import. ``package`` is ``txfirewall/__init__.py`` (the public API)."""


def unit_of(module: str) -> str:
    parts = module.split(".")
    return "package" if len(parts) == 1 else parts[1]


def modules() -> dict[str, set[str]]:
    """Import name of each module -> the txfirewall and third-party names it imports (all of them:
    top level, inside functions, under TYPE_CHECKING)."""
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
                elif isinstance(node, ast.ImportFrom) and node.level > 0:
                    raise AssertionError(f"{name}: relative import; use the absolute txfirewall name")
                elif isinstance(node, ast.ImportFrom) and node.module:
                    imports.add(node.module)
            found[name] = imports
    return found


MODULES = modules()


def test_every_folder_is_scanned() -> None:
    assert {
        "txfirewall.model.verdict",
        "txfirewall.signatures.decode",
        "txfirewall.heuristics.registry",
        "txfirewall.parse.request",
        "txfirewall.simulate.fork",
        "txfirewall.enrich.stage",
        "txfirewall.decide.policy",
        "txfirewall.chain.rpc_client",
        "txfirewall.cli.main",
    } <= set(MODULES)


def test_every_module_is_in_a_known_unit() -> None:
    assert sorted({unit_of(m) for m in MODULES} - set(ALLOWED)) == []


def test_imports_follow_the_allow_list() -> None:
    bad = []
    for name, imports in MODULES.items():
        mine = unit_of(name)
        for imp in imports:
            if imp != "txfirewall" and not imp.startswith("txfirewall."):
                continue
            theirs = unit_of(imp)
            if theirs != mine and theirs not in ALLOWED[mine]:
                bad.append(f"{name} ({mine}) imports {imp} ({theirs})")
    assert bad == []


def test_the_stage_order_is_what_the_allow_list_says() -> None:
    """No stage may import a later one (the allow-list must not drift from the pipeline order)."""
    for i, stage in enumerate(STAGES):
        assert not ALLOWED[stage] & set(STAGES[i + 1 :]), stage


def test_build_scripts_live_outside_the_package() -> None:
    assert not [n for n in MODULES if n.rsplit(".", 1)[-1].startswith(("build_", "derive_"))]


def _third_party_users(*prefixes: str) -> set[str]:
    return {n for n, imps in MODULES.items() if any(i == p or i.startswith(p + ".") for i in imps for p in prefixes)}


def test_only_the_tui_imports_textual() -> None:
    assert {n for n in _third_party_users("textual", "rich") if unit_of(n) != "tui"} == set()


def test_only_the_rpc_client_and_the_proxy_speak_http() -> None:
    users = _third_party_users("httpx", "aiohttp", "urllib.request", "requests", "websockets")
    assert {n for n in users if unit_of(n) != "proxy"} <= {"txfirewall.chain.rpc_client", "txfirewall.chain.lean_http"}


def test_heuristics_do_no_io() -> None:
    assert (
        _third_party_users("socket", "subprocess", "web3", "sqlite3")
        & {n for n in MODULES if unit_of(n) == "heuristics"}
        == set()
    )


def test_importing_the_package_is_light() -> None:
    """No Textual, no Numba, no eth-account, no anvil on import: the CLI's start time depends on it."""
    code = (
        "import txfirewall, sys; "
        "print(sorted(m for m in ('textual', 'numba', 'eth_account', 'httpx', 'networkx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", txfirewall.__all__)
def test_public_api_names_resolve(name: str) -> None:
    assert getattr(txfirewall, name) is not None


def test_public_api_is_complete() -> None:
    exported = {n for n in dir(txfirewall) if not n.startswith("_") and n[0].isupper()}
    assert exported <= set(txfirewall.__all__)


def test_every_package_is_in_the_wheel() -> None:
    """pyproject lists packages explicitly (the folders are mapped); a new one must be added there,
    or the installed package would lack it while the checkout still works."""
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for folder, package in PACKAGES.items():
        for init in (REPO / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / folder)
            found.add(".".join([package, *rel.parts]))
    assert found == listed
