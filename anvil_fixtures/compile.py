"""Compile anvil_fixtures/contracts/*.sol with the pinned solcjs (npm ``solc@0.8.24``).

    python anvil_fixtures/compile.py           # (re)write artifacts/
    python anvil_fixtures/compile.py --check   # exit 1 if artifacts/ differ from a fresh compile

The compiler is installed on first use into ``<repo>/.tools/solc`` (git-ignored) with npm, guarded
by a file lock so parallel test workers install it once. Compilation is reproducible: standard-JSON
input with relative source names, optimizer 200 runs, evmVersion cancun.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CONTRACTS_DIR = HERE / "contracts"
ARTIFACTS_DIR = HERE / "artifacts"
SOLC_DIR = REPO / ".tools" / "solc"
SOLC_VERSION = "0.8.24"
SOLC_JS = HERE / "solc_compile.js"
BUILD_INFO = "build-info.json"

SETTINGS: dict = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "cancun",
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}


class CompileError(RuntimeError):
    pass


def ensure_solc() -> Path:
    """Return the solcjs install dir, installing ``solc@SOLC_VERSION`` with npm if needed."""
    marker = SOLC_DIR / "node_modules" / "solc" / "package.json"

    def installed() -> bool:
        try:
            return json.loads(marker.read_text())["version"] == SOLC_VERSION
        except (OSError, ValueError, KeyError):
            return False

    if installed():
        return SOLC_DIR
    npm = shutil.which("npm")
    if npm is None:
        raise CompileError("npm is required to install solc@" + SOLC_VERSION)
    SOLC_DIR.mkdir(parents=True, exist_ok=True)
    with open(SOLC_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not installed():
            cmd = [npm, "install", "--prefix", str(SOLC_DIR), "--no-audit", "--no-fund", f"solc@{SOLC_VERSION}"]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
            if proc.returncode != 0 or not installed():
                raise CompileError("npm install solc failed: " + (proc.stderr or proc.stdout)[-2000:])
    return SOLC_DIR


def _sources() -> dict[str, str]:
    files = sorted(CONTRACTS_DIR.glob("*.sol"))
    if not files:
        raise CompileError(f"no sources in {CONTRACTS_DIR}")
    return {f"contracts/{p.name}": p.read_text(encoding="utf-8") for p in files}


def _run_solc(sources: dict[str, str]) -> dict:
    solc_dir = ensure_solc()
    node = shutil.which("node")
    if node is None:
        raise CompileError("node is required to run solcjs")
    std_input = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": SETTINGS,
    }
    proc = subprocess.run(
        [node, str(SOLC_JS), str(solc_dir)],
        input=json.dumps(std_input, sort_keys=True).encode(),
        capture_output=True,
        timeout=600,
        check=False,
    )
    if proc.returncode != 0:
        raise CompileError("solcjs failed: " + proc.stderr.decode(errors="replace")[-2000:])
    output = json.loads(proc.stdout)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileError("\n".join(e.get("formattedMessage", e.get("message", "")) for e in errors))
    return output


def _dump(obj: object) -> str:
    return json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def compile_all() -> dict[str, dict]:
    """Compile every source; return {file name in artifacts/: JSON document}.

    One ``<ContractName>.json`` per deployable contract (interfaces, abstract contracts and
    internal-only libraries are skipped) plus ``build-info.json``.
    """
    sources = _sources()
    output = _run_solc(sources)
    docs: dict[str, dict] = {}
    for source_name in sorted(output.get("contracts", {})):
        for name, data in sorted(output["contracts"][source_name].items()):
            bytecode = data["evm"]["bytecode"]["object"]
            if not bytecode or not data["abi"]:
                continue
            fname = f"{name}.json"
            if fname in docs:
                raise CompileError(f"duplicate contract name {name}")
            docs[fname] = {
                "contractName": name,
                "sourceName": source_name,
                "abi": data["abi"],
                "bytecode": "0x" + bytecode,
                "deployedBytecode": "0x" + data["evm"]["deployedBytecode"]["object"],
            }
    docs[BUILD_INFO] = {
        "compiler": {"name": "solcjs", "npm": f"solc@{SOLC_VERSION}", "version": output["compilerVersion"]},
        "settings": SETTINGS,
        "sources": {name: hashlib.sha256(text.encode("utf-8")).hexdigest() for name, text in sources.items()},
        "contracts": sorted(d["contractName"] for f, d in docs.items() if f != BUILD_INFO),
    }
    return docs


def write(docs: dict[str, dict]) -> None:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    for stale in ARTIFACTS_DIR.glob("*.json"):
        if stale.name not in docs:
            stale.unlink()
    for fname, doc in docs.items():
        path = ARTIFACTS_DIR / fname
        text = _dump(doc)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def check() -> list[str]:
    """Recompile in memory; return the artifact names (without .json) that differ, are missing or extra."""
    docs = compile_all()
    bad: list[str] = []
    on_disk = {p.name for p in ARTIFACTS_DIR.glob("*.json")} if ARTIFACTS_DIR.is_dir() else set()
    for fname in sorted(set(docs) | on_disk):
        label = fname.removesuffix(".json")
        if fname not in docs:
            bad.append(f"{label} (extra)")
        elif fname not in on_disk:
            bad.append(f"{label} (missing)")
        elif (ARTIFACTS_DIR / fname).read_text(encoding="utf-8") != _dump(docs[fname]):
            bad.append(f"{label} (differs)")
    return bad


def main(argv: list[str]) -> int:
    if argv[1:] == ["--check"]:
        bad = check()
        if bad:
            print("artifacts out of date (run python anvil_fixtures/compile.py):", file=sys.stderr)
            for item in bad:
                print("  " + item, file=sys.stderr)
            return 1
        print("artifacts up to date")
        return 0
    if argv[1:]:
        print("usage: compile.py [--check]", file=sys.stderr)
        return 2
    docs = compile_all()
    write(docs)
    print(f"wrote {len(docs)} files to {ARTIFACTS_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
