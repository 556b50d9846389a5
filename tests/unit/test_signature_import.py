"""``txfirewall signatures import``: every dump shape read, every bad row rejected for its reason,
re-imports idempotent, the database refused when it is not ours."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest

from txfirewall.errors import InputFileError
from txfirewall.model.hashing import selector_of
from txfirewall.signatures.selector_import import REASONS, ImportSummary, import_dump
from txfirewall.signatures.user_db import UserSignatureDb

CLAIM = "claimAirdropReward_txfw(uint256,address)"
LOCKED = "VaultLocked_txfw(uint256)"
TRANSFER = "transfer(address,uint256)"


def sel(signature: str) -> str:
    return "0x" + selector_of(signature).hex()


def stored(db: Path) -> set[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return {(f"0x{k:08x}", s) for k, s in conn.execute("SELECT selector, signature FROM functions")}


def run(tmp_path: Path, name: str, content: str | bytes, fmt: str = "auto") -> tuple[ImportSummary, Path]:
    source = tmp_path / name
    if isinstance(content, bytes):
        source.write_bytes(content)
    else:
        source.write_text(content, encoding="utf-8")
    db = tmp_path / "db" / "signatures.db"
    return import_dump(source, db, fmt=fmt), db


EXPECTED = {(sel(CLAIM), CLAIM), (sel(LOCKED), LOCKED)}


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("4byte.csv", f'id,text_signature,hex_signature\n1,"{CLAIM}",{sel(CLAIM)}\n2,"{LOCKED}",{sel(LOCKED)}\n', "csv"),
        ("plain.csv", f"selector,signature\n{sel(CLAIM)},{CLAIM}\n{sel(LOCKED)},{LOCKED}\n", "auto"),
        ("headerless.csv", f'{sel(CLAIM)[2:]},"{CLAIM}"\n{sel(LOCKED)},{LOCKED}\n', "auto"),
        ("reversed.csv", f'"{CLAIM}",{sel(CLAIM)}\n{LOCKED},{sel(LOCKED).upper().replace("0X", "0x")}\n', "auto"),
        ("tabs.tsv", f"hex_signature\ttext_signature\n{sel(CLAIM)}\t{CLAIM}\n{sel(LOCKED)}\t{LOCKED}\n", "auto"),
        (
            "array.json",
            json.dumps([{"selector": sel(CLAIM), "signature": CLAIM}, {"hex_signature": sel(LOCKED), "name": LOCKED}]),
            "auto",
        ),
        ("pairs.json", json.dumps([[sel(CLAIM), CLAIM], [LOCKED, sel(LOCKED)]], indent=2), "json"),
        (
            "4byte_page.json",
            json.dumps({"count": 2, "next": None, "results": [{"id": 1, "text_signature": CLAIM, "hex_signature": sel(CLAIM)}, {"id": 2, "text_signature": LOCKED, "hex_signature": sel(LOCKED)}]}),
            "auto",
        ),
        (
            "openchain.json",
            json.dumps({"ok": True, "result": {"event": {}, "function": {sel(CLAIM): [{"name": CLAIM, "filtered": False}], sel(LOCKED): [{"name": LOCKED, "filtered": True}], "0x12345678": None}}}),
            "auto",
        ),
        ("mapping.json", json.dumps({sel(CLAIM): CLAIM, sel(LOCKED): [LOCKED]}), "auto"),
        ("lines.jsonl", f'{{"selector": "{sel(CLAIM)}", "signature": "{CLAIM}"}}\n\n["{sel(LOCKED)}", "{LOCKED}"]\n', "auto"),
    ],
)  # fmt: skip
def test_every_shape_is_read(tmp_path: Path, name: str, content: str, fmt: str) -> None:
    summary, db = run(tmp_path, name, content, fmt)
    assert stored(db) == EXPECTED
    assert (summary.read, summary.added, summary.already_present) == (2, 2, 0)
    assert sum(summary.rejected.values()) == 0


def test_gzip_is_recognised_by_content_and_a_bom_is_dropped(tmp_path: Path) -> None:
    text = f"\ufeffhex_signature,text_signature\n{sel(CLAIM)},{CLAIM}\n{sel(LOCKED)},{LOCKED}\n"
    summary, db = run(tmp_path, "dump.bin", gzip.compress(text.encode()))
    assert stored(db) == EXPECTED and summary.format == "csv"


def test_unquoted_signatures_split_at_their_commas_are_joined_back(tmp_path: Path) -> None:
    rows = f"id,hex_signature,text_signature\n7,{sel(CLAIM)},{CLAIM}\n"
    summary, db = run(tmp_path, "raw.csv", rows)
    assert stored(db) == {(sel(CLAIM), CLAIM)} and summary.added == 1
    rows = f"text_signature,hex_signature,id\n{CLAIM},{sel(CLAIM)},7\n{LOCKED},{sel(LOCKED)},8\n"
    summary, db = run(tmp_path, "raw2.csv", rows)
    assert (summary.added, summary.already_present, summary.rejected["malformed-row"]) == (1, 1, 0)


def test_bytes_signature_column_of_raw_characters(tmp_path: Path) -> None:
    raw = selector_of(CLAIM).decode("latin-1")
    summary, db = run(tmp_path, "b.json", json.dumps([{"bytes_signature": raw, "text_signature": CLAIM}]))
    assert stored(db) == {(sel(CLAIM), CLAIM)} and summary.added == 1


def test_openchain_events_are_counted_and_skipped(tmp_path: Path) -> None:
    doc = {"result": {"function": {sel(CLAIM): [{"name": CLAIM}]}, "event": {"0x" + "ab" * 32: [{"name": "E()"}]}}}
    summary, db = run(tmp_path, "oc.json", json.dumps(doc))
    assert summary.ignored_events == 1 and stored(db) == {(sel(CLAIM), CLAIM)}


def test_each_bad_row_is_rejected_for_its_reason(tmp_path: Path) -> None:
    rows = [
        f"{sel(CLAIM)},{CLAIM}",  # good
        f"{sel(CLAIM)[:-1]},{CLAIM}",  # 7 hex digits
        f"0xzz{sel(CLAIM)[4:]},{CLAIM}",
        f'{sel("f(uint)")},"f(uint)"',  # not canonical: uint256
        f'{sel("g(address, uint256)")},"g(address, uint256)"',  # spaces
        f"{sel('h(uint256)')},h(uint256",  # unbalanced
        f"{sel(TRANSFER)},approve(address,uint256)",  # a poisoned name: keccak does not match
        f"0xdeadbeef,{LOCKED}",
        "lonely-cell",
        f"{sel(CLAIM)},{CLAIM}",  # a duplicate inside the file
    ]
    summary, db = run(tmp_path, "bad.csv", "selector,signature\n" + "\n".join(rows) + "\n")
    assert stored(db) == {(sel(CLAIM), CLAIM)}
    assert dict(summary.rejected) == {
        "malformed-row": 1,
        "bad-selector": 2,
        "bad-signature": 3,
        "selector-mismatch": 2,
    }
    assert (summary.read, summary.added, summary.already_present) == (10, 1, 1)
    assert set(summary.rejected) == set(REASONS)
    assert any("approve(address,uint256)" in e for e in summary.examples["selector-mismatch"])


def test_surrounding_whitespace_is_trimmed_not_stored(tmp_path: Path) -> None:
    summary, db = run(tmp_path, "ws.csv", f'selector,signature\n {sel(CLAIM)} ," {CLAIM} "\n')
    assert stored(db) == {(sel(CLAIM), CLAIM)} and summary.added == 1


def test_a_signature_longer_than_1024_characters_is_rejected(tmp_path: Path) -> None:
    long = "x(" + ",".join(["uint256"] * 200) + ")"
    summary, db = run(tmp_path, "long.csv", f'selector,signature\n{sel(long)},"{long}"\n')
    assert summary.rejected["bad-signature"] == 1 and stored(db) == set()


def test_reimport_adds_nothing_and_a_new_dump_adds_only_what_is_new(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text(f"selector,signature\n{sel(CLAIM)},{CLAIM}\n{sel(LOCKED)},{LOCKED}\n")
    db = tmp_path / "s.db"
    first = import_dump(source, db)
    again = import_dump(source, db)
    assert (first.added, again.added, again.already_present) == (2, 0, 2)
    more = tmp_path / "b.csv"
    more.write_text(f"selector,signature\n{sel(LOCKED)},{LOCKED}\n{sel(TRANSFER)},{TRANSFER}\n")
    third = import_dump(more, db)
    assert (third.added, third.already_present) == (1, 1)
    with UserSignatureDb(db) as user:
        assert user.count() == 3
        assert user.lookup(selector_of(TRANSFER)) == (TRANSFER,)


def test_progress_is_reported_per_batch(tmp_path: Path) -> None:
    source = tmp_path / "p.csv"
    source.write_text("selector,signature\n" + f"{sel(CLAIM)},{CLAIM}\n" * 25)
    seen: list[tuple[str, int, int, int]] = []
    import_dump(source, tmp_path / "s.db", progress=lambda *a: seen.append(a), batch_rows=10)
    assert [p[0] for p in seen] == ["reading"] * 3 + ["merging"]
    assert [p[3] for p in seen] == [10, 20, 25, 25]
    assert seen[-1][1] == seen[-1][2] == source.stat().st_size


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,created_at\n1,2020\n", "neither a header nor"),
        ("name,created\nfoo(),2020\n", "names no selector column"),
        ("selector,whatever\n0x12345678,foo()\n", "names no signature column"),
        ('{"not": json', "not JSON"),
    ],
)
def test_unreadable_dumps_are_typed_errors_and_leave_no_database(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(InputFileError, match=message):
        run(tmp_path, "x.dump", content)
    assert not (tmp_path / "db").exists()


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot read"):
        import_dump(tmp_path / "missing.csv", tmp_path / "s.db")
    (tmp_path / "a.csv").write_text("")
    with pytest.raises(InputFileError, match="unknown format"):
        import_dump(tmp_path / "a.csv", tmp_path / "s.db", fmt="xml")


def test_a_database_that_is_not_ours_is_refused_untouched(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(f"{sel(CLAIM)},{CLAIM}\n")
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x)")
    conn.close()
    with pytest.raises(InputFileError, match="not a txfirewall signature database"):
        import_dump(tmp_path / "a.csv", other)
    text = tmp_path / "text.db"
    text.write_text("hello, I am not SQLite at all" * 100)
    with pytest.raises(InputFileError, match="cannot write signature database"):
        import_dump(tmp_path / "a.csv", text)
    assert text.read_text().startswith("hello")


def test_an_interrupted_import_adds_nothing(tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_text("selector,signature\n" + f"{sel(CLAIM)},{CLAIM}\n" * 30)
    db = tmp_path / "s.db"

    def interrupt(phase: str, *_: int) -> None:
        if phase == "merging":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_dump(source, db, progress=interrupt, batch_rows=10)
    assert stored(db) == set()


def test_a_truncated_gzip_is_a_typed_error_and_stores_nothing(tmp_path: Path) -> None:
    rows = "".join(f"0x{selector_of(f'f{i}()').hex()},f{i}()\n" for i in range(20_000))
    packed = gzip.compress(rows.encode())
    source = tmp_path / "cut.csv.gz"
    source.write_bytes(packed[: len(packed) // 2])
    db = tmp_path / "s.db"
    with pytest.raises(InputFileError, match="cannot read"):
        import_dump(source, db, batch_rows=1000)
    assert stored(db) == set()


def test_every_shipped_signature_passes_the_import_checks(tmp_path: Path) -> None:
    """172k real signatures (collisions included): none rejected, every pair stored."""
    from txfirewall.signatures.selector_db import functions

    table = functions()
    source = tmp_path / "shipped.csv"
    with open(source, "w", encoding="utf-8") as out:
        out.write("hex_signature,text_signature\n")
        for i in range(len(table)):
            text = table.text[table.offsets[i] : table.offsets[i + 1]].decode()
            out.write(f'0x{table.keys[i].hex()},"{text}"\n')
    summary = import_dump(source, tmp_path / "s.db")
    assert sum(summary.rejected.values()) == 0
    assert summary.added == summary.read == len(table)
