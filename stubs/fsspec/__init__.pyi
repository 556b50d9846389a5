from typing import Any

from fsspec import core as core

def open(urlpath: str, mode: str = "rb", compression: str | None = None, **kwargs: Any) -> Any: ...
