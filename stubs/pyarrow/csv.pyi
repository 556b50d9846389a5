from typing import IO

from pyarrow import DataType, Table

class ReadOptions:
    def __init__(self, *, column_names: list[str] | None = None, skip_rows: int = 0) -> None: ...

class ConvertOptions:
    def __init__(self, *, column_types: dict[str, DataType] | None = None) -> None: ...

def read_csv(
    input_file: IO[bytes] | str, read_options: ReadOptions | None = None, convert_options: ConvertOptions | None = None
) -> Table: ...
