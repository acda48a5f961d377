"""to_json()/from_json() for the frozen result dataclasses of this package.

to_json gives plain JSON values (dicts, lists, str, int, float, bool, None); from_json rebuilds
the dataclass from them, following the field type hints (tuples, nested dataclasses, dicts,
optional values), so that `type(x).from_json(json.loads(json.dumps(x.to_json()))) == x`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T", bound="JsonMixin")


_PLAIN = frozenset({str, int, float, bool, type(None)})  # returned as they are (exact types: not subclasses)
_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass's field names, looked up once per class


def to_plain(value: Any) -> Any:
    """A JSON-ready copy of `value` (dataclasses by field, tuples as lists, numpy as Python)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    names = _FIELDS.get(kind)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: to_plain(getattr(value, name)) for name in names}
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def from_plain(hint: Any, value: Any) -> Any:
    """Rebuild a value of type `hint` from its to_plain form."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if value is None:
        return None
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return from_plain(inner[0], value) if len(inner) == 1 else value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        return hint(**{f.name: from_plain(hints[f.name], value[f.name])
                       for f in dataclasses.fields(hint) if f.name in value})
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_plain(args[0], v) for v in value)
        return tuple(from_plain(a, v) for a, v in zip(args, value, strict=True)) if args else tuple(value)
    if origin is dict:
        return {k: from_plain(args[1], v) for k, v in value.items()} if args else dict(value)
    if origin is list:
        return [from_plain(args[0], v) for v in value] if args else list(value)
    if hint is float and isinstance(value, int):
        return float(value)
    return value


class JsonMixin:
    """to_json() and from_json() for a frozen dataclass."""

    def to_json(self) -> dict:
        """The dataclass as plain JSON values."""
        return to_plain(self)

    @classmethod
    def from_json(cls: type[T], data: dict) -> T:
        """The dataclass back from :meth:`to_json`'s output."""
        return from_plain(cls, data)
