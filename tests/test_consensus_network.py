"""Pure engines over a simulated network: agreement, validity, liveness after GST, evidence."""
from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consensus.abci import ValidatorUpdate
from consensus.chain import validate_block
from consensus.privval import MemoryPV
from consensus.proposer import make_validator_set
from consensus.types import InvalidBlockError
from test_consensus_support import FAST, GENESIS_TIME_MS, Sim, seed


def assert_agreement(sim: Sim) -> None:
    heights = {h for n in sim.honest for h in n.decided}
    for h in heights:
        hashes = {n.decided[h][0].hash() for n in sim.honest if h in n.decided}
        assert len(hashes) == 1, f"honest nodes decided different blocks at height {h}"


def assert_valid_chain(sim: Sim) -> None:
    for node in sim.honest:
        times = [node.decided[h][0].header.time_ms for h in sorted(node.decided)]
        if 1 in node.decided:
            assert node.decided[1][0].header.time_ms == GENESIS_TIME_MS, "the first block uses genesis time"
        assert all(a < b for a, b in zip(times, times[1:])), "BFT time must increase"
        for block, commit in node.decided.values():
            assert commit.block_id == block.block_id
            assert not any(tx.startswith(b"bad") for tx in block.txs), "an invalid block was decided"


def test_four_equal_validators_decide_same_blocks() -> None:
    sim = Sim([1, 1, 1, 1], ["honest"] * 4, random.Random(1), txs=[b"a=1", b"b=2"])
    sim.run(20_000, stop=lambda s: s.min_height() >= 5)
    assert sim.min_height() >= 5
    assert_agreement(sim)
    assert_valid_chain(sim)
    first = sim.nodes[0].decided[1][0]
    assert first.txs == (b"a=1", b"b=2") and first.header.time_ms == GENESIS_TIME_MS
    assert len({n.app.app_hash for n in sim.nodes}) == 1


def test_one_silent_of_four_keeps_going_two_halt() -> None:
    sim = Sim([1, 1, 1, 1], ["honest", "silent", "honest", "honest"], random.Random(3))
    sim.run(30_000, stop=lambda s: s.min_height() >= 3)
    assert sim.min_height() >= 3
    assert_agreement(sim)
    halted = Sim([1, 1, 1, 1], ["honest", "silent", "silent", "honest"], random.Random(3))
    halted.run(5_000)
    assert halted.min_height() == 0


def test_validator_update_takes_effect_two_heights_later() -> None:
    newcomer = MemoryPV(seed(9))
    tx = b"val:" + newcomer.pub_key.hex().encode() + b":1"
    sim = Sim([1, 1, 1], ["honest"] * 3, random.Random(5), txs=[tx])
    sim.run(20_000, stop=lambda s: s.min_height() >= 3)
    node = sim.nodes[0]
    assert tx in node.decided[1][0].txs
    hashes = [node.decided[h][0].header.validators_hash for h in (1, 2, 3)]
    grown = make_validator_set(
        [ValidatorUpdate(MemoryPV(seed(i)).pub_key, 1) for i in range(3)] + [ValidatorUpdate(newcomer.pub_key, 1)]
    )
    assert hashes[0] == hashes[1] != hashes[2] == grown.hash()
    assert node.decided[2][0].header.next_validators_hash == grown.hash()


def test_tampered_block_is_rejected() -> None:
    sim = Sim([1, 1, 1, 1], ["honest"] * 4, random.Random(1))
    sim.run(20_000, stop=lambda s: s.min_height() >= 1)
    block = sim.nodes[0].decided[1][0]
    validate_block(sim.chain, block, FAST.max_block_bytes)  # the genesis state accepts it as decided
    for tampered in (
        replace(block, txs=(b"x=1",)),
        replace(block, header=replace(block.header, time_ms=block.header.time_ms + 1)),
        replace(block, header=replace(block.header, app_hash=b"\x00" * 32)),
        replace(block, header=replace(block.header, proposer_address=b"\x00" * 20)),
    ):
        with pytest.raises(InvalidBlockError):
            validate_block(sim.chain, tampered, FAST.max_block_bytes)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[int], list[str], random.Random, float, float, int]:
    n = draw(st.integers(4, 6))
    powers = draw(st.lists(st.integers(1, 10), min_size=n, max_size=n))
    behaviours = ["honest"] * n
    total = sum(powers)
    # Byzantine validators: any subset (by index order) whose power stays below a third.
    byz_power = 0
    for i in draw(st.permutations(range(n))):
        if draw(st.booleans()) and 3 * (byz_power + powers[i]) < total:
            behaviours[i] = draw(st.sampled_from(["silent", "equivocate"]))
            byz_power += powers[i]
    rng = random.Random(draw(st.integers(0, 2**32)))  # the schedule: delays, drops, order
    drop = draw(st.sampled_from([0.0, 0.1, 0.3]))
    duplicate = draw(st.sampled_from([0.0, 0.2]))
    max_delay = draw(st.sampled_from([20, 200, 800]))
    return powers, behaviours, rng, drop, duplicate, max_delay


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_bft_properties_under_faults(scenario) -> None:
    powers, behaviours, rng, drop, duplicate, max_delay = scenario
    sim = Sim(powers, behaviours, rng, gst_ms=1_000, drop=drop, duplicate=duplicate, max_delay_ms=max_delay,
              txs=[b"k%d=v" % i for i in range(5)])
    sim.run(120_000, stop=lambda s: s.min_height() >= 3 and s.now > s.gst_ms + 200)
    # Agreement and validity hold throughout; liveness once delivery is bounded.
    assert_agreement(sim)
    assert_valid_chain(sim)
    assert sim.min_height() >= 3, f"no progress: heights {[max(n.decided, default=0) for n in sim.honest]}"
    # Equivocation becomes evidence (pending somewhere or committed).
    for i, node in enumerate(sim.nodes):
        if node.behaviour != "equivocate":
            continue
        found = [
            e for n in sim.honest
            for e in list(n.state.pending_evidence.values()) + [e for b, _ in n.decided.values() for e in b.evidence]
            if e.vote_a.validator_address == node.pv.address
        ]
        assert found, f"no evidence against equivocator {i}"


def test_a_silent_proposer_costs_the_short_absent_timeout_after_its_first_missed_turn() -> None:
    slow_propose = replace(FAST, timeout_propose_ms=2_000, timeout_propose_absent_ms=100)
    without = replace(slow_propose, timeout_propose_absent_ms=2_000)
    heights = {}
    for name, config in (("absent timeout", slow_propose), ("full timeout", without)):
        sim = Sim([1, 1, 1, 1], ["honest", "silent", "honest", "honest"], random.Random(3), config=config)
        sim.run(20_000)
        assert_agreement(sim)
        heights[name] = sim.min_height()
        if name == "absent timeout":
            silent = sim.nodes[1].pv.address
            assert all(silent in n.state.absent_proposers for n in sim.honest)
            assert not any(n.pv.address in m.state.absent_proposers for n in sim.honest for m in sim.honest)
    # Each of the silent node's turns costs 2 s at the full timeout and 0.1 s once it is known absent.
    assert heights["absent timeout"] >= 3 * heights["full timeout"], heights
