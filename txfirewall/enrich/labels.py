"""User-supplied address labels (``--labels``: CSV ``address,label[,source]``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from txfirewall.errors import InputFileError
from txfirewall.intel.categories import categorise
from txfirewall.model.facts import Label
from txfirewall.model.primitives import Address, is_address, to_address


def parse_labels_csv(text: str, *, source: str = "labels") -> Mapping[Address, tuple[Label, ...]]:
    labels: dict[Address, list[Label]] = {}
    seen_data = False
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    for row in reader:
        number = reader.line_num  # the file line where this record ends (quoted fields may span lines)
        if not row or not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if not seen_data and row[0].strip().casefold() == "address":
            seen_data = True  # the header: allowed once, before any data row
            continue
        seen_data = True
        if len(row) < 2 or len(row) > 3:
            raise InputFileError(f"{source} line {number}: expected address,label[,source]")
        address, label = row[0].strip(), row[1].strip()
        if not is_address(address):
            raise InputFileError(f"{source} line {number}: {address!r} is not an address")
        if not label:
            raise InputFileError(f"{source} line {number}: empty label")
        origin = row[2].strip() if len(row) == 3 and row[2].strip() else source
        addr = to_address(address)
        labels.setdefault(addr, []).append(Label(addr, label, origin, categorise(label)))
    return MappingProxyType({a: tuple(v) for a, v in labels.items()})


def load_labels(path: Path) -> Mapping[Address, tuple[Label, ...]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"cannot read labels file {path}: {exc}") from exc
    return parse_labels_csv(text, source=path.name)
