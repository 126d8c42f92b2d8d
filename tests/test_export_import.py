"""Export at height H and import as a new chain at initial_height H + 1: the records that hold
heights and times (a lease's escrow run-out and grace, an unbonding's completion) are kept as they
are, so the imported chain continues exactly as the original: the same blocks give the same app
hashes (on a chain without validators), and the lease closes and the unbonding completes where
they would have."""
from __future__ import annotations

import copy

from akechain.chain.modules.market import queries as q
from akechain.chain.modules.market.records import CLOSED
from akechain.chain.modules.staking.msgs import MsgUndelegate
from akechain.testing import SimChain
from staking_support import ADDRESSES as STAKERS
from staking_support import PARAMS as STAKING_PARAMS
from staking_support import Driver as StakingDriver
from staking_support import make_staking_chain
from test_app_support import CHAIN_ID
from test_market_flows import open_job, setup
from test_market_support import CONSUMERS
from test_market_support import Driver as MarketDriver

V1 = STAKERS[1]


def import_at_next_height(chain: SimChain) -> SimChain:
    """The committed state of `chain` as a new chain starting at its next height and its last block time."""
    return SimChain(chain.export_genesis(), chain.chain_id, genesis_time_ms=chain.time_ms, initial_height=chain.height + 1)


def test_a_lease_opened_before_the_export_runs_out_and_closes_at_its_heights_after_the_import() -> None:
    d = setup()
    [lease] = open_job(d, budget=1_030, max_price=100, prices=(100,), duration=50, deadline=60)
    start = lease.opened_height
    d.advance_to(start + 4)
    export_height = d.height
    imported = MarketDriver(import_at_next_height(d.chain))
    imported.nonces = dict(d.nonces)
    assert imported.height == export_height and imported.chain.app_hashes[export_height] == d.chain.app_hashes[export_height]
    for driver in (d, imported):
        driver.advance_to(start + 9)
        assert driver.escrow(lease.job_id).streams[0].state == "accruing"
        driver.advance_to(start + 10)
        assert driver.escrow(lease.job_id).streams[0].state == "paused"
        driver.advance_to(start + 12)
        closed = q.query_lease(driver.app.get_state_view()[0], lease.id)
        assert (closed.status, closed.close_reason) == (CLOSED, "out-of-funds")
        assert driver.escrow(lease.job_id).refunded == 30
    for height in range(export_height + 1, start + 13):
        assert imported.chain.app_hashes[height] == d.chain.app_hashes[height]
    assert imported.chain.blocks[0].request.height == export_height + 1
    assert imported.app.get_account(CONSUMERS[0]).balance == d.app.get_account(CONSUMERS[0]).balance


def test_an_unbonding_begun_before_the_export_completes_at_its_time_after_the_import() -> None:
    d = StakingDriver(make_staking_chain())
    d.run(1, MsgUndelegate(V1, 2_000))
    (ubd,) = d.chain.query("staking", "unbonding", V1)
    completion = ubd.entries[0].completion_time_ms
    d.block()
    balance = d.chain.app.get_account(V1).balance  # the imported chain commits its genesis with its first block
    imported = StakingDriver.__new__(StakingDriver)
    imported.chain, imported.pending, imported.nonces = import_at_next_height(d.chain), [], copy.copy(d.nonces)
    for driver in (d, imported):
        while driver.chain.time_ms + 1_000 < completion:
            driver.block()
        assert driver.chain.query("staking", "unbonding", V1) != []
        driver.block(completion - driver.chain.time_ms)
        assert driver.chain.query("staking", "unbonding", V1) == []
        assert driver.chain.app.get_account(V1).balance == balance + 2_000
        driver.chain.check_invariants()
    # the same height and time (the imported chain's first block has no last commit, as in consensus,
    # so slashing's signing records differ by that one block and the app hashes are not compared)
    assert imported.chain.height == d.chain.height > STAKING_PARAMS.unbonding_time_ms // 1_000
    assert imported.chain.time_ms == d.chain.time_ms == completion


def test_an_imported_chain_refuses_a_block_below_its_initial_height() -> None:
    d = setup()
    d.advance_to(5)
    chain = import_at_next_height(d.chain)
    assert chain.app.info().last_height == 0 and chain.height == 5
    chain.apply_block(time_ms=d.chain.time_ms + 1_000)
    assert chain.app.info().last_height == 6
    assert CHAIN_ID == chain.chain_id
