"""The toy module's keeper, handlers and descriptor."""
from __future__ import annotations

from dataclasses import dataclass

from akechain.chain.codec import AppError, GenesisError, check_json_fields, get_json_field
from akechain.chain.crypto import Address, format_address, parse_address
from akechain.chain.module import Genesis, InvariantBrokenError, Module
from akechain.chain.params import ParamSet, param
from akechain.chain.store import BlockContext, Event, StoreView, make_event
from state.codec import CodecError
from toy_module.msgs import MsgBoom, MsgPing

COUNT_PREFIX = b"\x96"
PARAMS_KEY = b"\x97"


class TooManyPingsError(AppError):
    code = 90


class ToyBoomError(AppError):
    code = 91


TOY_ERRORS = (TooManyPingsError, ToyBoomError)


@dataclass(frozen=True, slots=True)
class Count:
    value: int


@dataclass(frozen=True, slots=True)
class Blob:
    data: bytes


@dataclass(frozen=True, slots=True)
class Params:
    max_times: int = param(lo=1, hi=100, default=10)
    owner: bytes = param(default=bytes(20))


PARAMS = ParamSet("toy", PARAMS_KEY, Params)


def get_count(store: StoreView, address: bytes) -> int:
    record = store.get(COUNT_PREFIX + address, Count)
    return 0 if record is None else record.value


def process_ping(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgPing) -> list[Event]:
    # Verify the ping stays under the param
    if msg.times > PARAMS.get(store).max_times:
        raise TooManyPingsError(f"{msg.times} pings exceed max_times")
    store.set(COUNT_PREFIX + sender, Count(get_count(store, sender) + msg.times))
    return [make_event("pinged", sender=format_address(sender), times=msg.times)]


def process_boom(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgBoom) -> list[Event]:
    """Write, then fail as asked: the write must not survive."""
    store.set(COUNT_PREFIX + sender, Count(get_count(store, sender) + 1_000))
    if msg.kind == "app":
        raise ToyBoomError("boom")
    if msg.kind == "codec":
        raise CodecError("boom")
    if msg.kind == "key":
        raise KeyError("boom")
    if msg.kind == "arithmetic":
        return [make_event("boom", ratio=1 // (ctx.height - ctx.height))]
    if msg.kind == "memory":
        raise MemoryError("boom")
    store.set(COUNT_PREFIX + b"blob", Blob(bytes(5 * 1024 * 1024)))  # "huge-record": too large to read back
    return []


def check_counts_positive(store: StoreView) -> None:
    for key, count in store.iterate(COUNT_PREFIX, Count):
        if count.value <= 0:
            raise InvariantBrokenError(f"count of {key[1:].hex()} is {count.value}")


def init_genesis(store: StoreView, obj: object) -> None:
    """{"params": {...}, "counts": [{"address": "ake1…", "value": n}]}; absent: default params."""
    if obj is None:
        PARAMS.set(store, Params())
        return
    check_json_fields(obj, {"params", "counts"}, "toy")  # type: ignore[arg-type]
    PARAMS.set(store, PARAMS.from_json(get_json_field(obj, "params", dict, "toy")))
    for item in obj.get("counts", []):  # type: ignore[union-attr]
        value = get_json_field(item, "value", int, "toy.counts")
        if value <= 0:
            raise GenesisError("toy.counts: values are positive")
        store.set(COUNT_PREFIX + parse_address(get_json_field(item, "address", str, "toy.counts")), Count(value))


def export_genesis(store: StoreView) -> dict:
    counts = [{"address": format_address(key[1:]), "value": count.value} for key, count in store.iterate(COUNT_PREFIX, Count)]
    return {"params": PARAMS.to_json(PARAMS.get(store)), "counts": counts}


MODULE = Module(
    name="toy",
    prefixes=(COUNT_PREFIX, PARAMS_KEY),
    error_codes=range(90, 100),
    handlers={MsgPing: process_ping, MsgBoom: process_boom},
    invariants={"counts-positive": check_counts_positive},
    params=PARAMS,
    genesis=Genesis(init_genesis, export_genesis, optional=True),
    tables={COUNT_PREFIX: Count},
    queries={"count": get_count},
    strategies="toy_module.strategies",
)
