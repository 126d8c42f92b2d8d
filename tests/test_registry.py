"""The module registry's rules: one handler per message, disjoint key prefixes and error codes, each
module writing only under its own prefixes, every param bounded at genesis, genesis round trips;
and a toy module that joins the chain with one package and one list entry."""
from __future__ import annotations

import inspect
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

import test_app_bank
import test_market_machine
from akechain.chain.app import App
from akechain.chain.codec import AppError, GenesisError, InternalError, InvalidMsgError, Msg
from akechain.chain.crypto import format_address, get_address
from akechain.chain.genesis import encode_app_state, export_app_state, init_app_state
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.chain.params import ADDRESS, ADDRESS_LIST, INT, ParamSpec
from akechain.chain.registry import DEFAULT_REGISTRY, MODULES, Registry, RegistryError
from akechain.chain.store import Journal
from akechain.chain.tx import build_tx
from akechain.testing.governor import make_governor
from consensus.abci import BlockRequest, GenesisRequest
from state.kv import MemoryKV
from state.store import CommitStore
from test_app_support import CHAIN_ID, make_genesis, make_keys, run_block
from toy_module.module import TOY_ERRORS
from toy_module.module import MODULE as TOY
from toy_module.msgs import MsgBoom, MsgPing

GOLDEN = json.loads((Path(__file__).resolve().parent / "golden" / "chain.json").read_text())
BY_NAME = {module.name: module for module in MODULES}
KEYS = make_keys(3)
FEE = 10
GENESIS_AMOUNT = 10**9  # make_genesis's default


def make_chain(app_state: dict, registry: Registry = DEFAULT_REGISTRY) -> App:
    """A chain from `app_state` with genesis committed (queries read committed state)."""
    app = App(CommitStore(MemoryKV()), registry)
    app.init_chain(GenesisRequest(CHAIN_ID, 0, 1, encode_app_state(app_state), ()))
    run_block(app, [])
    return app


def replay_golden() -> App:
    app = App(CommitStore(MemoryKV()))
    app.init_chain(GenesisRequest(GOLDEN["chain_id"], 0, 1, encode_app_state(GOLDEN["app_state"]), ()))
    for block in GOLDEN["blocks"]:
        app.finalize_block(BlockRequest(
            height=block["height"], time_ms=block["time_ms"], hash=bytes(32), proposer_address=bytes(20),
            txs=tuple(bytes.fromhex(tx) for tx in block["txs"]), last_commit_hash=bytes.fromhex(block["last_commit_hash"]),
            seed=bytes.fromhex(block["seed"])))
        app.commit()
    return app


# -- the registry's tables ---------------------------------------------------------------------


def test_every_chain_message_has_exactly_one_handler_in_the_module_its_tag_names() -> None:
    chain_msgs = {tag: cls for tag, cls in Msg._registry.items() if cls.__module__.startswith("akechain.chain.")}
    assert set(chain_msgs.values()) == set(DEFAULT_REGISTRY.handlers)
    assert all(count == 1 for count in Counter(t for m in MODULES for t in m.handlers).values())
    for tag, cls in chain_msgs.items():
        module = tag.split("/")[0]
        assert cls in BY_NAME[module].handlers, tag
        assert cls.__module__.startswith(f"akechain.chain.modules.{module}."), tag


def test_registry_refuses_a_module_that_collides_with_another() -> None:
    with pytest.raises(RegistryError, match="names repeat"):
        Registry(MODULES + (replace(TOY, name="bank"),))
    with pytest.raises(RegistryError, match="overlaps"):
        Registry(MODULES + (replace(TOY, prefixes=(b"\x10\x07",)),))
    with pytest.raises(RegistryError, match="two modules"):
        Registry(MODULES + (replace(TOY, handlers={MsgSend: TOY.handlers[MsgPing]}),))
    with pytest.raises(RegistryError, match="error codes"):
        Registry(MODULES + (replace(TOY, error_codes=range(25, 35)),))
    with pytest.raises(RegistryError, match="both decide the validator set"):
        Registry(MODULES + (replace(TOY, validator_set=BY_NAME["staking"].validator_set),))


def test_each_module_declares_the_prefixes_of_its_tables_and_params() -> None:
    for module in MODULES + (TOY,):
        for prefix in module.tables:
            assert any(prefix.startswith(own) for own in module.prefixes), (module.name, prefix)
        if module.params is not None:
            assert any(module.params.key.startswith(own) for own in module.prefixes), module.name


