"""The user's --history (JSON lines) and --labels (CSV) files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from txfirewall.enrich.history import relationship
from txfirewall.enrich.history_file import load_history, parse_history_lines
from txfirewall.enrich.labels import load_labels, parse_labels_csv
from txfirewall.errors import InputFileError
from txfirewall.intel.categories import categorise
from txfirewall.model.facts import ILLICIT_CATEGORIES, HistoryEntry, LabelCategory, Relationship

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "anvil_fixtures"
HISTORY = FIXTURES / "history.jsonl"

MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
ACCOUNTS = {role: info["address"] for role, info in MANIFEST["accounts"].items()}
CONTRACTS = MANIFEST["contracts"]
ALICE, BOB, CAROL, DAVE = (ACCOUNTS[r] for r in ("alice", "bob", "carol", "dave"))
SCAMMER = ACCOUNTS["scammer"]
USDX = CONTRACTS["usdx"]
ZERO = "0x" + "00" * 20


def line(**fields: Any) -> str:
    if "from_" in fields:
        fields["from"] = fields.pop("from_")
    return json.dumps(fields)


# --------------------------------------------------------------------------------------------
# history parsing


def test_fixture_history_parses() -> None:
    raw = [json.loads(text) for text in HISTORY.read_text().splitlines() if text.strip()]
    entries = load_history(HISTORY)
    assert len(entries) == len(raw) > 20
    for entry, obj in zip(entries, raw, strict=True):
        assert isinstance(entry, HistoryEntry)
        assert entry.sender == obj["from"]
        assert entry.to == obj.get("to")
        assert entry.value == int(obj["value"])
        assert entry.hash == obj["hash"]
        assert entry.timestamp == obj["timestamp"]
        assert entry.token == obj.get("token")
        assert entry.method == obj.get("method")
    # chain order, and the unlimited Permit2 approval keeps its full uint256 value
    timestamps = [e.timestamp for e in entries]
    assert timestamps == sorted(timestamps)
    assert max(e.value for e in entries) == 2**256 - 1


def test_minimal_line_and_normalisation() -> None:
    (entry,) = parse_history_lines([line(from_=ALICE.lower(), to=BOB.lower(), token=USDX.upper().replace("0X", "0x"))])
    assert entry.sender == ALICE and entry.to == BOB and entry.token == USDX  # checksummed
    assert entry.value == 0 and entry.timestamp is None and entry.hash is None and entry.method is None


def test_blank_lines_are_skipped_and_line_numbers_still_count() -> None:
    lines = ["", line(from_=ALICE, to=BOB, value="1"), "   ", line(from_=ALICE, to=BOB, value="x")]
    with pytest.raises(InputFileError, match=r"history line 4:"):
        parse_history_lines(lines)
    assert len(parse_history_lines(lines[:3])) == 1


def test_to_may_be_null_for_contract_creation() -> None:
    (entry,) = parse_history_lines([line(from_=ALICE, to=None, value="0")])
    assert entry.to is None


@pytest.mark.parametrize(
    ("bad", "needles"),
    [
        (line(from_="0x1234", to=BOB), ["field 'from'", "address"]),
        (line(from_=ALICE, to="bob.eth"), ["field 'to'", "address"]),
        (line(from_=ALICE, to=BOB, token=ALICE[:-1]), ["field 'token'", "address"]),
        (line(from_=ALICE, to=BOB, value="-1"), ["field 'value'", "non-negative decimal"]),
        (line(from_=ALICE, to=BOB, value="0x10"), ["field 'value'", "decimal"]),
        (line(from_=ALICE, to=BOB, value="1.5"), ["field 'value'", "decimal"]),
        (line(from_=ALICE, to=BOB, value="1e18"), ["field 'value'", "decimal"]),
        (line(from_=ALICE, to=BOB, value=""), ["field 'value'", "decimal"]),
        (line(from_=ALICE, to=BOB, value=5), ["field 'value'"]),
        (line(from_=ALICE, to=BOB, timestamp=-1), ["field 'timestamp'"]),
        (line(from_=ALICE, to=BOB, amount="1"), ["field 'amount'"]),
        (line(to=BOB, value="1"), ["field 'from'"]),
        (f'{{"from": "{ALICE}", "value": "1"', []),
        ("not json at all", []),
        ("[1, 2]", []),
    ],
    ids=[
        "bad-from",
        "bad-to",
        "bad-token",
        "negative-value",
        "hex-value",
        "fractional-value",
        "exponent-value",
        "empty-value",
        "numeric-value",
        "negative-timestamp",
        "unknown-key",
        "missing-from",
        "truncated-json",
        "not-json",
        "not-an-object",
    ],
)
def test_bad_line_names_its_number(bad: str, needles: list[str]) -> None:
    good = HISTORY.read_text().splitlines()[:2]
    with pytest.raises(InputFileError) as info:
        parse_history_lines([*good, bad, *good], source="mine.jsonl")
    message = str(info.value)
    assert message.startswith("mine.jsonl line 3:")
    for needle in needles:
        assert needle in message


def test_load_history_reports_the_file_path_and_line(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(HISTORY.read_text() + line(from_=ALICE, value="-5") + "\n", encoding="utf-8")
    n = len(HISTORY.read_text().splitlines()) + 1
    with pytest.raises(InputFileError, match=re.escape(f"{path} line {n}: field 'value'")):
        load_history(path)


def test_load_history_unreadable(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot read history file"):
        load_history(tmp_path / "missing.jsonl")
    (tmp_path / "bin.jsonl").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputFileError, match="cannot read history file"):
        load_history(tmp_path / "bin.jsonl")


# At f1ba5e1 a bug: 'value' was checked with str.isdigit(), so '\u00b2' crashed int() with ValueError
# and '\u0661\u0662' (Arabic-Indic digits) was silently read as 12.
@pytest.mark.parametrize("value", ["\u00b2", "\u0661\u0662"], ids=["superscript-two", "arabic-indic"])
def test_value_must_be_ascii_decimal(value: str) -> None:
    with pytest.raises(InputFileError, match=r"line 1: field 'value'.*decimal"):
        parse_history_lines([line(from_=ALICE, to=BOB, value=value)])


# --------------------------------------------------------------------------------------------
# relationship


@pytest.fixture(scope="module")
def history() -> tuple[HistoryEntry, ...]:
    return load_history(HISTORY)


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        # alice paid bob 1, 0.25 and 0.3 ETH; bob sent her 120 USDX and 0.1 ETH
        (BOB, Relationship(3, 2, 1707937500, 1793188800)),
        # two USDX transfers to carol; carol approved alice for 500 USDX
        (CAROL, Relationship(2, 1, 1710069600, 1751620500)),
        # one direct 0.05 ETH payment (the Multicall3 one goes to multicall3)
        (DAVE, Relationship(1, 0, 1782804600, 1782804600)),
        # alice used the USDX token (transfers, approvals, swap inputs) eight times, the last an
        # approval of the V3 position manager (2026-05-09)
        (USDX, Relationship(8, 0, 1710069600, 1778344800)),
        # router: approve (token line to the router) + two swaps
        (CONTRACTS["uniswap_v2_router"], Relationship(3, 0, 1712073600, 1730668200)),
        # the pair: alice paid it USDX once, it paid her twice
        (CONTRACTS["uniswap_v2_pair"], Relationship(1, 2, 1712073780, 1730668200)),
        (CONTRACTS["drainer"], Relationship(0, 0, None, None)),
        (SCAMMER, Relationship(0, 0, None, None)),
    ],
    ids=["bob", "carol", "dave", "usdx", "router", "pair", "drainer", "scammer"],
)
def test_relationship_from_fixture_history(
    history: tuple[HistoryEntry, ...], other: str, expected: Relationship
) -> None:
    rel = relationship(history, ALICE, other)
    assert rel == expected
    assert rel.interacted is (expected.sent_count + expected.received_count > 0)


def test_relationship_is_directional() -> None:
    entries = parse_history_lines(
        [
            line(from_=ALICE, to=BOB, value="1", timestamp=100),
            line(from_=BOB, to=ALICE, value="1", timestamp=50),
            line(from_=BOB, to=CAROL, value="1", timestamp=10),  # not alice's business
            line(from_=CAROL, to=BOB, value="1", timestamp=5),  # neither
            line(from_=ALICE, to=CAROL, value="1", timestamp=1),  # another counterparty
            line(from_=ALICE, to=BOB, value="1"),  # no timestamp: counted, not dated
        ]
    )
    assert relationship(entries, ALICE, BOB) == Relationship(2, 1, 50, 100)
    assert relationship(entries, BOB, ALICE) == Relationship(1, 2, 50, 100)
    assert relationship(entries, ALICE, DAVE) == Relationship(0, 0, None, None)
    assert relationship((), ALICE, BOB) == Relationship(0, 0, None, None)


def test_relationship_counts_token_lines_for_the_token() -> None:
    entries = parse_history_lines(
        [
            line(from_=ALICE, to=BOB, value="5", token=USDX, timestamp=7, method="transfer"),
        ]
    )
    assert relationship(entries, ALICE, USDX) == Relationship(1, 0, 7, 7)
    assert relationship(entries, ALICE, BOB) == Relationship(1, 0, 7, 7)


# --------------------------------------------------------------------------------------------
# labels


def test_labels_with_header_comments_and_both_widths() -> None:
    text = (
        "address,label,source\n"
        "# my own notes\n"
        f"{SCAMMER.lower()},Fake_Phishing123,chainabuse\n"
        "\n"
        f"{BOB},friend\n"
        f"{SCAMMER},Inferno Drainer,my-notes\n"
        f"{CAROL},carol,\n"
        "   # indented comment\n"
    )
    labels = parse_labels_csv(text, source="test.csv")
    assert set(labels) == {SCAMMER, BOB, CAROL}  # checksummed keys
    scam = labels[SCAMMER]
    assert [(lb.label, lb.source, lb.category) for lb in scam] == [
        ("Fake_Phishing123", "chainabuse", LabelCategory.PHISHING),
        ("Inferno Drainer", "my-notes", LabelCategory.DRAINER),
    ]
    assert all(lb.address == SCAMMER for lb in scam)
    (friend,) = labels[BOB]
    assert (friend.label, friend.source, friend.category) == ("friend", "test.csv", LabelCategory.OTHER)
    assert labels[CAROL][0].source == "test.csv"  # empty third column -> the file


def test_labels_without_header_and_read_only() -> None:
    labels = parse_labels_csv(f"{BOB},Binance Exchange 14\n")
    assert labels[BOB][0].category is LabelCategory.EXCHANGE
    with pytest.raises(TypeError):
        labels[ALICE] = ()  # type: ignore[index]


def test_empty_labels_file() -> None:
    assert dict(parse_labels_csv("")) == {}
    assert dict(parse_labels_csv("address,label\n# nothing yet\n")) == {}


def test_load_labels_uses_the_file_name_as_default_source(tmp_path: Path) -> None:
    path = tmp_path / "intel.csv"
    path.write_text(f"{SCAMMER},OFAC SDN list\n", encoding="utf-8")
    (label,) = load_labels(path)[SCAMMER]
    assert label.source == "intel.csv"
    assert label.category is LabelCategory.SANCTIONED
    with pytest.raises(InputFileError, match="cannot read labels file"):
        load_labels(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    ("label", "category"),
    [
        ("OFAC SDN", LabelCategory.SANCTIONED),
        ("Sanctioned: Lazarus Group", LabelCategory.SANCTIONED),
        ("formerly sanctioned (delisted 2025)", LabelCategory.FORMERLY_SANCTIONED),
        ("Formerly-Sanctioned", LabelCategory.FORMERLY_SANCTIONED),
        ("Fake_Phishing4821", LabelCategory.PHISHING),
        ("phisher", LabelCategory.PHISHING),
        ("Inferno DRAINER", LabelCategory.DRAINER),
        ("Tornado Cash: Router", LabelCategory.MIXER),
        ("coin mixer", LabelCategory.MIXER),
        ("Coinbase exchange hot wallet", LabelCategory.EXCHANGE),
        ("Ronin Bridge heist", LabelCategory.HEIST),
        ("Euler exploiter", LabelCategory.EXPLOIT),
        ("hacker", LabelCategory.EXPLOIT),
        ("scam token", LabelCategory.SCAM),
        ("Optimism bridge", LabelCategory.BRIDGE),
        ("Aave protocol", LabelCategory.PROTOCOL),
        ("benign", LabelCategory.BENIGN),
        ("other", LabelCategory.OTHER),
        ("my cold wallet", LabelCategory.OTHER),
    ],
)
def test_categories_from_keywords(label: str, category: LabelCategory) -> None:
    assert categorise(label) is category
    assert parse_labels_csv(f"{BOB},{label}\n")[BOB][0].category is category


def test_illicit_categories() -> None:
    assert {categorise(x) for x in ("OFAC", "phishing", "drainer")} <= ILLICIT_CATEGORIES
    assert not {categorise(x) for x in ("tornado", "exchange", "friend", "formerly sanctioned")} & ILLICIT_CATEGORIES


@pytest.mark.parametrize(
    ("text", "lineno", "needle"),
    [
        (f"{BOB}\n", 1, "expected address,label[,source]"),
        (f"{BOB},friend,me,extra\n", 1, "expected address,label[,source]"),
        (f"address,label\n{BOB},friend\nbob.eth,friend\n", 3, "'bob.eth' is not an address"),
        (f"{BOB},friend\n{CAROL[:-2]},carol\n", 2, "is not an address"),
        (f"address,label\n\n{BOB},   \n", 3, "empty label"),
        # a header is only recognised on the first line
        (f"{BOB},friend\naddress,label\n", 2, "'address' is not an address"),
    ],
    ids=["one-column", "four-columns", "bad-address", "short-address", "empty-label", "late-header"],
)
def test_bad_label_rows_name_the_line(text: str, lineno: int, needle: str) -> None:
    with pytest.raises(InputFileError) as info:
        parse_labels_csv(text, source="labels.csv")
    message = str(info.value)
    assert message.startswith(f"labels.csv line {lineno}:")
    assert needle in message


# At f1ba5e1 a bug: the header was only recognised on line 1, so a UTF-8 BOM (Excel's CSV export) or a
# comment before the header made the header row an error ("'\\ufeffaddress' is not an address").
@pytest.mark.parametrize(
    "prefix",
    ["\ufeff", "# exported labels\n"],
    ids=["utf8-bom", "comment-before-header"],
)
def test_header_after_bom_or_comment(tmp_path: Path, prefix: str) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(f"{prefix}address,label,source\n{SCAMMER},phishing,x\n", encoding="utf-8")
    assert load_labels(path)[SCAMMER][0].category is LabelCategory.PHISHING
