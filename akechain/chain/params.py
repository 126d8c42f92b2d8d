"""One params helper for every module: each param is declared once, as a dataclass field with its
bounds (and default), and `ParamSet` derives loading, saving, validation and the genesis JSON form.

A module's params record is one frozen dataclass stored under one key; its field order is its
canonical encoding, so fields are only ever appended. Three field types exist, picked from the
annotation: `int` (bounded by `lo`..`hi`), `bytes` (a 20-byte address, bech32 in JSON) and
`tuple[bytes, ...]` (a sorted, duplicate-free list of addresses, at most `max_items`).
"""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, Callable, Generic, TypeVar

from akechain.chain.codec import GenesisError, check_json_fields, get_json_field
from akechain.chain.crypto import ADDRESS_LENGTH, AddressError, format_address, parse_address
from akechain.chain.store import StoreView

P = TypeVar("P")

INT, ADDRESS, ADDRESS_LIST = "int", "address", "address list"
_KINDS = {int: INT, bytes: ADDRESS, tuple[bytes, ...]: ADDRESS_LIST}


def param(*, lo: int = 0, hi: int = 0, max_items: int = 0, default: Any = dataclasses.MISSING) -> Any:
    """A params field: `lo`/`hi` bound an int, `max_items` an address list; no default means genesis must set it."""
    return dataclasses.field(default=default, metadata={"lo": lo, "hi": hi, "max_items": max_items})


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One declared param, as `/params`, genesis checks and the testing kit see it."""

    name: str
    kind: str  # INT, ADDRESS or ADDRESS_LIST
    lo: int
    hi: int
    max_items: int


class ParamSet(Generic[P]):
    """The params of module `module`: a dataclass `cls` of `param()` fields stored under `key`.

    `relations` checks what single bounds cannot (e.g. a min below a max); it raises GenesisError.
    """

    def __init__(self, module: str, key: bytes, cls: type[P], relations: Callable[[P], None] | None = None) -> None:
        self.module = module
        self.key = key
        self.cls = cls
        self._relations = relations
        hints = typing.get_type_hints(cls)
        specs = []
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if hints[f.name] not in _KINDS:
                raise TypeError(f"{module} param {f.name} has unsupported type {hints[f.name]}")
            specs.append(ParamSpec(f.name, _KINDS[hints[f.name]], f.metadata["lo"], f.metadata["hi"],
                                   f.metadata["max_items"]))
        self.specs: tuple[ParamSpec, ...] = tuple(specs)

    @property
    def where(self) -> str:
        return f"{self.module}.params"

    def get(self, store: StoreView) -> P:
        """The module's params record; missing params mean the chain was never initialised."""
        params = store.get(self.key, self.cls)
        if params is None:
            raise LookupError(f"{self.module} params are missing from state (was the chain initialised?)")
        return params

    def set(self, store: StoreView, params: P) -> None:
        self.validate(params)
        store.set(self.key, params)

    def validate(self, params: P) -> None:
        """Raise GenesisError naming the first param outside its bounds."""
        for spec in self.specs:
            value = getattr(params, spec.name)
            what = f"{self.where}.{spec.name}"
            if spec.kind == INT:
                if type(value) is not int or not spec.lo <= value <= spec.hi:
                    raise GenesisError(f"{what} {value!r} out of range [{spec.lo}, {spec.hi}]")
            elif spec.kind == ADDRESS:
                if not _is_address(value):
                    raise GenesisError(f"{what} must be a 20-byte address")
            else:
                if type(value) is not tuple or len(value) > spec.max_items:
                    raise GenesisError(f"{what} must be a list of at most {spec.max_items}")
                if not all(_is_address(item) for item in value):
                    raise GenesisError(f"{what} must hold 20-byte addresses")
                if list(value) != sorted(set(value)):
                    raise GenesisError(f"{what} must be sorted and unique")
        if self._relations is not None:
            self._relations(params)

    def from_json(self, obj: object) -> P:
        values = {spec.name: self._field_from_json(obj, spec) for spec in self.specs}
        check_json_fields(obj, {spec.name for spec in self.specs}, self.where)  # type: ignore[arg-type]
        params = self.cls(**values)
        self.validate(params)
        return params

    def to_json(self, params: P) -> dict:
        obj: dict = {}
        for spec in self.specs:
            value = getattr(params, spec.name)
            if spec.kind == ADDRESS:
                value = format_address(value)
            elif spec.kind == ADDRESS_LIST:
                value = [format_address(item) for item in value]
            obj[spec.name] = value
        return obj

    def _field_from_json(self, obj: object, spec: ParamSpec) -> object:
        where = self.where
        if spec.kind == INT:
            return get_json_field(obj, spec.name, int, where)
        if spec.kind == ADDRESS:
            return _parse(get_json_field(obj, spec.name, str, where), f"{where}.{spec.name}")
        items = []
        for i, text in enumerate(get_json_field(obj, spec.name, list, where)):  # type: ignore[arg-type]
            if type(text) is not str:
                raise GenesisError(f"{where}.{spec.name}[{i}] must be an address string")
            items.append(_parse(text, f"{where}.{spec.name}[{i}]"))
        return tuple(items)


def _is_address(value: object) -> bool:
    return type(value) is bytes and len(value) == ADDRESS_LENGTH


def _parse(text: str, what: str) -> bytes:
    try:
        return parse_address(text)
    except AddressError as exc:
        raise GenesisError(f"{what}: {exc}") from exc
