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


def _load_npm_artifacts() -> ModuleType:
    spec = importlib.util.spec_from_file_location("anvil_fixtures_npm_artifacts", FIXTURES / "npm_artifacts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_npm_artifacts_match_their_provenance() -> None:
    """The committed npm bytecode is what provenance.json records (keccak256), from the pinned packages."""
    npm = _load_npm_artifacts()
    assert npm.check() == []
    prov = json.loads((FIXTURES / "artifacts" / "npm" / "provenance.json").read_text(encoding="utf-8"))
    assert set(prov["packages"]) == set(npm.PACKAGES)
    for name, pin in prov["packages"].items():
        assert pin["version"][0].isdigit() and "^" not in pin["version"] and "~" not in pin["version"], name
        assert pin["license"] and pin["integrity"].startswith("sha512-"), name
    for name, record in prov["artifacts"].items():
        doc = json.loads((FIXTURES / "artifacts" / "npm" / f"{name}.json").read_text(encoding="utf-8"))
        assert doc["contractName"] == name
        assert doc["source"] == f"{record['package']}@{record['version']}/{record['path']}"
        assert record["license"] == prov["packages"][record["package"]]["license"]
        assert npm.code_hash(doc["bytecode"]) == record["bytecode_keccak256"]
        assert npm.code_hash(doc["deployedBytecode"]) == record["deployed_bytecode_keccak256"]
        assert isinstance(doc["abi"], list) and doc["abi"]


def test_npm_provenance_check_catches_a_changed_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    npm = _load_npm_artifacts()
    copy = tmp_path / "npm"
    copy.mkdir()
    for path in (FIXTURES / "artifacts" / "npm").glob("*.json"):
        (copy / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    doc = json.loads((copy / "WETH9.json").read_text(encoding="utf-8"))
    doc["deployedBytecode"] = doc["deployedBytecode"][:-2] + ("00" if doc["deployedBytecode"][-2:] != "00" else "01")
    (copy / "WETH9.json").write_text(json.dumps(doc), encoding="utf-8")
    monkeypatch.setattr(npm, "NPM_DIR", copy)
    monkeypatch.setattr(npm, "PROVENANCE", copy / "provenance.json")
    assert npm.check() == ["WETH9: deployedBytecode keccak differs from provenance"]


def test_v2_init_code_hash_and_v3_pool_hash() -> None:
    """Router02 from the same npm build hard-codes the npm pair's init code hash (not mainnet's);
    the npm V3 pool is byte-identical to mainnet's (its init code hash is the periphery's constant)."""
    npm = _load_npm_artifacts()
    pair_hash = npm.code_hash(npm.load("UniswapV2Pair")["bytecode"])
    assert pair_hash[2:] in npm.load("UniswapV2Router02")["bytecode"]
    pool_hash = npm.code_hash(npm.load("UniswapV3Pool")["bytecode"])
    assert pool_hash == "0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54"
    assert pool_hash[2:] in npm.load("NonfungiblePositionManager")["bytecode"]
