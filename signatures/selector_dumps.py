"""Reading selector dumps (4byte.directory and openchain exports) as raw (selector, signature) text.

Liberal in what it reads, because exports come in many shapes:

- CSV with a header naming a selector column (``hex_signature``, ``selector``, ``hex``,
  ``function_selector``, ``bytes_signature``) and a signature column (``text_signature``,
  ``signature``, ``name``, ``function``, ``text``), other columns ignored; or headerless
  ``selector,signature`` (or ``signature,selector``), the signature quoted or not; tab-separated too
- JSON: an array of objects with those keys or of ``[selector, signature]`` pairs; 4byte's API page
  ``{"results": [...]}``; openchain's ``{"result": {"function": {"0x...": [{"name": ...}]}}}``
  (its events are counted and skipped); a ``{selector: signature or [signatures]}`` object
- JSON lines, one such object or pair per line
- any of these gzip-compressed (recognised by content, not by name)

Nothing here judges a pair: the importer (``selector_import``) checks every selector and
signature. A row with no selector and signature to take is counted as ``malformed``. CSV and JSON
lines are streamed; a JSON document is parsed whole.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from txfirewall.errors import InputFileError
from txfirewall.model.untrusted_json import loads_bounded

FORMATS = ("auto", "csv", "json", "jsonl")
SELECTOR_COLUMNS = ("hex_signature", "selector", "hex", "function_selector", "bytes_signature")
SIGNATURE_COLUMNS = ("text_signature", "signature", "name", "function", "text")
_MAX_JSON_LINE = 1 << 16
_SELECTOR_LIKE = re.compile(r"\s*(?:0[xX])?[0-9a-fA-F]{8}\s*")

Batch = tuple[list[str], list[str]]
"""Selectors and signatures of one batch, as text, side by side."""


def looks_like_selector(text: object) -> bool:
    return isinstance(text, str) and _SELECTOR_LIKE.fullmatch(text) is not None


def _raw_selector(value: str, column: str) -> str:
    """4byte's ``bytes_signature`` holds the four raw bytes as characters; hex is what we check."""
    if column == "bytes_signature" and len(value) == 4 and not looks_like_selector(value):
        try:
            return value.encode("latin-1").hex()
        except UnicodeEncodeError:
            return value
    return value


