from os import PathLike
from typing import IO

from pyarrow import Table

def read_table(source: str | PathLike[str] | IO[bytes]) -> Table: ...
