"""akechain.testing: every module's strategies load and draw what they promise, params and genesis
strategies stay within bounds, ChainMachine catches a module that mints from nothing with a short
counterexample that replays, and `akechain simulate` is deterministic, passes on the chain's own
modules and reproduces a failure from its replay file."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from akechain.chain.crypto import get_address
from akechain.chain.registry import DEFAULT_REGISTRY, MODULES, Registry
from akechain.cli.main import main
from akechain.testing import (
    ChainFailure,
    ChainMachine,
    Setup,
    SimChain,
    SimDriver,
    load_registry,
    make_sim_app_state,
    make_sim_keys,
    run_replay,
    st_accounts,
    st_app_state,
    st_msg,
    st_params,
    st_signed_tx,
)
from akechain.testing import TxDraft
from akechain.testing.driver import count_txs
from akechain.testing.simulate import draw_seeded
from akechain.testing.strategies import get_msg_strategies, load_strategies
from toy_module.broken import REGISTRY as BROKEN_REGISTRY
from toy_module.module import MODULE as TOY

ROOT = Path(__file__).resolve().parent.parent
KEYS = make_sim_keys(8)
ADDRESSES = [get_address(k) for k in KEYS]
EVERY_REGISTRY = (DEFAULT_REGISTRY, load_registry(None, governed=True), Registry(MODULES + (TOY,)), BROKEN_REGISTRY)


def make_driver(registry: Registry = DEFAULT_REGISTRY) -> SimDriver:
    authority = ADDRESSES[0] if "governor" in registry.genesis else None
    return SimDriver(Setup(make_sim_app_state(ADDRESSES, registry, authority)), KEYS, registry)


@pytest.mark.parametrize("registry", EVERY_REGISTRY, ids=["chain", "governed", "toy", "broken"])
def test_every_handled_message_has_valid_and_invalid_strategies(registry: Registry) -> None:
    for module in registry.modules:
        assert set(load_strategies(module)) == set(module.handlers), module.name


DRIVER = make_driver()


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_valid_drafts_pass_the_stateless_checks_and_act_for_a_known_account(data: st.DataObject) -> None:
    draft = data.draw(st_msg(DRIVER, valid=True))
    draft.msg.validate_basic()
    assert draft.sender in DRIVER.accounts


@pytest.mark.parametrize("msg_type", [t for t, _ in get_msg_strategies(DEFAULT_REGISTRY)], ids=lambda t: t.TAG)
def test_invalid_drafts_fail_when_run(msg_type: type) -> None:
    driver = make_driver()
    for index in range(4):
        draft = draw_seeded(st_msg(driver, msg_type=msg_type, valid=False), 1, driver.height, index)
        driver.submit(TxDraft(draft.sender, (draft.msg,)))
    assert [r.code != 0 for r in driver.end_block().tx_results] == [True] * 4


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_signed_txs_carry_the_next_nonce_and_pass_admission(data: st.DataObject) -> None:
    driver = make_driver()
    assert driver.chain.app.check_tx(data.draw(st_signed_tx(driver, valid=True, module="bank"))).code == 0


@pytest.mark.parametrize("param_set", list(DEFAULT_REGISTRY.params.values()), ids=list(DEFAULT_REGISTRY.params))
def test_param_strategies_stay_within_bounds_and_relations(param_set) -> None:
    @settings(max_examples=40, deadline=None)
    @given(record=st_params(param_set))
    def check(record) -> None:
        param_set.validate(record)

    check()


@settings(max_examples=10, deadline=None)
@given(keys=st_accounts(2, 4), data=st.data())
def test_genesis_strategies_start_a_chain(keys, data: st.DataObject) -> None:
    chain = SimChain(data.draw(st_app_state([get_address(k) for k in keys])))
    chain.apply_block()
    chain.check_invariants()


# -- ChainMachine --------------------------------------------------------------------------------


class BrokenMachine(ChainMachine):
    registry_spec = "toy_module.broken:REGISTRY"


def test_chain_machine_catches_a_module_that_mints_from_nothing_with_a_short_replayable_counterexample() -> None:
    with pytest.raises(ChainFailure) as caught:
        run_state_machine_as_test(BrokenMachine, settings=settings(
            max_examples=100, stateful_step_count=10, deadline=None, derandomize=True, database=None,
            report_multiple_bugs=False, phases=[Phase.generate, Phase.shrink]))
    failure = caught.value
    assert failure.invariant == "bank/balances-sum-to-supply"
    assert 1 <= count_txs(failure.replay) <= 3
    assert "broken/mint" in str(failure) and "akechain simulate --replay" in str(failure)
    with pytest.raises(ChainFailure, match="balances-sum-to-supply"):
        run_replay(failure.replay)
    assert json.loads(Path(".hypothesis/akechain/BrokenMachine.json").read_text()) == failure.replay


class PlainMachine(ChainMachine):
    """The chain's own modules under the kit's default rules: nothing breaks."""


TestPlainMachine = PlainMachine.TestCase
TestPlainMachine.settings = settings(max_examples=15, stateful_step_count=30, deadline=None)


# -- akechain simulate ---------------------------------------------------------------------------


def test_simulate_200_blocks_passes_and_reports_every_kind() -> None:
    # a seed whose 200 blocks draw a challenge (a rare kind: it needs a revealed receipt first)
    result = CliRunner().invoke(main, ["simulate", "--blocks", "200", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "every invariant held" in result.output and "app hash" in result.output
    for kind in ("bank/send", "market/create_job", "market/bid", "verify/challenge", "fault/nonce"):
        assert kind in result.output


def run_simulate(*args: str, hash_seed: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT / "tests")}
    return subprocess.run([sys.executable, "-m", "akechain.cli", "simulate", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


def test_simulate_gives_the_same_app_hash_in_two_processes_with_different_hash_seeds() -> None:
    runs = [run_simulate("--blocks", "60", "--seed", "7", hash_seed=seed) for seed in ("1", "987654")]
    hashes = [next(line for line in run.stdout.splitlines() if line.startswith("app hash")) for run in runs]
    assert all(run.returncode == 0 for run in runs), [run.stderr for run in runs]
    assert hashes[0] == hashes[1]
    assert runs[0].stdout == runs[1].stdout  # the same txs of each kind, the same outcomes


def test_simulate_shrinks_a_failure_to_a_file_that_replay_reproduces(tmp_path: Path) -> None:
    failure_file = tmp_path / "failure.json"
    run = run_simulate("--blocks", "30", "--seed", "3", "--registry", "toy_module.broken:REGISTRY",
                       "--failure-file", str(failure_file), hash_seed="0")
    assert run.returncode == 1
    assert "FAILED seed 3" in run.stderr and "bank/balances-sum-to-supply" in run.stderr
    replay = json.loads(failure_file.read_text())
    assert count_txs(replay) == 1 and replay["failure"]["invariant"] == "bank/balances-sum-to-supply"
    again = run_simulate("--replay", str(failure_file), hash_seed="5")
    assert again.returncode == 1 and "reproduced: bank/balances-sum-to-supply" in again.stderr


def test_replay_of_a_clean_run_passes_and_a_bad_document_is_refused(tmp_path: Path) -> None:
    driver = make_driver()
    driver.end_block()
    path = tmp_path / "clean.json"
    path.write_text(json.dumps(driver.replay()))
    assert CliRunner().invoke(main, ["simulate", "--replay", str(path)]).exit_code == 0
    path.write_text("{}")
    result = CliRunner().invoke(main, ["simulate", "--replay", str(path)])
    assert result.exit_code == 1 and "not an akechain replay" in result.output


def test_the_worked_example_in_the_docs_is_the_test_that_runs() -> None:
    example = (ROOT / "tests" / "test_example_take_rate.py").read_text()
    assert f"```python\n{example}```" in (ROOT / "docs" / "testing.md").read_text()
    assert len(example.splitlines()) < 30


def test_set_params_changes_the_take_rate_through_a_tx() -> None:
    from test_example_take_rate import TakeRate30

    machine = TakeRate30()
    machine.raise_take_rate_to_30_percent()
    machine.end_blocks(1)
    assert machine.chain.query("market", "params").take_rate_bps == 3_000
    machine.teardown()


def test_simulate_starts_from_a_given_genesis_with_param_changes(tmp_path: Path) -> None:
    from test_app_support import make_genesis, make_keys

    genesis, params = tmp_path / "genesis.json", tmp_path / "params.json"
    genesis.write_text(json.dumps(make_genesis(make_keys(2))))
    params.write_text(json.dumps({"market": {"take_rate_bps": 3_000}}))
    result = CliRunner().invoke(main, ["simulate", "--blocks", "30", "--seed", "2", "--genesis", str(genesis),
                                       "--params", str(params)])
    assert result.exit_code == 0, result.output
    params.write_text(json.dumps({"market": {"take_rate_bps": 6_000}}))  # above the param's bound
    result = CliRunner().invoke(main, ["simulate", "--blocks", "3", "--genesis", str(genesis), "--params", str(params)])
    assert result.exit_code == 1 and "take_rate_bps" in result.output
