"""Reading the user's history file (``--history``, JSON lines), validated line by line.

Apart from ``history.py`` because it needs pydantic (about 50 ms to import with the model), which
an analysis without a history file never pays.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from txfirewall.errors import InputFileError
from txfirewall.model.facts import HistoryEntry
from txfirewall.model.hostnames import MAX_ORIGIN_LENGTH, parse_host
from txfirewall.model.primitives import is_address, to_address
from txfirewall.model.untrusted_json import loads_bounded

_DECIMAL = re.compile(r"[0-9]+", re.ASCII)
"""ASCII digits only: str.isdigit() accepts '²' and Arabic-Indic digits."""
_MAX_DIGITS = len(str(2**256 - 1))


class _HistoryLine(BaseModel):
    """The wire shape of one history line, validated at the boundary."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    sender: str = Field(alias="from")
    to: str | None = None
    value: str = "0"
    hash: str | None = None
    timestamp: int | None = Field(default=None, ge=0)
    token: str | None = None
    method: str | None = None
    origin: str | None = Field(default=None, max_length=MAX_ORIGIN_LENGTH)

    @field_validator("origin")
    @classmethod
    def _origin(cls, v: str | None) -> str | None:
        if v is not None and parse_host(v) is None:
            raise ValueError("origin must be a URL or hostname naming a host (https://app.example)")
        return v

    @field_validator("sender", "to", "token")
    @classmethod
    def _address(cls, v: str | None) -> str | None:
        if v is not None and not is_address(v):
            raise ValueError("not a 0x-prefixed 20-byte address")
        return v

    @field_validator("value")
    @classmethod
    def _decimal(cls, v: str) -> str:
        if not _DECIMAL.fullmatch(v):
            raise ValueError("value must be a non-negative decimal string (wei or token base units)")
        if len(v.lstrip("0")) > _MAX_DIGITS:
            # int() refuses more than 4,300 digits with a bare ValueError; no amount needs 79
            raise ValueError(f"value has more than {_MAX_DIGITS} digits: larger than any 256-bit amount")
        return v


def parse_history_lines(lines: Iterable[str], *, source: str = "history") -> tuple[HistoryEntry, ...]:
    entries: list[HistoryEntry] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = _HistoryLine.model_validate(loads_bounded(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else exc.msg
            where = ""
            if isinstance(exc, ValidationError) and exc.errors()[0]["loc"]:
                where = f" field {exc.errors()[0]['loc'][0]!r}:"
            raise InputFileError(f"{source} line {number}:{where} {detail}") from exc
        entries.append(
            HistoryEntry(
                sender=to_address(raw.sender),
                to=to_address(raw.to) if raw.to else None,
                value=int(raw.value),
                hash=raw.hash,
                timestamp=raw.timestamp,
                token=to_address(raw.token) if raw.token else None,
                method=raw.method,
                origin=raw.origin,
            )
        )
    return tuple(entries)


def load_history(path: Path) -> tuple[HistoryEntry, ...]:
    """Read the user's past transactions from a JSON Lines file: one object per line with
    ``from`` and optional ``to``, ``value`` (decimal string), ``hash``, ``timestamp``, ``token``,
    ``method``, ``origin`` (see README). Raises ``InputFileError`` naming the first bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read history file {path}: {exc}") from exc
    return parse_history_lines(text.splitlines(), source=str(path))
