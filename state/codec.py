"""Canonical msgpack encoding of records (txs, blocks, votes, state values).

A record is a frozen dataclass; its wire form is a msgpack array of its field values in
declaration order, so the field order is fixed by the class and never by a dict. Decoding is
strict: wrong arity (unknown or missing fields), wrong types, trailing bytes, oversize input and
non-canonical bytes (anything that would not re-encode to the same bytes) raise `CodecError`.

This lives in `state/` because every layer (consensus votes, app txs, stored values) hashes and
signs these bytes, and `state` is the one package all others may import.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Callable, TypeVar

import msgpack

DEFAULT_MAX_SIZE = 4 * 1024 * 1024

T = TypeVar("T")


class CodecError(ValueError):
    """Bytes or values that are not a canonical encoding of the expected record."""


class Tagged:
    """Base for open unions (e.g. every module's Msg): encoded as [tag, fields].

    Subclass it once per union (`class Msg(Tagged): ...`) and register each concrete record
    with `@tagged(Msg, "bank/send")`. A field annotated with the union base accepts any
    registered member.
    """

    _registry: typing.ClassVar[dict[str, type]]
    TAG: typing.ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if Tagged in cls.__bases__:
            cls._registry = {}


def tagged(union: type[Tagged], tag: str) -> Callable[[type[T]], type[T]]:
    """Register a record class as the member `tag` of `union`."""

    def register(cls: type[T]) -> type[T]:
        if tag in union._registry:
            raise ValueError(f"tag {tag!r} already registered in {union.__name__}")
        union._registry[tag] = cls
        cls.TAG = tag  # type: ignore[attr-defined]
        _encoders.pop(cls, None)
        return cls

    return register


_Wire = Any
_encoders: dict[Any, Callable[[Any], _Wire]] = {}
_decoders: dict[Any, Callable[[_Wire, str], Any]] = {}


def _fail(path: str, expected: str, got: Any) -> typing.NoReturn:
    raise CodecError(f"{path}: expected {expected}, got {type(got).__name__}")


def _is_union_base(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, Tagged) and Tagged in tp.__bases__


def _encoder(tp: Any) -> Callable[[Any], _Wire]:
    enc = _encoders.get(tp)
    if enc is None:
        enc = _build_encoder(tp)
        _encoders[tp] = enc
    return enc


def _build_encoder(tp: Any) -> Callable[[Any], _Wire]:
    if tp in (int, bool, bytes, str):
        return _identity
    origin = typing.get_origin(tp)
    if origin is tuple:
        item_enc = _encoder(typing.get_args(tp)[0])
        if item_enc is _identity:
            return list
        return lambda v: [item_enc(x) for x in v]
    if origin in (typing.Union, types.UnionType):
        inner = _optional_inner(tp)
        inner_enc = _encoder(inner)
        return lambda v: None if v is None else inner_enc(v)
    if _is_union_base(tp):
        return lambda v: [v.TAG, _encoder(type(v))(v)]
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        fields = [(f.name, _encoder(hints[f.name])) for f in dataclasses.fields(tp)]
        if all(e is _identity for _, e in fields):
            names = [n for n, _ in fields]
            return lambda v: [getattr(v, n) for n in names]
        return lambda v: [e(getattr(v, n)) for n, e in fields]
    raise TypeError(f"codec cannot encode fields of type {tp!r}")


def _identity(v: Any) -> Any:
    return v


def _optional_inner(tp: Any) -> Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if len(args) != 1 or len(typing.get_args(tp)) != 2:
        raise TypeError(f"codec supports only Optional[X] unions, not {tp!r}")
    return args[0]


def _decoder(tp: Any) -> Callable[[_Wire, str], Any]:
    dec = _decoders.get(tp)
    if dec is None:
        dec = _build_decoder(tp)
        _decoders[tp] = dec
    return dec


def _build_decoder(tp: Any) -> Callable[[_Wire, str], Any]:
    if tp is int:
        def dec_int(w: _Wire, path: str) -> int:
            if type(w) is not int:
                _fail(path, "int", w)
            return w
        return dec_int
    if tp in (bool, bytes, str):
        def dec_exact(w: _Wire, path: str) -> Any:
            if type(w) is not tp:
                _fail(path, tp.__name__, w)
            return w
        return dec_exact
    origin = typing.get_origin(tp)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"codec supports only tuple[X, ...], not {tp!r}")
        item_dec = _decoder(args[0])

        def dec_tuple(w: _Wire, path: str) -> tuple:
            if type(w) is not list:
                _fail(path, "array", w)
            return tuple(item_dec(x, f"{path}[{i}]") for i, x in enumerate(w))
        return dec_tuple
    if origin in (typing.Union, types.UnionType):
        inner_dec = _decoder(_optional_inner(tp))
        return lambda w, path: None if w is None else inner_dec(w, path)
    if _is_union_base(tp):
        def dec_tagged(w: _Wire, path: str) -> Any:
            if type(w) is not list or len(w) != 2 or type(w[0]) is not str:
                _fail(path, f"[tag, fields] of {tp.__name__}", w)
            member = tp._registry.get(w[0])
            if member is None:
                raise CodecError(f"{path}: unknown {tp.__name__} type {w[0]!r}")
            return _decoder(member)(w[1], f"{path}<{w[0]}>")
        return dec_tagged
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        fields = [(f.name, _decoder(hints[f.name])) for f in dataclasses.fields(tp)]
        arity = len(fields)
        name = tp.__name__

        def dec_record(w: _Wire, path: str) -> Any:
            if type(w) is not list:
                _fail(path or name, f"{name} array", w)
            if len(w) != arity:
                raise CodecError(
                    f"{path or name}: {name} has {arity} fields, got {len(w)} (unknown or missing fields)"
                )
            return tp(*[dec(x, f"{path}.{n}" if path else f"{name}.{n}") for (n, dec), x in zip(fields, w)])
        return dec_record
    raise TypeError(f"codec cannot decode fields of type {tp!r}")


def to_wire(obj: Any) -> _Wire:
    """The msgpack-ready value of a record (nested lists of primitives)."""
    return _encoder(type(obj))(obj)


def encode(obj: Any) -> bytes:
    """Canonical bytes of a record; these are what get hashed and signed."""
    try:
        return msgpack.packb(_encoder(type(obj))(obj), use_bin_type=True)
    except (OverflowError, TypeError, ValueError) as exc:
        raise CodecError(f"cannot encode {type(obj).__name__}: {exc}") from exc


def encode_wire(wire: _Wire) -> bytes:
    """Canonical bytes of a value already in wire form (tuples pack as lists), for hot paths where
    building the records first costs more than the encoding itself."""
    try:
        return msgpack.packb(wire, use_bin_type=True)
    except (OverflowError, TypeError, ValueError) as exc:
        raise CodecError(f"cannot encode wire value: {exc}") from exc


def decode(cls: type[T], data: bytes, max_size: int = DEFAULT_MAX_SIZE) -> T:
    """Parse canonical bytes into a `cls` record, or raise CodecError saying why not."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise CodecError(f"expected bytes, got {type(data).__name__}")
    if len(data) > max_size:
        raise CodecError(f"{cls.__name__}: {len(data)} bytes exceeds the {max_size}-byte limit")
    try:
        wire = msgpack.unpackb(data, raw=False, use_list=True, strict_map_key=True)
    except msgpack.ExtraData as exc:
        raise CodecError(f"{cls.__name__}: trailing bytes after the record") from exc
    except (ValueError, msgpack.UnpackException, UnicodeDecodeError) as exc:
        raise CodecError(f"{cls.__name__}: malformed msgpack ({exc})") from exc
    obj = _decoder(cls)(wire, "")
    if msgpack.packb(wire, use_bin_type=True) != bytes(data):
        raise CodecError(f"{cls.__name__}: non-canonical encoding")
    return obj
