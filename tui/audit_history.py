"""The History screen's rows, read from the proxy's audit log (JSON lines, hash-chained).

Each line the proxy's audit log holds is ``{"seq", "time", "prev", "hash", "record": {...}}`` (or
an ``event`` the log writes itself: file starts, recoveries), ``record`` being what the proxy
appended: ``method``, ``origin``, ``request``, ``choice`` (forwarded, blocked, held: recorded when
a hold starts, then one of confirmed, overridden: a held block the user overrode, rejected,
timeout, closed; refused; override-refused: a confirmation of a held block that did not say
``override``, the hold staying), ``reason``, ``verdict``,
``score``, ``sender``, ``findings``. Rotated files (``audit.jsonl.1`` newest ... ``.N`` oldest) are
read too (``tail_audit``). The reading is defensive: a line that is not an entry is counted and
skipped (``txfirewall audit verify`` is where a broken chain is judged), and every string in a
record is untrusted (the request's origin, its bytes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from txfirewall.errors import AuditLogError
from txfirewall.proxy.audit import default_audit_path, tail_audit

__all__ = ["AuditRow", "default_audit_path", "read_history", "row_from_entry"]

MAX_ROWS = 20_000
"""Newest rows kept for the screen; older ones stay in the file."""


@dataclass(frozen=True)
class AuditRow:
    """One decision the proxy recorded."""

    seq: int | None
    time: str
    method: str
    origin: str | None
    choice: str
    reason: str | None
    verdict: str | None
    score: int | None
    sender: str | None
    findings: tuple[tuple[str, str, str], ...]
    """(rule, severity, message)."""

    @property
    def rules(self) -> str:
        return ", ".join(dict.fromkeys(rule for rule, _, _ in self.findings))

    def matches(self, query: str) -> bool:
        """Every word of ``query`` appears somewhere in the row (case aside)."""
        hay = " ".join(
            str(x or "")
            for x in (self.time, self.method, self.origin, self.choice, self.reason, self.verdict, self.sender)
        )
        hay = (hay + " " + " ".join(f"{r} {s} {m}" for r, s, m in self.findings)).lower()
        return all(word in hay for word in query.lower().split())


def _str(record: Mapping[str, Any], key: str) -> str | None:
    value = record.get(key)
    return value if isinstance(value, str) else None


def row_from_entry(entry: Mapping[str, Any]) -> AuditRow | None:
    """The row of one audit entry; None for the log's own events and for anything malformed."""
    record = entry.get("record")
    if not isinstance(record, Mapping):
        return None
    findings = []
    raw_findings = record.get("findings")
    for f in raw_findings if isinstance(raw_findings, list) else []:
        if isinstance(f, Mapping):
            findings.append((_str(f, "rule") or "?", _str(f, "severity") or "", _str(f, "message") or ""))
    seq = entry.get("seq")
    score = record.get("score")
    return AuditRow(
        seq=seq if isinstance(seq, int) and not isinstance(seq, bool) else None,
        time=_str(entry, "time") or "",
        method=_str(record, "method") or "?",
        origin=_str(record, "origin"),
        choice=_str(record, "choice") or "?",
        reason=_str(record, "reason"),
        verdict=_str(record, "verdict"),
        score=score if isinstance(score, int) and not isinstance(score, bool) else None,
        sender=_str(record, "sender"),
        findings=tuple(findings),
    )


def read_history(path: Path) -> tuple[list[AuditRow], int, str | None]:
    """The rows, newest first; how many lines could not be read as entries; why the log could not
    be read at all (None when it could, or when there is none yet)."""
    try:
        lines = tail_audit(path, last=MAX_ROWS)
    except AuditLogError as exc:
        return [], 0, str(exc)
    rows: list[AuditRow] = []
    bad = 0
    for line in lines:
        if line.entry is None:
            bad += 1
            continue
        row = row_from_entry(line.entry)
        if row is not None:
            rows.append(row)
    rows.reverse()
    return rows, bad, None
