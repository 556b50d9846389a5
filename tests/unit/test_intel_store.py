"""The intel store: shipped lists, importers (untrusted files), persistence, fast lookups."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from txfirewall.errors import InputFileError
from txfirewall.intel.categories import SERVICE_CATEGORIES, is_seed
from txfirewall.intel.importers import read_labels
from txfirewall.intel.store import IntelStore
from txfirewall.model.facts import LabelCategory

LAZARUS = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"
TORNADO_ROUTER = "0xd90e2f925DA726b50C4Ed8D0Fb90Ad053324F31b"


def test_shipped_lists_label_sanctioned_and_formerly_sanctioned() -> None:
    store = IntelStore()
    assert LabelCategory.SANCTIONED in {lb.category for lb in store.lookup(LAZARUS)}
    tornado = {lb.category for lb in store.lookup(TORNADO_ROUTER)}
    assert tornado == {LabelCategory.FORMERLY_SANCTIONED, LabelCategory.MIXER}
    assert not is_seed(store.lookup(TORNADO_ROUTER))  # delisted: a mixer, not an illicit seed
    permit2 = store.lookup("0x000000000022D473030F116dDEE9F6B43aC78BA3")
    assert permit2 and all(lb.category in SERVICE_CATEGORIES for lb in permit2)
    assert store.lookup("0x" + "ab" * 20) == ()


def test_imports_persist_and_allow_list_unseeds(tmp_path: Path) -> None:
    db = tmp_path / "intel.sqlite"
    (tmp_path / "mine.csv").write_text(f"address,label\n{'0x' + '11' * 20},wallet drainer kit\n")
    (tmp_path / "allow.txt").write_text(f"# mine\n{LAZARUS},my own test wallet\n")
    (tmp_path / "ss.json").write_text(json.dumps(["0x" + "22" * 20]))
    with IntelStore(db, shipped=False) as store:
        assert store.add(read_labels(tmp_path / "mine.csv", "csv")) == 1
        assert store.add(read_labels(tmp_path / "mine.csv", "csv")) == 0
        store.add(read_labels(tmp_path / "allow.txt", "allow"))
        store.add(read_labels(tmp_path / "ss.json", "scamsniffer"))
    with IntelStore(db) as store:
        assert store.lookup("0x" + "11" * 20)[0].category is LabelCategory.DRAINER
        assert store.lookup("0x" + "22" * 20)[0].source == "scamsniffer"
        assert not is_seed(store.lookup(LAZARUS))  # the user's allow-list has the last word


def test_etherscan_dump_import(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(
        "address,name,labels\n0x" + "33" * 20 + ",Fake_Phishing77,phish-hack\n0x" + "44" * 20 + ",Binance 14,exchange\n"
    )
    cats = [lb.category for lb in read_labels(path, "etherscan")]
    assert cats == [LabelCategory.PHISHING, LabelCategory.EXCHANGE]


@pytest.mark.parametrize(
    "fmt, body, where",
    [
        ("csv", "address,label\n0x12,bad\n", "line 2"),
        ("allow", "0x" + "11" * 20 + "\nnot-an-address\n", "line 2"),
        ("scamsniffer", '["0x' + "11" * 20 + '", 5]', "item 1"),
    ],
)
def test_bad_rows_name_their_line(tmp_path: Path, fmt: str, body: str, where: str) -> None:
    path = tmp_path / "f"
    path.write_text(body)
    with pytest.raises(InputFileError, match=where):
        read_labels(path, fmt)


def test_import_does_not_load_numba_or_networkx() -> None:
    code = "import sys, txfirewall, txfirewall.cli.main; print('numba' in sys.modules or 'networkx' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )
