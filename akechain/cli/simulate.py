"""`akechain simulate`: the randomized simulation of the whole state machine from the command line."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from akechain.cli.common import fail

FILE = click.Path(dir_okay=False, exists=True, path_type=Path)


@click.command()
@click.option("--blocks", type=click.IntRange(1), default=100, show_default=True, help="Blocks to run after the genesis block.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Fixes every tx drawn: the same seed gives the same run and app hash on any machine.")
@click.option("--txs-per-block", type=click.IntRange(0, 1000), default=5, show_default=True,
              help="Txs drawn for each block (about three in four valid).")
@click.option("--accounts", type=click.IntRange(4, 64), default=8, show_default=True,
              help="Funded simulation accounts the txs are signed by (the last three are market verifiers).")
@click.option("--genesis", type=FILE, help="A genesis.json (or bare app_state) to start from; the simulation "
              "accounts are funded on top of it. Default: a simulation genesis with short market windows.")
@click.option("--params", "params_file", type=FILE,
              help='JSON {module: {param: value}} over the genesis params, e.g. {"market": {"take_rate_bps": 3000}}.')
@click.option("--registry", "registry_spec", metavar="MODULE:ATTR",
              help="For module authors: simulate the Registry at MODULE:ATTR (e.g. one with your module added) "
                   "instead of the chain's own modules. MODULE must be importable (PYTHONPATH).")
@click.option("--failure-file", type=click.Path(dir_okay=False, path_type=Path), default=Path("simulate-failure.json"),
              show_default=True, help="Where a failure's shrunk counterexample (a replay document) is written.")
@click.option("--replay", "replay_file", type=FILE, help="Run a replay document (a --failure-file) again instead of "
              "a random run: exits 1 if the failure reproduces, 0 if the chain now passes.")
def simulate(blocks: int, seed: int, txs_per_block: int, accounts: int, genesis: Path | None, params_file: Path | None,
             registry_spec: str | None, failure_file: Path, replay_file: Path | None) -> None:
    """Random valid and invalid txs from every module's strategies, in blocks, checking every invariant.

    \b
    After each block every module's invariants are checked (supply, escrow = open obligations,
    collateral, bonds...) and no tx may fail with an internal error; at the end all blocks are
    replayed on a fresh chain for the same app hash at every height. Progress goes to stderr,
    the report (txs per kind, ok/failed, final app hash) to stdout.
    On a failure it prints the seed, height and invariant, shrinks the run to the fewest txs that
    still break it, writes that to --failure-file and exits 1.

    \b
    Examples:
      akechain simulate --blocks 200 --seed 1
      akechain simulate --blocks 500 --seed 7 --params take30.json
      akechain simulate --registry mymodule.registry:REGISTRY --blocks 100
      akechain simulate --replay simulate-failure.json
    """
    from akechain.chain.codec import GenesisError
    from akechain.testing.driver import ChainFailure, ReplayError, Setup, load_registry, make_sim_app_state, make_sim_keys, run_replay
    from akechain.chain.genesis import apply_param_changes
    from akechain.testing.simulate import SimulationFailed, fund_sim_accounts
    from akechain.testing.simulate import simulate as run_simulation
    from akechain.chain.crypto import get_address
    from akechain.testing.sim import SimChain

    if replay_file is not None:
        try:
            driver = run_replay(read_json(replay_file))
        except ReplayError as exc:
            fail(str(exc))
        except ChainFailure as failure:
            click.echo(f"reproduced: {failure}", err=True)
            sys.exit(1)
        click.echo(f"replay ran clean to height {driver.height}: the failure no longer reproduces")
        return

    keys = make_sim_keys(accounts)
    try:
        registry = load_registry(registry_spec)
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        fail(f"--registry {registry_spec}: {exc}")
    try:
        if genesis is not None:
            doc = read_json(genesis)
            app_state = fund_sim_accounts(doc.get("app_state", doc), keys)
        else:
            app_state = make_sim_app_state([get_address(k) for k in keys], registry)
        if params_file is not None:
            app_state = apply_param_changes(app_state, read_json(params_file), registry)
        SimChain(app_state, registry=registry)
    except (GenesisError, KeyError, TypeError, AttributeError, ValueError) as exc:
        fail(f"the genesis or params do not start a chain: {exc!r}")
    try:
        report = run_simulation(Setup(app_state, registry_spec), keys, blocks, seed, txs_per_block,
                                progress=lambda d: show_progress(d, blocks))
    except SimulationFailed as exc:
        failure = exc.failure
        failure_file.write_text(json.dumps(failure.replay, indent=1, sort_keys=True) + "\n")
        click.echo(f"\nFAILED seed {seed}: {exc.original.args[0].splitlines()[0]}", err=True)
        click.echo(f"shrunk to: {failure}", err=True)
        click.echo(f"counterexample written to {failure_file}; reproduce with: akechain simulate --replay {failure_file}",
                   err=True)
        sys.exit(1)
    click.echo(report.render())


def show_progress(driver: Any, blocks: int) -> None:
    """A line on stderr every 10 blocks (the driver is a `SimDriver`)."""
    done = driver.height - 1
    if done % 10 == 0 or done == blocks:
        ok = sum(n for (_, succeeded), n in driver.outcomes.items() if succeeded)
        total = sum(driver.outcomes.values())
        click.echo(f"\rblock {done}/{blocks}  txs {total} ({ok} ok)", err=True, nl=done == blocks)


def read_json(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text())
    except ValueError as exc:
        fail(f"{path} is not JSON: {exc}")
    if not isinstance(doc, dict):
        fail(f"{path} must hold a JSON object")
    return doc