def _app_errors() -> list[type[AppError]]:
    found, todo = [], [AppError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__.startswith("akechain.")]


def test_error_codes_are_unique_and_inside_their_module_range() -> None:
    errors = _app_errors()
    codes = Counter(cls.code for cls in errors)
    assert [code for code, n in codes.items() if n > 1] == []
    for cls in errors:
        parts = cls.__module__.split(".")
        if parts[:3] == ["akechain", "chain", "modules"]:
            assert cls.code in BY_NAME[parts[3]].error_codes, cls
        elif cls.__module__ == "akechain.testing.governor":  # the testing kit's stand-in for governance
            assert cls.code in make_governor({}).error_codes, cls
        else:  # the codec's and the tx envelope's (ante included)
            assert cls.__module__ in ("akechain.chain.codec", "akechain.chain.tx") and 1 <= cls.code < 20, cls
    assert all(cls.code in TOY.error_codes for cls in TOY_ERRORS)


# -- params and genesis ------------------------------------------------------------------------


def _out_of_bounds(spec: ParamSpec) -> list[object]:
    high, low = sorted((get_address(KEYS[0]), get_address(KEYS[1])), reverse=True)
    address, descending = format_address(high), [format_address(high), format_address(low)]
    if spec.kind == INT:
        return [spec.lo - 1, spec.hi + 1, True, "1"]
    if spec.kind == ADDRESS:
        return ["ake1notanaddress", 7]
    assert spec.kind == ADDRESS_LIST
    return [[address, address], descending, [address] * (spec.max_items + 1), [3]]


def test_every_param_of_every_module_rejects_out_of_bounds_values_at_genesis() -> None:
    base = make_genesis(KEYS)["app_state"]
    base["toy"] = TOY.genesis.export(_toy_view())
    registry = Registry(MODULES + (TOY,))
    checked = 0
    for name, params in registry.params.items():
        for spec in params.specs:
            for bad in _out_of_bounds(spec):
                app_state = json.loads(json.dumps(base))
                app_state[name]["params"][spec.name] = bad
                with pytest.raises(GenesisError, match=spec.name):
                    make_chain(app_state, registry)
                checked += 1
    assert checked >= 4 * 26  # every market int param, at least


def _toy_view() -> Journal:
    journal = Journal(lambda key: None, lambda prefix, start: [])
    TOY.genesis.init(journal, None)
    return journal


def test_every_module_genesis_exports_and_reimports_to_the_same_state_and_hash() -> None:
    app = replay_golden()
    exported = app.export_app_state()
    fresh = App(CommitStore(MemoryKV()))
    response = fresh.init_chain(GenesisRequest(CHAIN_ID, 0, 1, encode_app_state(exported), ()))
    assert response.app_hash == app.info().last_app_hash
    imported = Journal(lambda key: None, lambda prefix, start: [])
    init_app_state(imported, exported)
    assert export_app_state(imported) == exported
    original, _ = app.get_state_view()
    for module in MODULES:
        for prefix in module.prefixes:
            keys = list(imported.get_keys(prefix))
            assert keys == list(original.get_keys(prefix)), (module.name, prefix)
            assert [imported.get_bytes(k) for k in keys] == [original.get_bytes(k) for k in keys], module.name


def test_params_query_covers_every_module_with_params() -> None:
    app = make_chain(make_genesis(KEYS)["app_state"], Registry(MODULES + (TOY,)))
    assert set(app.get_params()) == {"auth", "staking", "distribution", "slashing", "market", "gov", "bridge", "kpi", "toy"}
    assert app.get_params()["toy"] == {"max_times": 10, "owner": format_address(bytes(20))}


# -- each module writes under its own prefixes -------------------------------------------------


class ForeignWriteError(BaseException):
    """Not an Exception, so the app cannot turn it into a failed tx."""

    pass


def _checked_set(original):
    """Journal.set that finds the module code doing the write (nearest frame in a module package)
    and fails unless the key is under one of that module's prefixes."""
    def set_checked(self, key: bytes, record: object) -> None:
        frame = inspect.currentframe().f_back
        while frame is not None:
            parts = frame.f_globals.get("__name__", "").split(".")
            if parts[:3] == ["akechain", "chain", "modules"]:
                if parts[-1] != "genesis":  # genesis import is checked by the round trip above
                    module = BY_NAME[parts[3]]
                    if not any(key.startswith(prefix) for prefix in module.prefixes):
                        raise ForeignWriteError(f"{'.'.join(parts)} wrote {key.hex()} outside {module.name}'s prefixes")
                break
            frame = frame.f_back
        original(self, key, record)
    return set_checked


