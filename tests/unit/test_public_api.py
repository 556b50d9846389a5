"""The public API is typed, documented and complete: what a wallet developer's tools see."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest

import txfirewall
from txfirewall import TxFirewallError

PUBLIC = {name: getattr(txfirewall, name) for name in txfirewall.__all__ if name != "__version__"}


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def _import_everything() -> None:
    for package in ("txfirewall", "txfirewall.model", "txfirewall.firewall"):
        for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
            importlib.import_module(f"{package}.{info.name}")


def test_every_error_a_caller_can_see_is_exported() -> None:
    _import_everything()
    exported = {obj for obj in PUBLIC.values() if isinstance(obj, type) and issubclass(obj, BaseException)}
    ours = {c for c in _all_subclasses(TxFirewallError) if c.__module__.startswith("txfirewall")}
    assert sorted(c.__name__ for c in ours - exported) == []
    assert all(issubclass(c, TxFirewallError) for c in exported)


def _documented(obj: Any) -> bool:
    doc = inspect.getdoc(obj) or ""
    if dataclasses.is_dataclass(obj) and doc.startswith(f"{obj.__name__}("):
        return False  # the signature dataclasses write when there is no docstring
    return bool(doc.strip())


@pytest.mark.parametrize("name", sorted(n for n, o in PUBLIC.items() if inspect.isclass(o) or inspect.isfunction(o)))
def test_every_public_name_has_a_docstring(name: str) -> None:
    assert _documented(PUBLIC[name])


@pytest.mark.parametrize("cls", [txfirewall.Firewall, txfirewall.SyncFirewall, txfirewall.Verdict])
def test_public_methods_have_docstrings(cls: type) -> None:
    missing = [
        name
        for name, member in vars(cls).items()
        if not name.startswith("_")
        and (inspect.isfunction(member) or isinstance(member, property))
        and not (inspect.getdoc(member) or "").strip()
    ]
    assert missing == []


def _dataclasses_reachable() -> set[type]:
    seen: set[type] = set()
    todo = [o for o in PUBLIC.values() if inspect.isclass(o) and dataclasses.is_dataclass(o)]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        for hint in typing.get_type_hints(cls).values():
            stack = [hint]
            while stack:
                t = stack.pop()
                stack.extend(typing.get_args(t))
                if inspect.isclass(t) and dataclasses.is_dataclass(t):
                    todo.append(t)
    return seen


def test_type_hints_resolve_on_every_public_dataclass() -> None:
    reached = _dataclasses_reachable()  # get_type_hints raises NameError on an unresolvable hint
    names = {c.__name__ for c in reached}
    assert {"Verdict", "FirewallConfig", "Finding", "ChainState", "Simulation", "Policy", "StageTimeouts"} <= names


def test_signing_methods_are_the_method_enum() -> None:
    assert "personal_sign" in txfirewall.SIGNING_METHODS
    assert {m.value for m in txfirewall.Method} == set(txfirewall.SIGNING_METHODS)


def test_config_errors_are_typed_and_still_value_errors() -> None:
    with pytest.raises(txfirewall.ConfigError) as caught:
        txfirewall.FirewallConfig(simulate=True)
    assert isinstance(caught.value, ValueError) and caught.value.hint
    with pytest.raises(txfirewall.ConfigError):
        txfirewall.FirewallConfig(simulate=False, max_concurrency=0)


def test_mypy_sees_the_installed_package_from_outside_the_repo(tmp_path: Path) -> None:
    """The editable install is a plain path entry (not an import hook), so a wallet project's
    type checker resolves ``txfirewall`` and its types."""
    probe = tmp_path / "wallet.py"
    probe.write_text(
        "from txfirewall import Decision, FirewallConfig, SyncFirewall, Verdict\n"
        "def check(fw: SyncFirewall, request: dict[str, object]) -> bool:\n"
        "    verdict: Verdict = fw.analyze(request)\n"
        "    return verdict.decision is Decision.ALLOW\n"
        "reveal_type(FirewallConfig(simulate=False).max_concurrency)\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(probe)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert 'Revealed type is "int"' in out.stdout or "builtins.int" in out.stdout, out.stdout + out.stderr
    assert out.returncode == 0, out.stdout
