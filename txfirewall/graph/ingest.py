"""Read transfer edge lists: CSV, JSON lines (either gzipped) or Parquet (with pyarrow).

Columns: ``from,to[,value][,timestamp][,token][,tx_hash][,kind][,count]``. ``value`` is an integer
in base units; ``value_eth`` / ``total_eth`` (decimal ether, as in some public dumps) is converted to
wei. ``timestamp`` is unix seconds or ISO 8601. ``count`` (or ``n_transactions``): how many transfers
a row stands for, in dumps already aggregated per pair (default 1). A row without ``to`` (contract
creation) is skipped. Contracts are noted on the way: a ``token`` column names one, and so does the
``to`` of a ``kind`` ``create`` row (``txfirewall graph scan`` writes both).
Bad rows are ``InputFileError`` with the line number: these files come from outside.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np

from txfirewall.errors import InputFileError
from txfirewall.model.untrusted_json import loads_bounded

_FROM = ("from", "from_address", "sender", "src")
_TO = ("to", "to_address", "recipient", "dst")
_VALUE = ("value", "amount")
_VALUE_ETH = ("value_eth", "total_eth")
_TIME = ("timestamp", "block_time", "block_timestamp")
_COUNT = ("count", "n_transactions")


@dataclass(frozen=True)
class EdgeBatch:
    """Edges as arrays: 20-byte address keys, value as float64 weight, timestamp (-1 unknown),
    transfers per row; and the addresses the rows show to be contracts (sorted, unique)."""

    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    timestamp: np.ndarray
    count: np.ndarray
    contracts: np.ndarray

    def __len__(self) -> int:
        return int(self.src.size)

    @staticmethod
    def concat(batches: Iterable[EdgeBatch]) -> EdgeBatch:
        items = list(batches)
        if not items:
            return EdgeBatch(
                np.empty(0, "S20"),
                np.empty(0, "S20"),
                np.empty(0),
                np.empty(0, np.int64),
                np.empty(0, np.int64),
                np.empty(0, "S20"),
            )
        return EdgeBatch(
            np.concatenate([b.src for b in items]),
            np.concatenate([b.dst for b in items]),
            np.concatenate([b.weight for b in items]),
            np.concatenate([b.timestamp for b in items]),
            np.concatenate([b.count for b in items]),
            np.unique(np.concatenate([b.contracts for b in items])),
        )


def address_key(text: str) -> bytes:
    """The 20 raw bytes of a 0x address; ValueError otherwise."""
    if not isinstance(text, str) or len(text) != 42 or text[:2] not in ("0x", "0X"):
        raise ValueError(f"not an address: {text!r}")
    return bytes.fromhex(text[2:])


def _pick(row: Mapping[str, object], names: tuple[str, ...]) -> object:
    for name in names:
        value = row.get(name)
        if value not in (None, ""):
            return value
    return None


def _int_value(raw: object) -> int:
    if isinstance(raw, bool):
        raise ValueError("boolean value")
    if isinstance(raw, int):
        return raw
    text = str(raw).strip()
    return int(text, 16) if text.startswith(("0x", "0X")) else int(text)


def _timestamp(raw: object) -> int:
    if raw is None:
        return -1
    if isinstance(raw, int) and not isinstance(raw, bool):
        return _int64(raw)
    text = str(raw).strip()
    if text.isdigit():
        return _int64(int(text))
    stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return int(stamp.timestamp())


def _int64(value: int) -> int:
    """Timestamps are stored as int64: a larger one is a bad row, not a crash building the array."""
    if not -(2**63) <= value < 2**63:
        raise ValueError(f"timestamp {value} is out of range")
    return value


def parse_row(row: Mapping[str, object]) -> tuple[bytes, bytes, int, int] | None:
    """One transfer (src, dst, value in base units, timestamp) or None for a creation row without
    a recipient."""
    src, dst = _pick(row, _FROM), _pick(row, _TO)
    if dst is None:
        return None
    raw_value, raw_eth = _pick(row, _VALUE), _pick(row, _VALUE_ETH)
    if raw_value is not None:
        value = _int_value(raw_value)
    elif raw_eth is not None:
        value = int(Decimal(str(raw_eth)) * 10**18)
    else:
        value = 0
    if value < 0:
        raise ValueError("negative value")
    return address_key(str(src)), address_key(str(dst)), value, _timestamp(_pick(row, _TIME))


def row_count(row: Mapping[str, object]) -> int:
    """Transfers the row stands for (``count`` / ``n_transactions``; 1 when absent)."""
    raw = _pick(row, _COUNT)
    if raw is None:
        return 1
    count = _int_value(raw)
    if count < 1:
        raise ValueError("count must be at least 1")
    return count


def row_contracts(row: Mapping[str, object]) -> list[bytes]:
    """Addresses the row shows to hold code: its token, and what a creation row created."""
    found = []
    token = row.get("token")
    if isinstance(token, str) and token:
        found.append(address_key(token))
    if row.get("kind") == "create" and isinstance(row.get("to"), str):
        found.append(address_key(str(row["to"])))
    return found


def _rows_csv(text: Iterable[str]) -> Iterator[tuple[int, Mapping[str, object]]]:
    reader = csv.DictReader(text)
    if reader.fieldnames is None:
        return
    reader.fieldnames = [f.strip().lower() for f in reader.fieldnames]
    for row in reader:
        yield reader.line_num, row


def _rows_jsonl(text: Iterable[str]) -> Iterator[tuple[int, Mapping[str, object]]]:
    for number, line in enumerate(text, 1):
        if not line.strip():
            continue
        try:
            obj = loads_bounded(line)
        except ValueError as exc:
            raise InputFileError(f"line {number}: not JSON ({exc})") from exc
        if not isinstance(obj, dict):
            raise InputFileError(f"line {number}: a line must be a JSON object")
        yield number, obj


def _rows_parquet(path: Path) -> Iterator[tuple[int, Mapping[str, object]]]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise InputFileError(
            f"{path}: reading Parquet needs pyarrow", hint="pip install pyarrow, or export CSV"
        ) from exc
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError and others
        raise InputFileError(f"{path}: not a readable Parquet file: {exc}") from exc
    yield from enumerate(table.to_pylist(), 2)


def read_edges(path: Path) -> EdgeBatch:
    """All transfers in one file; the format comes from the suffix (``.gz`` accepted)."""
    name = path.name.lower()
    base = name[:-3] if name.endswith(".gz") else name
    src: list[bytes] = []
    dst: list[bytes] = []
    weight: list[float] = []
    stamps: list[int] = []
    counts: list[int] = []
    contracts: set[bytes] = set()
    number = 0
    try:
        if base.endswith(".parquet"):
            rows = _rows_parquet(path)
        else:
            raw = path.read_bytes()
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
            stream = io.StringIO(raw.decode("utf-8"))
            rows = _rows_jsonl(stream) if base.endswith((".jsonl", ".ndjson", ".json")) else _rows_csv(stream)
        for number, row in rows:  # noqa: B007 - the error message below names the line
            edge = parse_row(row)
            if edge is None:
                continue
            src.append(edge[0])
            dst.append(edge[1])
            weight.append(float(edge[2]))
            stamps.append(edge[3])
            counts.append(row_count(row))
            contracts.update(row_contracts(row))
    except InputFileError as exc:
        if str(exc).startswith("line "):
            raise InputFileError(f"{path.name} {exc.args[0]}") from exc
        raise
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read edges file {path}: {exc}") from exc
    except (ValueError, TypeError, ArithmeticError, csv.Error) as exc:
        # ArithmeticError: decimal's InvalidOperation and Overflow ("1e1000000" ether), and the
        # OverflowError of an infinite or too large value as a float weight
        raise InputFileError(f"{path.name} line {number}: {exc}") from exc
    return EdgeBatch(
        np.array(src, dtype="S20"),
        np.array(dst, dtype="S20"),
        np.array(weight, dtype=np.float64),
        np.array(stamps, dtype=np.int64),
        np.array(counts, dtype=np.int64),
        np.array(sorted(contracts), dtype="S20") if contracts else np.empty(0, "S20"),
    )