@pytest.mark.parametrize("machine", [test_app_bank.BankMachine, test_market_machine.MarketMachine])
def test_state_machines_write_only_under_the_writing_module_prefixes(machine, monkeypatch) -> None:
    monkeypatch.setattr(Journal, "set", _checked_set(Journal.set))
    run_state_machine_as_test(machine, settings=settings(max_examples=15, stateful_step_count=40, deadline=None))


def test_the_write_check_catches_a_foreign_write(monkeypatch) -> None:
    monkeypatch.setattr(Journal, "set", _checked_set(Journal.set))
    journal = Journal(lambda key: None, lambda prefix, start: [])
    with pytest.raises(ForeignWriteError, match="market"):
        # code running as the market keeper writing a bank balance
        exec("store.set(b'\\x10' + bytes(20), None)", {"__name__": "akechain.chain.modules.market.keeper", "store": journal})


# -- a toy module: one package, one list entry ---------------------------------------------------


def toy_chain() -> App:
    app_state = make_genesis(KEYS)["app_state"]
    app_state["toy"] = {"params": {"max_times": 5, "owner": format_address(get_address(KEYS[2]))}}
    return make_chain(app_state, Registry(MODULES + (TOY,)))


def send(app: App, nonce: int, *msgs: Msg, key=KEYS[0]) -> list:
    result, _ = run_block(app, [build_tx(key, CHAIN_ID, nonce, FEE, list(msgs))])
    return [(r.code, r.log) for r in result.tx_results]


def test_a_toy_module_joins_with_its_package_and_one_list_entry() -> None:
    app = toy_chain()
    sender = get_address(KEYS[0])
    assert send(app, 0, MsgPing(3), MsgPing(2)) == [(0, "")]
    assert app.query("toy", "count", sender) == 5
    code, log = send(app, 1, MsgPing(6))[0]
    assert code == 90 and "max_times" in log
    app.check_invariants()
    assert "toy/counts-positive" in app._registry.invariants
    exported = app.export_app_state()
    assert exported["toy"]["counts"] == [{"address": format_address(sender), "value": 5}]
    assert make_chain(exported, Registry(MODULES + (TOY,))).query("toy", "count", sender) == 5


def test_a_chain_without_the_module_refuses_its_messages_statelessly() -> None:
    app = make_chain(make_genesis(KEYS)["app_state"])
    tx = build_tx(KEYS[0], CHAIN_ID, 0, FEE, [MsgPing(1)])
    assert app.check_tx(tx).code == InvalidMsgError.code
    assert not app.process_proposal(BlockRequest(height=1, time_ms=0, hash=bytes(32), proposer_address=bytes(20),
                                                 txs=(tx,), last_commit_hash=bytes(32)))
    result, _ = run_block(app, [tx])
    assert result.tx_results[0].code == InvalidMsgError.code


# -- never halt on a bad tx --------------------------------------------------------------------


@pytest.mark.parametrize("kind, code", [
    ("app", 91), ("codec", InternalError.code), ("key", InternalError.code),
    ("arithmetic", InternalError.code), ("huge-record", InternalError.code),
])
def test_a_failing_handler_fails_only_its_tx_and_keeps_fee_and_nonce(kind: str, code: int) -> None:
    app = toy_chain()
    sender = get_address(KEYS[0])
    txs = [build_tx(KEYS[0], CHAIN_ID, 0, FEE, [MsgPing(1), MsgBoom(kind)]),
           build_tx(KEYS[0], CHAIN_ID, 1, FEE, [MsgPing(2)])]
    result, _ = run_block(app, txs)
    assert [r.code for r in result.tx_results] == [code, 0]
    if code == InternalError.code:
        assert result.tx_results[0].log.startswith("internal error:")
    after = app.get_account(sender)
    assert after.nonce == 2 and after.balance == GENESIS_AMOUNT - 2 * FEE
    assert app.query("toy", "count", sender) == 2  # the failing tx's ping and write are gone
    assert [event[0] for event in result.tx_results[0].events] == ["tx"]  # no "pinged" that never happened
    assert [event[0] for event in result.tx_results[1].events] == ["tx", "pinged"]
    app.check_invariants()


def test_memory_error_is_not_a_property_of_the_tx_and_stops_the_node() -> None:
    app = toy_chain()
    with pytest.raises(MemoryError):
        run_block(app, [build_tx(KEYS[0], CHAIN_ID, 0, FEE, [MsgBoom("memory")])])

