"""docs/reliability_cases.md cannot rot: every case of RELIABILITY.md is in its table once, every
test it names exists, and each status agrees with the test's markers (a "passes" row names no
xfail test, a "strict xfail" row names a test marked ``xfail(strict=True)``)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "reliability_cases.md"
NUMBERED = {"A6": 11, "A7": 10, "A8": 52}
"""RELIABILITY.md's numbered cases: A6 #1-11 (incidents), A7 1-10 (pitfalls), A8 1-52."""
NAMED = re.compile(r"A[1-5]\.[a-z0-9][a-z0-9-]*")
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")
CASE_REF = re.compile(r"\bA\d\.\d+\b|\bA[1-5]\.[a-z][a-z0-9-]*\b")


@dataclass(frozen=True)
class Row:
    case: str
    section: str
    what: str
    tests: str
    status: str

    @property
    def refs(self) -> list[tuple[str, str]]:
        return TEST_REF.findall(self.tests)


def rows() -> list[Row]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Case | Section |"))
    out = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 5, f"a row of five cells: {line}"
        out.append(Row(*cells))
    return out


@cache
def markers(path: str) -> dict[str, str]:
    """Each test function of ``path`` (module level, sync or async) and its xfail marker:
    ``"strict"``, ``"xfail"`` (not strict) or ``""``."""
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = ""
            for deco in node.decorator_list:
                call = deco if isinstance(deco, ast.Call) else None
                target = call.func if call else deco
                if isinstance(target, ast.Attribute) and target.attr == "xfail":
                    strict = call is not None and any(
                        k.arg == "strict" and isinstance(k.value, ast.Constant) and k.value.value is True
                        for k in call.keywords
                    )
                    found[node.name] = "strict" if strict else "xfail"
    return found


def test_every_numbered_case_is_listed_once_and_named_cases_are_well_formed() -> None:
    cases = [r.case for r in rows()]
    assert len(cases) == len(set(cases)), "a case listed twice"
    for section, count in NUMBERED.items():
        listed = sorted(int(c.split(".")[1]) for c in cases if c.startswith(section + "."))
        assert listed == list(range(1, count + 1)), f"{section}: {listed}"
    others = [c for c in cases if c.split(".")[0] not in NUMBERED]
    assert others and all(NAMED.fullmatch(c) for c in others), others
    assert {c.split(".")[0] for c in others} == {"A1", "A2", "A3", "A4", "A5"}, "every unnumbered section has its rows"


def test_every_test_named_exists() -> None:
    missing = []
    for row in rows():
        for path, name in row.refs:
            if not (REPO / path).is_file() or name not in markers(path):
                missing.append(f"{row.case}: {path}::{name}")
    assert missing == []


def test_cases_referred_to_are_in_the_table() -> None:
    known = {r.case for r in rows()}
    for row in rows():
        for match in CASE_REF.findall(row.tests.replace("-A", " A")):
            assert match in known, f"{row.case} refers to {match}"


@pytest.mark.parametrize("row", rows(), ids=lambda r: r.case)
def test_the_status_agrees_with_the_tests(row: Row) -> None:
    kinds = {markers(path).get(name, "") for path, name in row.refs}
    status = row.status
    assert status.startswith(("passes", "strict xfail", "n/a: ")), status
    if status.startswith("n/a"):
        assert len(status) > len("n/a: ") + 20, "say why it does not apply"
        return
    assert row.refs or "as A" in row.tests, "a row that passes or fails names its tests"
    if "xfail" in status:
        assert "strict" in kinds, "a strict xfail row names a test marked xfail(strict=True)"
        assert "xfail" not in kinds, "xfail without strict=True hides a pass"
    else:
        assert kinds <= {""}, f"{row.case} passes, but names a test marked xfail"
