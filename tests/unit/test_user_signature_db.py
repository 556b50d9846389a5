"""The user's signature database in the decoder: found after the shipped one, collisions kept and
settled by decoding, nothing opened when there is none, read-only, and a broken file a typed error."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_abi import encode

from txfirewall.errors import InputFileError
from txfirewall.model.hashing import selector_of
from txfirewall.parse.request import parse_request
from txfirewall.signatures import decode_request
from txfirewall.signatures import user_db as user_db_module
from txfirewall.signatures.calldata import SHIPPED_SOURCE, USER_SOURCE, decode_calldata
from txfirewall.signatures.custom_errors import describe_revert
from txfirewall.signatures.selector_db import function_signatures, function_signatures_by_source
from txfirewall.signatures.selector_import import import_dump
from txfirewall.signatures.user_db import ENV_VAR, default_user_db_path, reset_user_db, shared_user_db

ALICE = "0xc1B46502289acCF2734Bf6168Dd2BAFec12839f4"
TARGET = "0x38A41bE4b4161A4d6bb4Facb9151020420D1b769"
CLAIM = "claimAirdropReward_txfw(uint256,address)"
LOCKED = "VaultLocked_txfw(uint256)"
COLLIDING = "userOnly401835(uint256)"
"""Found by search: same selector (0x215fce93) as the shipped ``changeExchangeRate(uint256)``."""
SHIPPED_TWIN = "changeExchangeRate(uint256)"
BALANCE_TWIN = "branch_passphrase_public(uint256,bytes8)"
"""A known real collision with ``balanceOf(address)`` (0x70a08231), not in the shipped table."""


@pytest.fixture
def user_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A user database holding four signatures, where the decoder looks for it."""
    path = tmp_path / "signatures.db"
    dump = tmp_path / "dump.csv"
    rows = "".join(f"0x{selector_of(s).hex()},{s}\n" for s in (CLAIM, LOCKED, COLLIDING, BALANCE_TWIN))
    dump.write_text("selector,signature\n" + rows)
    assert import_dump(dump, path).added == 4
    monkeypatch.setenv(ENV_VAR, str(path))
    reset_user_db()
    yield path
    reset_user_db()


def test_default_path_follows_env_then_xdg_then_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "mine.db"))
    assert default_user_db_path() == tmp_path / "mine.db"
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_user_db_path() == tmp_path / "xdg" / "txfirewall" / "signatures.db"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_user_db_path() == tmp_path / "home" / ".local" / "share" / "txfirewall" / "signatures.db"


def test_without_a_user_database_nothing_is_opened_or_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absent = tmp_path / "absent" / "signatures.db"
    monkeypatch.setenv(ENV_VAR, str(absent))
    reset_user_db()
    opened: list[object] = []
    monkeypatch.setattr(user_db_module, "UserSignatureDb", lambda *a: opened.append(a))
    try:
        assert function_signatures(selector_of("balanceOf(address)")) == ("balanceOf(address)",)
        assert function_signatures(selector_of(CLAIM)) == ()
        assert shared_user_db() is None and opened == [] and not absent.parent.exists()
    finally:
        reset_user_db()


def test_a_selector_only_the_user_knows_decodes_end_to_end(user_db: Path) -> None:
    data = selector_of(CLAIM) + encode(["uint256", "address"], [10**18, ALICE])
    intent = decode_request(parse_request({"from": ALICE, "to": TARGET, "data": "0x" + data.hex()}))
    assert intent.call is not None
    assert intent.call.signature == CLAIM and intent.call.source == USER_SOURCE
    assert [a.value for a in intent.call.arguments] == [10**18, ALICE]
    assert intent.call.candidates == (CLAIM,)
    assert "claimAirdropReward_txfw" in intent.summary


def test_without_the_import_the_same_calldata_is_unknown() -> None:
    data = selector_of(CLAIM) + encode(["uint256", "address"], [1, ALICE])
    decoding = decode_calldata(data)
    assert decoding.call is None and "not in the database" in decoding.notes[0]


def test_a_user_signature_colliding_with_a_shipped_one_is_kept_and_reported(user_db: Path) -> None:
    selector = selector_of(COLLIDING)
    assert selector == selector_of(SHIPPED_TWIN)
    assert function_signatures_by_source(selector) == ((SHIPPED_TWIN,), (COLLIDING,))
    assert function_signatures(selector) == (SHIPPED_TWIN, COLLIDING)
    decoding = decode_calldata(selector + encode(["uint256"], [7]))
    assert decoding.ambiguous == (SHIPPED_TWIN, COLLIDING)
    assert decoding.call is not None and decoding.call.candidates == (SHIPPED_TWIN, COLLIDING)
    assert decoding.call.source == SHIPPED_SOURCE
    assert "decodes as several functions" in decoding.notes[0]


def test_of_two_colliding_candidates_the_one_that_decodes_wins(user_db: Path) -> None:
    selector = selector_of("balanceOf(address)")
    assert function_signatures(selector) == ("balanceOf(address)", BALANCE_TWIN)
    as_balance = decode_calldata(selector + encode(["address"], [ALICE]))
    assert as_balance.call is not None and as_balance.call.signature == "balanceOf(address)"
    assert as_balance.ambiguous == ()
    as_twin = decode_calldata(selector + encode(["uint256", "bytes8"], [2**200, b"\x01" * 8]))
    assert as_twin.call is not None
    assert (as_twin.call.signature, as_twin.call.source) == (BALANCE_TWIN, USER_SOURCE)


def test_custom_errors_are_named_from_the_user_database(user_db: Path) -> None:
    assert describe_revert(selector_of(LOCKED) + encode(["uint256"], [5])) == f"custom error {LOCKED.split('(')[0]}(5)"


def test_an_import_in_this_process_is_seen_after_reset(user_db: Path, tmp_path: Path) -> None:
    late = "lateArrival_txfw(bytes32)"
    assert function_signatures(selector_of(late)) == ()
    (tmp_path / "late.csv").write_text(f"0x{selector_of(late).hex()},{late}\n")
    import_dump(tmp_path / "late.csv", user_db)
    reset_user_db()
    assert function_signatures(selector_of(late)) == (late,)


def test_the_decoder_opens_the_database_read_only(user_db: Path) -> None:
    db = shared_user_db()
    assert db is not None
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db._db.execute("DELETE FROM functions")


def test_a_broken_user_database_is_a_typed_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "signatures.db"
    broken.write_bytes(b"definitely not sqlite" * 100)
    monkeypatch.setenv(ENV_VAR, str(broken))
    reset_user_db()
    try:
        with pytest.raises(InputFileError, match="cannot read signature database") as info:
            function_signatures(selector_of(CLAIM))
        assert ENV_VAR in str(info.value)
    finally:
        reset_user_db()
