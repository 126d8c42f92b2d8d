"""`simulate`, behind `akechain simulate`: random valid and invalid txs from every registered
module's strategies across N blocks, every invariant checked after every block, a determinism
replay at the end, and on a failure a counterexample shrunk to the fewest txs and blocks.

Same seed, same run, on every machine and under any PYTHONHASHSEED: each tx is drawn from the
strategies by a hypothesis `ConjectureData` whose choices come from a `random.Random` seeded with
a hash of (seed, height, index), never from hypothesis's own run-to-run randomness; the draws
skip hypothesis's pool of constants collected from whichever local modules happen to be imported.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Any, Callable, Sequence, TypeVar

import nacl.signing
from hypothesis.control import BuildContext
from hypothesis.errors import StopTest
from hypothesis.internal.conjecture.data import ConjectureData
from hypothesis.internal.conjecture.providers import HypothesisProvider

from akechain.chain.crypto import format_address, get_address
from akechain.testing.driver import DETERMINISM, SIM_BALANCE, ChainFailure, Setup, SimDriver
from akechain.testing.strategies import TxDraft, st_tx

T = TypeVar("T")
SHRINK_RUNS = 400  # chain runs a shrink may spend


class SeededProvider(HypothesisProvider):
    """Hypothesis's own choice provider, minus the constants pool (it depends on what is imported)."""

    def _maybe_draw_constant(self, choice_type: Any, constraints: Any, *, p: float = 0.05) -> None:
        return None


def draw_seeded(strategy: Any, seed: int, height: int, index: int) -> Any:
    """One value of `strategy` fixed by (seed, height, index); None if the draw was rejected."""
    rng = random.Random(hashlib.sha256(b"akechain/simulate/%d/%d/%d" % (seed, height, index)).digest())
    data = ConjectureData(random=rng, provider=SeededProvider)
    try:
        with BuildContext(data, wrapped_test=draw_seeded):  # what `st.builds` and `st.composite` expect
            return data.draw(strategy)
    except StopTest:
        return None


@dataclass(frozen=True, slots=True)
class Report:
    seed: int
    height: int
    app_hash: bytes
    outcomes: tuple[tuple[str, int, int], ...]  # (kind, succeeded, failed), by kind

    def render(self) -> str:
        width = max([len(kind) for kind, _, _ in self.outcomes] + [4])
        lines = [f"{'kind':<{width}}  {'ok':>6}  {'failed':>6}"]
        lines += [f"{kind:<{width}}  {ok:>6}  {failed:>6}" for kind, ok, failed in self.outcomes]
        ok, failed = sum(o for _, o, _ in self.outcomes), sum(f for _, _, f in self.outcomes)
        lines += [f"{'total':<{width}}  {ok:>6}  {failed:>6}",
                  f"seed {self.seed}: {self.height - 1} blocks after the genesis block, every invariant held after each,"
                  " the replay deterministic",
                  f"app hash {self.app_hash.hex()}"]
        return "\n".join(lines)


class SimulationFailed(Exception):
    """An invariant broke during a simulation: `failure` is the shrunk counterexample, `original` what the run hit."""

    def __init__(self, seed: int, original: ChainFailure, failure: ChainFailure) -> None:
        self.seed = seed
        self.original = original
        self.failure = failure
        super().__init__(f"seed {seed}: {original.invariant} broken at height {original.height}")


def get_report(seed: int, driver: SimDriver) -> Report:
    kinds = sorted({kind for kind, _ in driver.outcomes})
    outcomes = tuple((kind, driver.outcomes[kind, True], driver.outcomes[kind, False]) for kind in kinds)
    return Report(seed, driver.height, driver.chain.app_hashes[driver.height], outcomes)


def simulate(setup: Setup, keys: Sequence[nacl.signing.SigningKey], blocks: int, seed: int, txs_per_block: int = 5,
             progress: Callable[[SimDriver], None] | None = None) -> Report:
    """Run `blocks` blocks after the genesis block; raises SimulationFailed with a shrunk counterexample."""
    driver = SimDriver(setup, keys)
    try:
        for _ in range(blocks):
            for index in range(txs_per_block):
                draft = draw_seeded(st_tx(driver, valid=None), seed, driver.height + 1, index)
                if draft is not None:
                    driver.submit(draft)
            driver.end_block()
            if progress is not None:
                progress(driver)
        driver.check_determinism()
    except ChainFailure as failure:
        raise SimulationFailed(seed, failure, shrink(setup, keys, driver.drafts, failure)) from failure
    return get_report(seed, driver)


def run_drafts(setup: Setup, keys: Sequence[nacl.signing.SigningKey], blocks: Sequence[Sequence[TxDraft]],
               replay: bool) -> ChainFailure | None:
    """Run blocks of drafts (after the genesis block) on a fresh chain; the failure they hit, if any."""
    driver = SimDriver(setup, keys)
    try:
        for drafts in blocks:
            for draft in drafts:
                driver.submit(draft)
            driver.end_block()
        if replay:
            driver.check_determinism()
    except ChainFailure as failure:
        return failure
    return None


def shrink(setup: Setup, keys: Sequence[nacl.signing.SigningKey], drafts: Sequence[Sequence[TxDraft | bytes]],
           failure: ChainFailure) -> ChainFailure:
    """The smallest run found that breaks the same invariant: drop txs, then blocks (ddmin-style
    chunks, halving), re-signing what is left, within SHRINK_RUNS chain runs."""
    best = failure
    runs = 0

    def still_fails(blocks: list[list[TxDraft]]) -> bool:
        nonlocal best, runs
        if runs >= SHRINK_RUNS:
            return False
        runs += 1
        found = run_drafts(setup, keys, blocks, failure.invariant == DETERMINISM)
        if found is None or found.invariant != failure.invariant:
            return False
        best = found
        return True

    blocks = [list(block) for block in drafts[1:failure.height]]  # drafts[0] is the genesis block
    placed = reduce_items([(b, d) for b, block in enumerate(blocks) for d in block],
                          lambda items: still_fails([[d for b2, d in items if b2 == b] for b in range(len(blocks))]))
    blocks = [[d for b2, d in placed if b2 == b] for b in range(len(blocks))]
    reduce_items(blocks, still_fails)
    return best


def reduce_items(items: list[T], still_fails: Callable[[list[T]], bool]) -> list[T]:
    """Drop chunks of `items` while the rest still fails, from half the list down to single items."""
    chunk = max(1, len(items) // 2)
    while True:
        start = 0
        while start < len(items):
            candidate = items[:start] + items[start + chunk:]
            if still_fails(candidate):
                items = candidate
            else:
                start += chunk
        if chunk == 1:
            return items
        chunk //= 2


def fund_sim_accounts(app_state: dict, keys: Sequence[nacl.signing.SigningKey]) -> dict:
    """`app_state` (a user's genesis) with every simulation account funded, so their txs can pay fees."""
    bank = dict(app_state["bank"])
    held = {item["address"] for item in bank["balances"]}
    added = [{"address": a, "amount": SIM_BALANCE} for a in (format_address(get_address(k)) for k in keys)
             if a not in held]
    bank["balances"] = sorted(bank["balances"] + added, key=lambda item: item["address"])
    if "supply" in bank:
        extra = SIM_BALANCE * len(added)
        supply = bank["supply"]
        bank["supply"] = {**supply, "initial": supply["initial"] + extra, "total": supply["total"] + extra}
    return {**app_state, "bank": bank}


