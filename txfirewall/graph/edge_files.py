"""Partitioned edge files for the distributed build: Parquet or CSV (compressed CSV too), local
paths or any fsspec URL (``s3://``, ``gs://``, ``hdfs://``, ``abfs://`` ... with the matching
fsspec package installed), read with pyarrow and parsed column by column.

The rows mean what they mean to ``ingest`` (same column names, same aliases, same rules: a row
without ``to`` is skipped, ``value`` is an integer in base units or ``value_eth`` decimal ether,
``timestamp`` unix seconds or ISO 8601, ``count`` transfers per row, contracts from ``token`` and
``kind: create``), so the distributed and the single-machine builds see the same edges. The common
shapes (addresses as 0x strings, integers as integers or digit strings) are parsed as whole
columns; anything else (hex or 19+ digit values, ISO times, decimals) goes through ``ingest``'s
own per-value functions, so both paths agree by construction.

One file is one unit of work (a task of the distributed build): split large inputs into files.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np

from txfirewall.errors import InputFileError
from txfirewall.graph.ingest import _COUNT, _FROM, _TIME, _TO, _VALUE, _VALUE_ETH, EdgeBatch, _int_value, _timestamp

SUFFIXES = (".parquet", ".pq", ".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zst")
_HEX = np.full(256, 255, dtype=np.uint8)
_HEX[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10, dtype=np.uint8)
_HEX[np.frombuffer(b"abcdef", np.uint8)] = np.arange(10, 16, dtype=np.uint8)
_HEX[np.frombuffer(b"ABCDEF", np.uint8)] = np.arange(10, 16, dtype=np.uint8)
_FAST_DIGITS = 18
"""Digit strings up to this long fit int64 and convert to float64 as Python's float(int) does."""


def _is_parquet(path: str) -> bool:
    return path.lower().endswith((".parquet", ".pq"))


def expand_paths(specs: Sequence[str]) -> list[str]:
    """Files named by ``specs`` (files, directories searched recursively for edge files, or globs),
    each spec's files in name order, specs in the given order: the order rows are merged in."""
    import fsspec

    found: list[str] = []
    for spec in specs:
        fs, path = fsspec.core.url_to_fs(spec)
        if any(c in path for c in "*?["):
            names = sorted(fs.glob(path))
        elif fs.isdir(path):
            names = sorted(p for p in fs.find(path) if p.lower().endswith(SUFFIXES))
        elif fs.exists(path):
            names = [path]
        else:
            raise InputFileError(f"no edge files at {spec}")
        if not names:
            raise InputFileError(f"no edge files at {spec} (looked for {', '.join(SUFFIXES)})")
        found += [fs.unstrip_protocol(n) if "://" in spec else n for n in names]
    return found


def read_table(url: str) -> Any:
    """One file as a pyarrow Table (CSV: every column as text, names lower-cased as ``ingest``
    does)."""
    import fsspec
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    try:
        if _is_parquet(url):
            with fsspec.open(url, "rb") as f:
                return pq.read_table(f)
        with fsspec.open(url, "rb", compression="infer") as f:
            raw = f.read()
        first = raw.split(b"\n", 1)[0].decode("utf-8").strip("\r")
        names = [name.strip().lower() for name in next(csv.reader([first]))] if first else []
        if not names:
            return pa.table({})
        return pcsv.read_csv(
            io.BytesIO(raw),
            read_options=pcsv.ReadOptions(column_names=names, skip_rows=1),
            convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
        )
    except InputFileError:
        raise
    except Exception as exc:  # pyarrow and fsspec raise ArrowInvalid, OSError, ValueError and more
        raise InputFileError(f"cannot read edges file {url}: {exc}") from exc


def _missing(col: Any) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    null = np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        null |= np.asarray(pc.equal(col, "").fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    return null


def _coalesce(table: Any, names: tuple[str, ...]) -> list[tuple[Any, np.ndarray]]:
    """For each alias column present: (the column, rows where it is the first one with a value)."""
    present = [(table.column(n).combine_chunks(), None) for n in names if n in table.column_names]
    out = []
    taken = np.zeros(table.num_rows, dtype=bool)
    for col, _ in present:
        here = ~_missing(col) & ~taken
        taken |= here
        out.append((col, here))
    return out


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def parse_addresses(col: Any, rows: np.ndarray, name: str, where: str) -> np.ndarray:
    """20-byte keys (S20) of ``col[rows]``, 0x strings of 42 characters; InputFileError otherwise."""
    import pyarrow as pa
    import pyarrow.compute as pc

    part = col.take(pa.array(np.flatnonzero(rows))) if not rows.all() else col
    if part.null_count or not (pa.types.is_string(part.type) or pa.types.is_large_string(part.type)):
        raise InputFileError(f"{where}: {name} must be 0x address text")
    part = part.cast(pa.large_string())
    lengths = np.asarray(pc.binary_length(part).to_numpy(zero_copy_only=False))
    n = len(part)
    if n == 0:
        return np.empty(0, "S20")
    if (lengths != 42).any():
        i = _first_bad(lengths != 42)
        raise InputFileError(f"{where} row {np.flatnonzero(rows)[i] + 2}: not an address: {part[i].as_py()!r}")
    offsets = np.frombuffer(part.buffers()[1], dtype=np.int64)[part.offset : part.offset + n + 1]
    data = np.frombuffer(part.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(n, 42)
    nib = _HEX[data[:, 2:]]
    bad = (data[:, 0] != ord("0")) | ((data[:, 1] != ord("x")) & (data[:, 1] != ord("X"))) | (nib == 255).any(axis=1)
    if bad.any():
        i = _first_bad(bad)
        raise InputFileError(f"{where} row {np.flatnonzero(rows)[i] + 2}: not an address: {part[i].as_py()!r}")
    keys = (nib[:, 0::2] << 4) | nib[:, 1::2]
    return np.ascontiguousarray(keys).view("S20").reshape(n)


def _digits(col: Any) -> np.ndarray | None:
    """int64 values of a text column whose values are all short digit strings, else None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)) or len(col) == 0:
        return None
    ok = pc.and_(pc.match_substring_regex(col, r"^[0-9]+$"), pc.less_equal(pc.utf8_length(col), _FAST_DIGITS))
    if not bool(pc.all(ok).as_py()):
        return None
    return np.asarray(col.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)


def _integers(col: Any) -> np.ndarray | None:
    import pyarrow as pa

    if pa.types.is_integer(col.type) and col.null_count == 0:
        return np.asarray(col.to_numpy(zero_copy_only=False))
    return _digits(col)


def _values(table: Any, keep: np.ndarray, where: str) -> np.ndarray:
    """Value in base units as float64 (``float(int)``), 0 when no value column has one."""
    out = np.zeros(int(keep.sum()), dtype=np.float64)
    rows = np.flatnonzero(keep)
    plain = _coalesce(table, _VALUE)
    chosen = np.zeros(table.num_rows, dtype=bool)
    for col, here in plain:
        chosen |= here
        _fill(out, col, here & keep, keep, where, _base_units)
    for col, here in _coalesce(table, _VALUE_ETH):
        _fill(out, col, here & keep & ~chosen, keep, where, _ether)
    if (out < 0).any():
        raise InputFileError(f"{where} row {rows[_first_bad(out < 0)] + 2}: negative value")
    return out


def _base_units(raw: object) -> float:
    value = _int_value(raw)
    if value < 0:
        raise ValueError("negative value")
    return float(value)


def _ether(raw: object) -> float:
    value = int(Decimal(str(raw)) * 10**18)
    if value < 0:
        raise ValueError("negative value")
    return float(value)


def _convert(
    col: Any, rows: np.ndarray, keep: np.ndarray, where: str, one: Any, *, integers: bool, dtype: Any
) -> tuple[np.ndarray, np.ndarray]:
    """``col``'s values at ``rows``: (their positions among the kept rows, the values). Integer
    columns (``integers``) take the vectorised path; otherwise ``one`` converts each value, and a
    value it refuses (or one too large for ``dtype``) is an ``InputFileError`` naming its row."""
    import pyarrow as pa

    at = np.cumsum(keep)[rows] - 1
    part = col.take(pa.array(np.flatnonzero(rows)))
    fast = _integers(part) if integers else None
    if fast is not None:
        return at, fast
    values = np.empty(len(part), dtype=dtype)
    for i, raw in enumerate(part.to_pylist()):
        try:
            values[i] = one(raw)
        except OverflowError as exc:
            raise InputFileError(f"{where} row {np.flatnonzero(rows)[i] + 2}: {raw} is too large") from exc
        except (ValueError, TypeError, ArithmeticError) as exc:  # ArithmeticError: Decimal's errors
            raise InputFileError(f"{where} row {np.flatnonzero(rows)[i] + 2}: {exc}") from exc
    return at, values


def _fill(out: np.ndarray, col: Any, rows: np.ndarray, keep: np.ndarray, where: str, one: Any) -> None:
    """``out`` (indexed over kept rows) at ``rows`` from ``col``, fast for integer columns."""
    if not rows.any():
        return
    at, values = _convert(col, rows, keep, where, one, integers=one is _base_units, dtype=np.float64)
    if (values < 0).any():
        raise InputFileError(f"{where} row {np.flatnonzero(rows)[_first_bad(values < 0)] + 2}: negative value")
    out[at] = values.astype(np.float64)


def _times(table: Any, keep: np.ndarray, where: str) -> np.ndarray:
    out = np.full(int(keep.sum()), -1, dtype=np.int64)
    for col, here in _coalesce(table, _TIME):
        rows = here & keep
        if rows.any():
            at, values = _convert(col, rows, keep, where, _timestamp, integers=True, dtype=np.int64)
            out[at] = values
    return out


def _counts(table: Any, keep: np.ndarray, where: str) -> np.ndarray:
    out = np.ones(int(keep.sum()), dtype=np.int64)
    for col, here in _coalesce(table, _COUNT):
        rows = here & keep
        if not rows.any():
            continue
        at, values = _convert(col, rows, keep, where, _int_value, integers=True, dtype=np.int64)
        if (values < 1).any():
            raise InputFileError(
                f"{where} row {np.flatnonzero(rows)[_first_bad(values < 1)] + 2}: count must be at least 1"
            )
        out[at] = values
    return out


def _contracts(table: Any, keep: np.ndarray, where: str) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    found = [np.empty(0, "S20")]
    names = table.column_names
    if "token" in names:
        col = table.column("token").combine_chunks()
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            rows = keep & ~_missing(col)
            found.append(parse_addresses(col, rows, "token", where))
    if "kind" in names and "to" in names:
        kind = table.column("kind").combine_chunks()
        to = table.column("to").combine_chunks()
        if pa.types.is_string(to.type) or pa.types.is_large_string(to.type):
            create = np.asarray(
                pc.equal(kind.cast(pa.string()), "create").fill_null(False).to_numpy(zero_copy_only=False)
            )
            rows = keep & create & ~np.asarray(to.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            found.append(parse_addresses(to, rows, "to", where))
    return np.unique(np.concatenate(found))


def table_to_batch(table: Any, where: str) -> EdgeBatch:
    """The transfers of one table, as ``ingest.read_edges`` reads the same rows."""
    n = table.num_rows
    to_cols = _coalesce(table, _TO)
    keep = np.zeros(n, dtype=bool)
    for _, here in to_cols:
        keep |= here
    if not keep.any():
        return EdgeBatch.concat([])
    dst = np.empty(int(keep.sum()), dtype="S20")
    at = np.cumsum(keep) - 1
    for col, here in to_cols:
        if here.any():
            dst[at[here]] = parse_addresses(col, here, "to", where)
    src = np.empty(dst.size, dtype="S20")
    filled = np.zeros(n, dtype=bool)
    for col, here in _coalesce(table, _FROM):
        rows = here & keep
        if rows.any():
            src[at[rows]] = parse_addresses(col, rows, "from", where)
            filled |= rows
    if (keep & ~filled).any():
        raise InputFileError(f"{where} row {_first_bad(keep & ~filled) + 2}: not an address: None")
    return EdgeBatch(
        src,
        dst,
        _values(table, keep, where),
        _times(table, keep, where),
        _counts(table, keep, where),
        _contracts(table, keep, where),
    )


def read_batch(url: str) -> EdgeBatch:
    """One edge file, parsed."""
    return table_to_batch(read_table(url), url.rsplit("/", 1)[-1])


def read_all(specs: Iterable[str]) -> EdgeBatch:
    """Every file of ``specs`` in one process (the single-machine build's fast reader)."""
    return EdgeBatch.concat(read_batch(u) for u in expand_paths(list(specs)))
