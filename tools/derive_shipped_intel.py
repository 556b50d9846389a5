"""Maintainer tool: derive the shipped intel lists from the public data snapshots.

``python tools/derive_shipped_intel.py SOURCE_DIR`` rewrites ``txfirewall/data/intel/*.csv``
from the files named in ``txfirewall/data/intel/PROVENANCE.md``. Never run by the package itself.
Output rows: ``address,category,label,date``, addresses lowercase, sorted, deduplicated.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from txfirewall.intel.categories import categorise
from txfirewall.model.facts import ILLICIT_CATEGORIES, LabelCategory

OUT = Path(__file__).resolve().parent.parent / "txfirewall" / "data" / "intel"
_ADDR = re.compile(r"0x[0-9a-fA-F]{40}")

Row = tuple[str, str, str, str]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write(name: str, rows: Iterable[Row]) -> int:
    unique = sorted({(a.lower(), c, " ".join(lb.split())[:120], d) for a, c, lb, d in rows if _ADDR.fullmatch(a)})
    with (OUT / name).open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["address", "category", "label", "date"])
        w.writerows(unique)
    return len(unique)


def _forta_category(tag: str, kind: str) -> str:
    text = f"{kind} {tag}".lower()
    if "heist" in text:
        return LabelCategory.HEIST.value
    if "exploit" in text or ("hack" in text and "phish" not in text):
        return LabelCategory.EXPLOIT.value
    return LabelCategory.PHISHING.value


def derive(src: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    ofac = _rows(src / "ofac/ultrasound_ofac_eth_current_2026-05-26.csv")
    counts["ofac_sanctioned.csv"] = _write(
        "ofac_sanctioned.csv", ((r["address"], "sanctioned", r["name"], "") for r in ofac)
    )
    old = [
        r for r in _rows(src / "ofac/ultrasound_ofac_eth_2024-08-20_with_tornado.csv") if "TORNADO" in r["name"].upper()
    ]
    counts["tornado_cash.csv"] = _write(
        "tornado_cash.csv",
        [
            *(
                (r["address"], "formerly-sanctioned", "Tornado Cash (OFAC SDN, delisted 2025-03-21)", r["date_added"])
                for r in old
            ),
            *((r["address"], "mixer", "Tornado Cash", r["date_added"]) for r in old),
        ],
    )
    mal = _rows(src / "forta_labelled_datasets/eth_etherscan_malicious_labels.csv")
    phish = _rows(src / "forta_labelled_datasets/eth_phishing_scams.csv")
    counts["forta_etherscan_malicious.csv"] = _write(
        "forta_etherscan_malicious.csv",
        [
            *(
                (r["banned_address"], _forta_category(r["wallet_tag"], r["data_source"]), r["wallet_tag"], "")
                for r in mal
            ),
            *((r["address"], "phishing", r["etherscan_tag"] or "phish-hack", "") for r in phish),
        ],
    )
    contracts = _rows(src / "forta_labelled_datasets/eth_malicious_smart_contracts.csv")
    counts["forta_malicious_contracts.csv"] = _write(
        "forta_malicious_contracts.csv",
        [
            *(
                (
                    r["contract_address"],
                    _forta_category(r["contract_tag"], r["contract_creator_etherscan_label"]),
                    r["contract_tag"] or "malicious contract",
                    "",
                )
                for r in contracts
            ),
            *(
                (
                    r["contract_creator"],
                    _forta_category(r["contract_creator_tag"], r["contract_creator_etherscan_label"]),
                    r["contract_creator_tag"] or "creator of a malicious contract",
                    "",
                )
                for r in contracts
            ),
        ],
    )
    mew = json.loads((src / "mew_darklist/mew_addresses_darklist.json").read_text())
    mew_rows: list[Row] = []
    for e in mew:
        cat = categorise(e.get("comment") or "")
        cat = cat if cat in ILLICIT_CATEGORIES else LabelCategory.SCAM
        mew_rows.append((e["address"], cat.value, e.get("comment") or "MEW darklist", e.get("date") or ""))
    counts["mew_darklist.csv"] = _write("mew_darklist.csv", mew_rows)
    hacks: list[Row] = []
    for r in _rows(src / "defihacklabs/defihacklabs_incidents.csv"):
        chain = r["chain_from_explorer"] or r["fork_chain"] or "unknown chain"
        for field, what in (("attacker_addresses", "attacker"), ("attack_contracts", "attack contract")):
            for a in _ADDR.findall(r[field]):
                hacks.append((a, "exploit", f"{r['name']} {what} ({chain})", r["month"]))
    counts["defihacklabs_attackers.csv"] = _write("defihacklabs_attackers.csv", hacks)
    benign: list[Row] = []
    for r in _rows(src / "forta_starter_kits/scam_detector_fp_list_benign.csv"):
        cat = categorise(r["comment"] or "")
        cat = (
            cat
            if cat in (LabelCategory.EXCHANGE, LabelCategory.BRIDGE, LabelCategory.PROTOCOL)
            else LabelCategory.BENIGN
        )
        benign.append((r["address"], cat.value, f"{r['comment'] or 'benign'} (chain {r['chain_id'].strip()})", ""))
    counts["forta_benign.csv"] = _write("forta_benign.csv", benign)
    return counts


if __name__ == "__main__":
    for name, count in derive(Path(sys.argv[1])).items():
        print(f"{name}: {count} rows")
