"""Rebuild samples.json from Samples.sol with the fixture chain's pinned solc (0.8.24, optimizer 200).

    python tests/data/bytecode/compile_samples.py
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]

spec = importlib.util.spec_from_file_location("fixture_compile", REPO / "anvil_fixtures" / "compile.py")
assert spec is not None and spec.loader is not None
fixture_compile = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fixture_compile)

output = fixture_compile._run_solc({"Samples.sol": (HERE / "Samples.sol").read_text(encoding="utf-8")})
IMMUTABLE = "7f" + "00" * 32
DEPLOYED = "7f" + "00" * 12 + "48896c5fb21972543508992ea7eb58e2f3a039db"
"""solc leaves immutables as zero words; a deployment writes the constructor's address there."""
runtime = {
    name: "0x" + data["evm"]["deployedBytecode"]["object"].replace(IMMUTABLE, DEPLOYED)
    for name, data in sorted(output["contracts"]["Samples.sol"].items())
    if data["evm"]["deployedBytecode"]["object"]
}
(HERE / "samples.json").write_text(json.dumps(runtime, indent=1, sort_keys=True) + "\n", encoding="utf-8")
print(f"wrote {len(runtime)} runtime codes")