class DumpReader:
    """One dump file, read once: ``with DumpReader(path) as reader: for sels, sigs in
    reader.batches(n)``; then ``malformed`` and ``ignored_events`` hold the counts, and ``format``
    the format that was read."""

    def __init__(self, path: Path, fmt: str = "auto") -> None:
        if fmt not in FORMATS:
            raise InputFileError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
        self.path = path
        self.format = fmt
        self.malformed = 0
        self.ignored_events = 0
        try:
            self._raw = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as exc:
            raise InputFileError(f"cannot read {path}: {exc}") from exc
        try:
            self.size = path.stat().st_size
            self._text: io.TextIOWrapper[Any]
            if self._raw.peek(2)[:2] == b"\x1f\x8b":
                self._text = _text(gzip.GzipFile(fileobj=self._raw, mode="rb"))
            else:
                self._text = _text(self._raw)
            self._first = self._text.readline()
        except (OSError, EOFError, zlib.error) as exc:
            self._raw.close()
            raise InputFileError(f"cannot read {path}: {exc}") from exc
        if self.format == "auto":
            self.format = self._detect()

    def close(self) -> None:
        self._text.close()
        self._raw.close()

    def __enter__(self) -> DumpReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def position(self) -> int:
        """Bytes of the file consumed so far (compressed bytes for a gzip file), for progress."""
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def _detect(self) -> str:
        head = self._first.lstrip()
        if not head.startswith(("[", "{")):
            return "csv"
        if len(self._first) > _MAX_JSON_LINE:
            return "json"  # one record per line is never this long: a document on one line
        try:
            loads_bounded(self._first)
        except ValueError:
            return "json"  # the first line alone is not a document: a pretty-printed one
        return "jsonl"

    def batches(self, size: int) -> Iterator[Batch]:
        """The dump's (selector, signature) text pairs, ``size`` at a time."""
        try:
            if self.format == "csv":
                yield from self._csv(size)
            elif self.format == "jsonl":
                yield from _chunked(self._jsonl(), size)
            else:
                yield from _chunked(self._json(), size)
        except (OSError, EOFError, zlib.error, csv.Error) as exc:
            raise InputFileError(f"cannot read {self.path}: {exc}") from exc

    # --- CSV ----------------------------------------------------------------------------------

    def _csv(self, size: int) -> Iterator[Batch]:
        delimiter = "\t" if "\t" in self._first else ","
        reader = csv.reader(itertools.chain([self._first], self._text), delimiter=delimiter)
        first = next(reader, None)
        while first is not None and not first:
            first = next(reader, None)
        if first is None:
            return
        names = [c.strip().lower() for c in first]
        if any(n in SELECTOR_COLUMNS or n in SIGNATURE_COLUMNS for n in names):
            yield from self._csv_with_header(reader, names, size)
            return
        if looks_like_selector(first[0]):
            yield from self._csv_headerless(itertools.chain([first], reader), 0, size)
        elif looks_like_selector(first[-1]):
            yield from self._csv_headerless(itertools.chain([first], reader), -1, size)
        else:
            raise InputFileError(
                f"{self.path.name}: the first line is neither a header nor a selector,signature row",
                hint="give a header naming the columns (e.g. hex_signature,text_signature)",
            )

    def _csv_with_header(self, rows: Iterator[list[str]], names: list[str], size: int) -> Iterator[Batch]:
        column = next((c for c in SELECTOR_COLUMNS if c in names), None)
        text_column = next((c for c in SIGNATURE_COLUMNS if c in names), None)
        if column is None or text_column is None:
            raise InputFileError(
                f"{self.path.name}: the header names no {'selector' if column is None else 'signature'} column",
                hint=f"expected one of {', '.join(SELECTOR_COLUMNS if column is None else SIGNATURE_COLUMNS)}",
            )
        si, gi = names.index(column), names.index(text_column)
        width = len(names)
        sels: list[str] = []
        sigs: list[str] = []
        for row in rows:
            n = len(row)
            if n == width:
                sels.append(row[si])
                sigs.append(row[gi])
            elif n > width:  # an unquoted signature split at its commas: join it back
                extra = n - width
                sels.append(row[si if si < gi else si + extra])
                sigs.append(",".join(row[gi : gi + 1 + extra]))
            elif n:
                self.malformed += 1
                continue
            else:
                continue
            if len(sels) >= size:
                yield self._bytes_column(sels, column), sigs
                sels, sigs = [], []
        if sels:
            yield self._bytes_column(sels, column), sigs

    @staticmethod
    def _bytes_column(sels: list[str], column: str) -> list[str]:
        return [_raw_selector(s, column) for s in sels] if column == "bytes_signature" else sels

    def _csv_headerless(self, rows: Iterable[list[str]], at: int, size: int) -> Iterator[Batch]:
        sels: list[str] = []
        sigs: list[str] = []
        for row in rows:
            n = len(row)
            if n == 2:
                sels.append(row[at])
                sigs.append(row[at + 1])  # at is 0 or -1: the other column
            elif n > 2:
                sels.append(row[at])
                sigs.append(",".join(row[1:] if at == 0 else row[:-1]))
            elif n:
                self.malformed += 1
                continue
            else:
                continue
            if len(sels) >= size:
                yield sels, sigs
                sels, sigs = [], []
        if sels:
            yield sels, sigs

    # --- JSON ---------------------------------------------------------------------------------

    def _json(self) -> Iterator[tuple[str, str]]:
        text = self._first + self._text.read()
        try:
            document = loads_bounded(text)
        except ValueError as exc:
            raise InputFileError(f"{self.path.name}: not JSON ({exc})", hint="use --format csv or jsonl") from exc
        yield from self._pairs(document)

    def _jsonl(self) -> Iterator[tuple[str, str]]:
        for line in itertools.chain([self._first], self._text):
            if not line.strip():
                continue
            try:
                value = loads_bounded(line)
            except ValueError:
                self.malformed += 1
                continue
            yield from self._pairs(value)

    def _pairs(self, value: Any) -> Iterator[tuple[str, str]]:
        """Every (selector, signature) in one JSON value of any of the accepted shapes."""
        if isinstance(value, list):
            if _is_pair(value):
                yield _ordered_pair(value)
                return
            for item in value:
                if isinstance(item, dict) or (isinstance(item, list) and _is_pair(item)):
                    yield from self._pairs(item)
                else:
                    self.malformed += 1
            return
        if not isinstance(value, dict):
            self.malformed += 1
            return
        if isinstance(value.get("result"), dict):
            yield from self._pairs(value["result"])
        elif isinstance(value.get("results"), list):
            yield from self._pairs(value["results"])
        elif isinstance(value.get("function"), dict):
            yield from self._openchain(value)
        elif any(k in value for k in SELECTOR_COLUMNS):
            yield from self._record(value)
        else:
            yield from self._mapping(value)

    def _record(self, record: dict[str, Any]) -> Iterator[tuple[str, str]]:
        column = next(c for c in SELECTOR_COLUMNS if c in record)
        selector = record[column]
        signature = next((record[c] for c in SIGNATURE_COLUMNS if c in record), None)
        if isinstance(selector, str) and isinstance(signature, str):
            yield _raw_selector(selector, column), signature
        else:
            self.malformed += 1

    def _openchain(self, result: dict[str, Any]) -> Iterator[tuple[str, str]]:
        events = result.get("event")
        if isinstance(events, dict):
            self.ignored_events += sum(len(v) if isinstance(v, list) else 0 for v in events.values())
        for selector, entries in result["function"].items():
            if entries is None:
                continue  # openchain's "unknown"
            for entry in entries if isinstance(entries, list) else [entries]:
                name = entry.get("name") if isinstance(entry, dict) else entry
                if isinstance(name, str):
                    yield selector, name
                else:
                    self.malformed += 1

    def _mapping(self, mapping: dict[str, Any]) -> Iterator[tuple[str, str]]:
        for selector, signatures in mapping.items():
            for sig in signatures if isinstance(signatures, list) else [signatures]:
                name = sig.get("name") if isinstance(sig, dict) else sig
                if isinstance(name, str):
                    yield selector, name
                else:
                    self.malformed += 1


def _text(binary: Any) -> io.TextIOWrapper[Any]:
    """UTF-8 (a BOM is dropped); a byte that is not UTF-8 spoils its row, not the import."""
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="")


def _is_pair(value: list[Any]) -> bool:
    return len(value) == 2 and all(isinstance(v, str) for v in value)


def _ordered_pair(pair: list[Any]) -> tuple[str, str]:
    first, second = pair
    return (second, first) if looks_like_selector(second) and not looks_like_selector(first) else (first, second)


def _chunked(pairs: Iterator[tuple[str, str]], size: int) -> Iterator[Batch]:
    while True:
        chunk = list(itertools.islice(pairs, size))
        if not chunk:
            return
        yield [s for s, _ in chunk], [t for _, t in chunk]
