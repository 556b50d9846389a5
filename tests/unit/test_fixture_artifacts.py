"""anvil_fixtures/artifacts must be exactly what anvil_fixtures/contracts compiles to."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "anvil_fixtures"


def _load_compile() -> ModuleType:
    spec = importlib.util.spec_from_file_location("anvil_fixtures_compile", FIXTURES / "compile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def compile_mod() -> ModuleType:
    return _load_compile()


def test_artifacts_match_sources(compile_mod: ModuleType) -> None:
    stale = compile_mod.check()
    assert stale == [], f"run `python anvil_fixtures/compile.py`; out of date: {stale}"


def test_artifact_files_are_well_formed() -> None:
    files = sorted((FIXTURES / "artifacts").glob("*.json"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n")
        doc = json.loads(text)
        if path.name == "build-info.json":
            assert doc["compiler"]["version"].startswith("0.8.24+")
            assert doc["settings"]["optimizer"] == {"enabled": True, "runs": 200}
            assert doc["settings"]["evmVersion"] == "cancun"
            continue
        assert doc["contractName"] == path.stem
        assert doc["bytecode"].startswith("0x") and len(doc["bytecode"]) > 2
        assert doc["deployedBytecode"].startswith("0x") and len(doc["deployedBytecode"]) > 2
        assert isinstance(doc["abi"], list) and doc["abi"]


def test_manifest_roles_have_artifacts() -> None:
    manifest = json.loads((FIXTURES / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["artifacts"]) == set(manifest["contracts"])
    for role, name in manifest["artifacts"].items():
        assert (FIXTURES / "artifacts" / f"{name}.json").is_file(), f"{role}: artifacts/{name}.json missing"
    for role in manifest["contracts"]:
        assert manifest["description"].get(role), f"{role} has no description"
