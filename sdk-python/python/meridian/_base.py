"""What the generated models and resources stand on: the model base class (decoding from
the wire, ``to_dict``, ``repr`` and equality), the decoders the generated code names, and
the resource bases that send through the native core and wrap its pages in iterators."""

from __future__ import annotations

import datetime
import decimal
import json
from typing import Any, AsyncIterator, Callable, ClassVar, Dict, Iterator, Mapping, NamedTuple, Tuple

__all__ = [
    "AsyncResource",
    "Field",
    "Model",
    "SyncResource",
    "date_",
    "datetime_",
    "decimal_",
    "dict_",
    "list_",
    "model_",
    "none",
    "plain",
]

Decoder = Callable[[Any], Any]


class Field(NamedTuple):
    """One attribute of a model: its Python name, its wire name, how its JSON value is
    decoded, and whether the API always sends it."""

    name: str
    wire: str
    decode: Decoder
    required: bool


_MODELS: Dict[str, "type[Model]"] = {}
_UNIONS: Dict[str, Tuple[str, ...]] = {}


class Model:
    """Base of every generated model: keyword construction, attribute access, ``repr``,
    equality by value and :meth:`to_dict`."""

    __slots__ = ()
    _fields: ClassVar[Tuple[Field, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _MODELS[cls.__name__] = cls

    @classmethod
    def _register_union(cls, name: str, variants: Tuple[str, ...]) -> None:
        _UNIONS[name] = variants

    @classmethod
    def _decode(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise TypeError(f"{cls.__name__}: expected a JSON object, got {type(data).__name__}")
        values = {}
        for field in cls._fields:
            value = data.get(field.wire)
            values[field.name] = None if value is None else field.decode(value)
        return cls(**values)

    def to_dict(self) -> Dict[str, Any]:
        """The model as plain Python data keyed by attribute name (nested models as dicts,
        decimals and timestamps kept as ``Decimal`` and ``datetime``)."""
        return {field.name: _plain(getattr(self, field.name)) for field in self._fields}

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in self._fields)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in self._fields)
        return f"{type(self).__name__}({shown})"


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def wire(value: Any) -> Any:
    """``value`` as the API takes it: models by wire name, recursively; the native core
    turns decimals, timestamps and dates into JSON."""
    if isinstance(value, Model):
        return {f.wire: wire(getattr(value, f.name)) for f in value._fields if getattr(value, f.name) is not None}
    if isinstance(value, Mapping):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire(v) for v in value]
    return value


# ---- Decoders named by the generated code ----------------------------------------------


def plain(value: Any) -> Any:
    """A JSON value kept as it is (strings, integers, booleans, enums, free-form objects)."""
    return value


def none(value: Any) -> None:
    """No content."""
    return None


def decimal_(value: Any) -> decimal.Decimal:
    """An exact decimal: the JSON number's own digits (never through a float)."""
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, float):  # pragma: no cover - the core parses with parse_float=Decimal
        raise TypeError("a decimal arrived as a binary float")
    return decimal.Decimal(str(value))


def datetime_(value: Any) -> datetime.datetime:
    """An RFC 3339 timestamp (``Z`` or an offset) as an aware ``datetime``."""
    text = str(value)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python 3.9's fromisoformat takes at most 6 fraction digits.
    head, dot, rest = text.partition(".")
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        rest = rest[: min(digits, 6)] + rest[digits:]
        text = f"{head}.{rest}"
    return datetime.datetime.fromisoformat(text)


def date_(value: Any) -> datetime.date:
    """A calendar date (``YYYY-MM-DD``)."""
    return datetime.date.fromisoformat(str(value))


def list_(item: Decoder) -> Decoder:
    """A JSON array whose items ``item`` decodes."""
    return lambda value: [item(v) for v in value]


def dict_(item: Decoder) -> Decoder:
    """A JSON object whose values ``item`` decodes."""
    return lambda value: {k: item(v) for k, v in value.items()}


def model_(name: str) -> Decoder:
    """A model (or a union of models) by name, looked up when first decoded."""

    def decode(value: Any) -> Any:
        variants = _UNIONS.get(name)
        if variants is None:
            return _MODELS[name]._decode(value)
        for variant in variants:
            model = _MODELS[variant]
            if all(f.wire in value for f in model._fields if f.required):
                return model._decode(value)
        raise TypeError(f"{name}: the answer matches none of {', '.join(variants)}")

    return decode


def _decode_json(text: str, decode: Decoder) -> Any:
    return decode(json.loads(text, parse_float=decimal.Decimal))


# ---- Resources -------------------------------------------------------------------------


class _Resource:
    __slots__ = ("_core",)

    def __init__(self, core: Any) -> None:
        self._core = core

    @staticmethod
    def _body(fields: Dict[str, Any]) -> Dict[str, Any]:
        """The body fields that were given (``_args`` turns them into wire form with the
        rest of the call's arguments)."""
        return {k: v for k, v in fields.items() if v is not None}

    @staticmethod
    def _args(args: Dict[str, Any]) -> Dict[str, Any]:
        return {k: wire(v) for k, v in args.items() if v is not None}


class SyncResource(_Resource):
    """Base of the generated resources of :class:`meridian.Client`: every call blocks
    the calling thread (the GIL released) until the answer arrives."""

    __slots__ = ()

    def _call(self, operation: str, decode: Decoder, args: Dict[str, Any]) -> Any:
        return _decode_json(self._core.call(operation, self._args(args)), decode)

    def _pages(self, operation: str, decode: Decoder, args: Dict[str, Any]) -> Iterator[Any]:
        pages = self._core.pages(operation, self._args(args))
        while True:
            text = pages.next()
            if text is None:
                return
            yield _decode_json(text, decode)


class AsyncResource(_Resource):
    """Base of the generated resources of :class:`meridian.AsyncClient`: every call is
    an awaitable run on the core's Tokio runtime."""

    __slots__ = ()

    async def _call(self, operation: str, decode: Decoder, args: Dict[str, Any]) -> Any:
        return _decode_json(await self._core.call_async(operation, self._args(args)), decode)

    async def _pages(self, operation: str, decode: Decoder, args: Dict[str, Any]) -> AsyncIterator[Any]:
        pages = self._core.pages(operation, self._args(args))
        while True:
            text = await pages.next_async()
            if text is None:
                return
            yield _decode_json(text, decode)
