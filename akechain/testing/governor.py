"""A stand-in for governance in simulations: the `governor` module lets one authority account
(named in its genesis section) change any module's params with a tx, as a passed param-change
proposal would. Chains under test add it with `with_governor(registry)`; a real chain never has it."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping

from akechain.chain.codec import AppError, GenesisError, InvalidMsgError, Msg, check_json_fields, get_json_field
from akechain.chain.crypto import Address, format_address, parse_address
from akechain.chain.module import Genesis, Module
from akechain.chain.params import ParamSet
from akechain.chain.registry import Registry
from akechain.chain.store import BlockContext, Event, StoreView, make_event
from state.codec import tagged

AUTHORITY_KEY = b"\xfe"  # outside every module's range (bridge holds 0xe0-0xef)
MAX_CHANGES = 4096  # bytes of JSON


class NotAuthorityError(AppError):
    code = 990


class BadParamChangeError(AppError):
    code = 991


@tagged(Msg, "governor/set_params")
@dataclass(frozen=True, slots=True)
class MsgSetParams(Msg):
    module: str
    changes: str  # a JSON object: param name -> new value, in the genesis form (addresses in bech32)

    def validate_basic(self) -> None:
        if type(self.module) is not str or type(self.changes) is not str or len(self.changes) > MAX_CHANGES:
            raise InvalidMsgError(f"set_params needs a module name and at most {MAX_CHANGES} bytes of JSON changes")


@dataclass(frozen=True, slots=True)
class Authority:
    address: bytes


def get_authority(store: StoreView) -> bytes | None:
    record = store.get(AUTHORITY_KEY, Authority)
    return None if record is None else record.address


def make_governor(param_sets: Mapping[str, ParamSet]) -> Module:
    """The governor over the params of `param_sets` (by module name)."""

    def process_set_params(store: StoreView, ctx: BlockContext, sender: Address, msg: MsgSetParams) -> list[Event]:
        # Verify the sender is the authority and the module has params
        if sender != get_authority(store):
            raise NotAuthorityError("only the governor authority may change params")
        param_set = param_sets.get(msg.module)
        if param_set is None:
            raise BadParamChangeError(f"module {msg.module!r} has no params")
        # Verify the changed record is within every bound
        try:
            changes = json.loads(msg.changes)
            if not isinstance(changes, dict):
                raise GenesisError("changes must be a JSON object")
            record = param_set.from_json({**param_set.to_json(param_set.get(store)), **changes})
        except (ValueError, GenesisError) as exc:
            raise BadParamChangeError(str(exc)) from exc
        param_set.set(store, record)
        return [make_event("set_params", module=msg.module, changes=msg.changes)]

    def init_genesis(store: StoreView, obj: object) -> None:
        """{"authority": "ake1…"}; absent: no authority, so params never change."""
        if obj is None or "authority" not in obj:  # type: ignore[operator]
            return
        check_json_fields(obj, {"authority"}, "governor")  # type: ignore[arg-type]
        store.set(AUTHORITY_KEY, Authority(parse_address(get_json_field(obj, "authority", str, "governor"))))  # type: ignore[arg-type]

    def export_genesis(store: StoreView) -> dict:
        authority = get_authority(store)
        return {} if authority is None else {"authority": format_address(authority)}

    return Module(
        name="governor",
        prefixes=(AUTHORITY_KEY,),
        error_codes=range(990, 1000),
        handlers={MsgSetParams: process_set_params},
        genesis=Genesis(init_genesis, export_genesis, optional=True),
        queries={"authority": get_authority},
        strategies="akechain.testing.governor_strategies",
    )


def with_governor(registry: Registry) -> Registry:
    return Registry(registry.modules + (make_governor(registry.params),))
