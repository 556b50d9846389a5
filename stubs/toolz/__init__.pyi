from collections.abc import Callable
from typing import Any

def curry(func: Callable[..., Any], /) -> Callable[..., Any]: ...
