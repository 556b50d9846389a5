"""Real protocol bytecode for the fixture chain, extracted from the npm packages that publish it.

    python anvil_fixtures/npm_artifacts.py           # npm pack the pinned packages, (re)write artifacts/npm/
    python anvil_fixtures/npm_artifacts.py --check   # no npm: committed files agree with provenance.json

Each package is fetched with ``npm pack NAME@VERSION`` into ``<repo>/.tools/npm-pack`` (git-ignored)
and its tarball checked against the pinned registry integrity (sha512) below. Only the artifacts the
chain uses are committed, as ``artifacts/npm/<Name>.json`` (``abi``, ``bytecode``, ``deployedBytecode``,
plus where they came from), and ``artifacts/npm/provenance.json`` records for each: package@version,
path inside the package, license, and the keccak256 of both bytecodes. Tests, the demo and
``deploy.py`` read the committed files only; nothing but this script needs npm.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

from eth_utils import keccak

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NPM_DIR = HERE / "artifacts" / "npm"
PROVENANCE = NPM_DIR / "provenance.json"
CACHE = REPO / ".tools" / "npm-pack"

# name -> (version, license, registry integrity of the tarball). Pinned: a new version is a deliberate edit.
PACKAGES: dict[str, tuple[str, str, str]] = {
    "@uniswap/v2-core": (
        "1.0.1",
        "GPL-3.0-or-later",
        "sha512-MtybtkUPSyysqLY2U210NBDeCHX+ltHt3oADGdjqoThZaFRDKwM6k1Nb3F0A3hk5hwuQvytFWhrWHOEq6nVJ8Q==",
    ),
    "@uniswap/v2-periphery": (
        "1.1.0-beta.0",
        "GPL-3.0-or-later",
        "sha512-6dkwAMKza8nzqYiXEr2D86dgW3TTavUvCR0w2Tu33bAbM8Ah43LKAzH7oKKPRT5VJQaMi1jtkGs1E8JPor1n5g==",
    ),
    "@uniswap/v3-core": (
        "1.0.1",
        "BUSL-1.1 (GPL-2.0-or-later since 2023-04-01)",
        "sha512-7pVk4hEm00j9tc71Y9+ssYpO6ytkeI0y7WE9P6UcmNzhxPePwyAxImuhVsTqWK9YFvzgtvzJHi64pBl4jUzKMQ==",
    ),
    "@uniswap/v3-periphery": (
        "1.4.4",
        "GPL-2.0-or-later",
        "sha512-S4+m+wh8HbWSO3DKk4LwUCPZJTpCugIsHrWR86m/OrUyvSqGDTXKFfc2sMuGXCZrD1ZqO3rhQsKgdWg3Hbb2Kw==",
    ),
    "@uniswap/swap-router-contracts": (
        "1.3.1",
        "GPL-2.0-or-later",
        "sha512-mh/YNbwKb7Mut96VuEtL+Z5bRe0xVIbjjiryn+iMMrK2sFKhR4duk/86mEz0UO5gSx4pQIw9G5276P5heY/7Rg==",
    ),
    "@uniswap/universal-router": (
        "2.0.0",
        "GPL-2.0-or-later",
        "sha512-6V21kuf547hE1gLfLQ89gv41DMSJY1ZZKer/k7CBagNPJ0oDnUyme+qQPtdoWknyUgSKd1M6sDm/WpocjVmPlA==",
    ),
    "@safe-global/safe-contracts": (
        "1.4.1",
        "LGPL-3.0",
        "sha512-fP1jewywSwsIniM04NsqPyVRFKPMAuirC3ftA/TA4X3Zc5EnwQp/UCJUU2PL/37/z/jMo8UUaJ+pnFNWmMU7dQ==",
    ),
    "@openzeppelin/contracts": (
        "4.9.6",
        "MIT",
        "sha512-xSmezSupL+y9VkHZJGDoCBpmnB2ogM13ccaYDWqJTfS3dbuHkgjuwDFUmaFauBCboQMGB/S5UqUl2y54X99BmA==",
    ),
}

# Artifact name in artifacts/npm/ -> (package, path inside the package tarball).
ARTIFACTS: dict[str, tuple[str, str]] = {
    "WETH9": ("@uniswap/v2-periphery", "build/WETH9.json"),
    "UniswapV2Factory": ("@uniswap/v2-core", "build/UniswapV2Factory.json"),
    "UniswapV2Pair": ("@uniswap/v2-core", "build/UniswapV2Pair.json"),
    "UniswapV2Router02": ("@uniswap/v2-periphery", "build/UniswapV2Router02.json"),
    "UniswapV3Factory": ("@uniswap/v3-core", "artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json"),
    "UniswapV3Pool": ("@uniswap/v3-core", "artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json"),
    "NonfungiblePositionManager": (
        "@uniswap/v3-periphery",
        "artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json",
    ),
    "SwapRouter": ("@uniswap/v3-periphery", "artifacts/contracts/SwapRouter.sol/SwapRouter.json"),
    "SwapRouter02": (
        "@uniswap/swap-router-contracts",
        "artifacts/contracts/SwapRouter02.sol/SwapRouter02.json",
    ),
    "UniversalRouter": ("@uniswap/universal-router", "artifacts/contracts/UniversalRouter.sol/UniversalRouter.json"),
    "Safe": ("@safe-global/safe-contracts", "build/artifacts/contracts/Safe.sol/Safe.json"),
    "SafeProxy": ("@safe-global/safe-contracts", "build/artifacts/contracts/proxies/SafeProxy.sol/SafeProxy.json"),
    "SafeProxyFactory": (
        "@safe-global/safe-contracts",
        "build/artifacts/contracts/proxies/SafeProxyFactory.sol/SafeProxyFactory.json",
    ),
    "CompatibilityFallbackHandler": (
        "@safe-global/safe-contracts",
        "build/artifacts/contracts/handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json",
    ),
    "MultiSendCallOnly": (
        "@safe-global/safe-contracts",
        "build/artifacts/contracts/libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json",
    ),
    "ERC20PresetMinterPauser": ("@openzeppelin/contracts", "build/contracts/ERC20PresetMinterPauser.json"),
}


class NpmArtifactError(RuntimeError):
    pass


def _hex(value: Any) -> str:
    """Bytecode as 0x-hex from Hardhat (``"0x.."``), Waffle (``{"object": ".."}``) or bare hex."""
    if isinstance(value, dict):
        value = value.get("object", "")
    text = str(value or "")
    return text if text.startswith("0x") else "0x" + text


def _extract(raw: dict[str, Any]) -> tuple[list[Any], str, str]:
    evm = raw.get("evm") or {}
    bytecode = _hex(raw.get("bytecode") or evm.get("bytecode"))
    deployed = _hex(raw.get("deployedBytecode") or evm.get("deployedBytecode"))
    abi = raw["abi"]
    if len(bytecode) <= 2 or len(deployed) <= 2 or "__" in bytecode:
        raise NpmArtifactError("artifact has no (linked) bytecode")
    return abi, bytecode.lower(), deployed.lower()


def code_hash(hex_code: str) -> str:
    return "0x" + keccak(bytes.fromhex(hex_code.removeprefix("0x"))).hex()


def _pack(name: str, version: str, integrity: str) -> Path:
    """``npm pack name@version`` into the cache (once), checked against the pinned integrity."""
    CACHE.mkdir(parents=True, exist_ok=True)
    tarball = CACHE / (name.lstrip("@").replace("/", "-") + f"-{version}.tgz")
    if not tarball.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise NpmArtifactError("npm is required to fetch " + f"{name}@{version}")
        proc = subprocess.run(
            [npm, "pack", f"{name}@{version}", "--silent", "--pack-destination", str(CACHE)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if proc.returncode != 0 or not tarball.exists():
            raise NpmArtifactError(f"npm pack {name}@{version} failed: {(proc.stderr or proc.stdout)[-1000:]}")
    algo, _, digest = integrity.partition("-")
    got = base64.b64encode(hashlib.new(algo, tarball.read_bytes()).digest()).decode()
    if got != digest:
        tarball.unlink()
        raise NpmArtifactError(f"{name}@{version}: tarball integrity {algo}-{got} is not the pinned {integrity}")
    return tarball


def _dump(obj: object) -> str:
    return json.dumps(obj, indent=1, sort_keys=True) + "\n"


def fetch() -> dict[str, dict[str, Any]]:
    """Fetch every pinned package and return {file name in artifacts/npm/: document}."""
    docs: dict[str, dict[str, Any]] = {}
    records: dict[str, dict[str, str]] = {}
    tarballs = {name: _pack(name, version, integrity) for name, (version, _, integrity) in PACKAGES.items()}
    for artifact, (package, inner) in sorted(ARTIFACTS.items()):
        version, license_, _ = PACKAGES[package]
        with tarfile.open(tarballs[package]) as tar:
            member = tar.extractfile("package/" + inner)
            if member is None:
                raise NpmArtifactError(f"{package}@{version} has no {inner}")
            raw = json.loads(member.read())
        try:
            abi, bytecode, deployed = _extract(raw)
        except (NpmArtifactError, KeyError) as exc:
            raise NpmArtifactError(f"{package}@{version}/{inner}: {exc}") from exc
        source = f"{package}@{version}/{inner}"
        docs[f"{artifact}.json"] = {
            "contractName": artifact,
            "source": source,
            "abi": abi,
            "bytecode": bytecode,
            "deployedBytecode": deployed,
        }
        records[artifact] = {
            "package": package,
            "version": version,
            "path": inner,
            "license": license_,
            "bytecode_keccak256": code_hash(bytecode),
            "deployed_bytecode_keccak256": code_hash(deployed),
        }
    docs[PROVENANCE.name] = {
        "note": "Extracted by anvil_fixtures/npm_artifacts.py from npm tarballs (npm pack); see the README.",
        "packages": {
            name: {"version": version, "license": license_, "integrity": integrity}
            for name, (version, license_, integrity) in sorted(PACKAGES.items())
        },
        "artifacts": records,
    }
    return docs


def write(docs: dict[str, dict[str, Any]]) -> None:
    NPM_DIR.mkdir(parents=True, exist_ok=True)
    for stale in NPM_DIR.glob("*.json"):
        if stale.name not in docs:
            stale.unlink()
    for fname, doc in docs.items():
        (NPM_DIR / fname).write_text(_dump(doc), encoding="utf-8")


def check() -> list[str]:
    """Without npm: every committed artifact matches provenance.json (keccaks, source) and the pins."""
    problems: list[str] = []
    try:
        prov = json.loads(PROVENANCE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"provenance.json unreadable: {exc}"]
    records: dict[str, dict[str, str]] = prov["artifacts"]
    on_disk = {p.stem for p in NPM_DIR.glob("*.json")} - {PROVENANCE.stem}
    for name in sorted(on_disk ^ set(records)):
        problems.append(f"{name}: artifact and provenance record disagree (one is missing)")
    for name in sorted(set(ARTIFACTS) ^ set(records)):
        problems.append(f"{name}: not in both ARTIFACTS and provenance.json")
    for name in sorted(on_disk & set(records)):
        rec = records[name]
        doc = json.loads((NPM_DIR / f"{name}.json").read_text(encoding="utf-8"))
        if code_hash(doc["bytecode"]) != rec["bytecode_keccak256"]:
            problems.append(f"{name}: bytecode keccak differs from provenance")
        if code_hash(doc["deployedBytecode"]) != rec["deployed_bytecode_keccak256"]:
            problems.append(f"{name}: deployedBytecode keccak differs from provenance")
        if doc["source"] != f"{rec['package']}@{rec['version']}/{rec['path']}":
            problems.append(f"{name}: source {doc['source']} differs from provenance")
        pin = PACKAGES.get(rec["package"])
        if pin is None or pin[0] != rec["version"] or ARTIFACTS.get(name) != (rec["package"], rec["path"]):
            problems.append(f"{name}: provenance {rec['package']}@{rec['version']} is not the pinned package")
    return problems


def load(name: str) -> dict[str, Any]:
    """A committed npm artifact (``abi``, ``bytecode``, ``deployedBytecode``, ``source``)."""
    doc: dict[str, Any] = json.loads((NPM_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return doc


def main(argv: list[str]) -> int:
    if argv[1:] == ["--check"]:
        problems = check()
        for p in problems:
            print("  " + p, file=sys.stderr)
        print("npm artifacts " + ("DO NOT match provenance" if problems else "match provenance.json"))
        return 1 if problems else 0
    if argv[1:]:
        print("usage: npm_artifacts.py [--check]", file=sys.stderr)
        return 2
    docs = fetch()
    write(docs)
    print(f"wrote {len(docs)} files to {NPM_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
