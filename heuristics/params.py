"""Rule parameters from a policy file, checked against the type each parameter declares.

A policy is TOML: its values arrive as ``bool``, ``int``, ``float``, ``str`` or lists of them. Each
override is converted to the declared type of the field it sets (``float`` takes an integer,
``Address`` takes any spelling and is checksummed, a ``tuple``/``list``/``frozenset`` takes a list)
or refused with a message naming the parameter and the type it wants. This runs when the policy
loads, so a typo never reaches a rule: a float parameter set to ``"abc"`` used to be accepted and
then crashed the rule on every request.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Hashable, Mapping
from functools import cache
from typing import Any, Literal, Union, cast

from txfirewall.model.primitives import Address, is_address, to_address

_SCALARS: dict[Any, tuple[type, ...]] = {bool: (bool,), int: (int,), float: (int, float), str: (str,)}
"""Declared scalar type -> the TOML value types it accepts (a float parameter takes an integer)."""


class ParamError(ValueError):
    """An override that does not fit the parameter's declared type."""


def declared_types(params_type: type[Any]) -> dict[str, Any]:
    """Field name -> resolved type annotation of a params dataclass (resolved once per class:
    ``get_type_hints`` evaluates string annotations, tens of microseconds a call)."""
    return _declared_types(cast(Hashable, params_type))


@cache
def _declared_types(params_type: Any) -> dict[str, Any]:
    hints = typing.get_type_hints(params_type)
    return {f.name: hints[f.name] for f in dataclasses.fields(params_type)}


def describe_type(declared: Any) -> str:
    """A type as a policy author reads it: ``int``, ``list of address``, ``one of "a", "b"``."""
    if declared is Address:
        return "address"
    origin = typing.get_origin(declared)
    args = typing.get_args(declared)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (Union, types.UnionType):
        return " or ".join(describe_type(a) for a in args)
    if origin in (list, tuple, set, frozenset):
        return f"list of {describe_type(args[0])}" if args else "list"
    if declared is type(None):
        return "nothing"
    return getattr(declared, "__name__", str(declared))


def coerce(name: str, declared: Any, value: Any) -> Any:
    """``value`` as ``declared``, or ``ParamError``."""
    wrong = ParamError(f"parameter {name!r} must be {describe_type(declared)}, not {value!r}")
    origin = typing.get_origin(declared)
    args = typing.get_args(declared)
    if declared is Any:
        return value
    if declared is Address:
        if not is_address(value):
            raise wrong
        return to_address(value)
    if declared in _SCALARS:
        # bool is an int in Python: a policy's true/false must not pass for a number, nor 1 for true.
        if not isinstance(value, _SCALARS[declared]) or (declared is not bool and isinstance(value, bool)):
            raise wrong
        return float(cast(float, value)) if declared is float else value
    if origin is Literal:
        if value not in args or isinstance(value, bool) != any(isinstance(a, bool) for a in args):
            raise wrong
        return value
    if origin in (Union, types.UnionType):
        for option in args:
            try:
                return coerce(name, option, value)
            except ParamError:
                continue
        raise wrong
    if declared is type(None):
        if value is not None:
            raise wrong
        return None
    if origin in (list, tuple, set, frozenset):
        if not isinstance(value, (list, tuple)):
            raise wrong
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(args) != len(value):
                raise wrong
            return tuple(coerce(f"{name}[{i}]", a, v) for i, (a, v) in enumerate(zip(args, value, strict=True)))
        item = args[0] if args else Any
        items = [coerce(f"{name}[{i}]", item, v) for i, v in enumerate(value)]
        return origin(items)
    raise ParamError(f"parameter {name!r} has a type a policy cannot set ({describe_type(declared)})")


def apply_overrides(rule_id: str, defaults: Any, overrides: Mapping[str, Any]) -> Any:
    """``defaults`` (a params dataclass instance) with each override checked and converted."""
    fields = declared_types(type(defaults))
    values: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in fields:
            raise ParamError(f"rule {rule_id} has no parameter {key!r} (has: {', '.join(fields) or 'none'})")
        try:
            values[key] = coerce(key, fields[key], value)
        except ParamError as exc:
            raise ParamError(f"rule {rule_id}: {exc}") from None
    return dataclasses.replace(defaults, **values)
