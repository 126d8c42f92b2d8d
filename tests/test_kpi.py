"""Network KPIs on the real app: periods close every `period_blocks` blocks and only the last
`kept_periods` are kept; each period's flows add up to what the chain's own totals say (fees, burn,
emission, market volume, treasury outflows, proposals and turnout) and its stocks are those at its
close (supply, bonded, treasury, providers, active providers and their reputation)."""
from __future__ import annotations

import json

from akechain.chain.genesis import build_genesis, export_app_state
from akechain.chain.modules.bank.keeper import TREASURY
from akechain.chain.modules.gov.msgs import MsgTreasurySpend, MsgUpdateParams, MsgVote
from akechain.chain.modules.gov.records import PASSED, YES
from akechain.chain.modules.kpi.params import Params as KpiParams
from akechain.chain.modules.market.msgs import MsgRegisterProvider
from akechain.chain.modules.staking.records import BONDED_POOL
from akechain.node.rpc.gov import get_kpi_json
from akechain.testing import SimChain
from gov_support import ADDRESSES, GOV, GovDriver, make_gov_chain
from test_app_support import AUTH_PARAMS, CHAIN_ID
from test_market_flows import COLLATERAL, GOOD, key_of, open_job
from test_market_support import (
    DISTRIBUTION_PARAMS,
    FEE,
    HARDWARE,
    MARKET_PARAMS,
    PROVIDER_KEYS,
    Driver,
    submit_receipt,
)
from test_market_support import ADDRESSES as MARKET_ADDRESSES

FLOWS = ("burned", "emitted", "treasury_outflows", "fees", "jobs", "leases", "paid", "proposals", "proposals_tallied")


def make_market_driver(kpi: KpiParams) -> Driver:
    genesis = build_genesis(CHAIN_ID, (), {a: 10**9 for a in MARKET_ADDRESSES}, AUTH_PARAMS,
                            market_params=MARKET_PARAMS, distribution_params=DISTRIBUTION_PARAMS, kpi_params=kpi)
    d = Driver(SimChain(genesis["app_state"], CHAIN_ID))
    for key in PROVIDER_KEYS[:3]:
        d.tx(key, MsgRegisterProvider(HARDWARE, "eu", ("tier=a",), "https://p.example", COLLATERAL))
    d.block()
    return d


def kpi(chain: SimChain) -> dict:
    return get_kpi_json(chain.app.get_state_view()[0])


def total(doc: dict, name: str) -> int:
    return sum(period[name] for period in doc["periods"])


def test_periods_close_on_schedule_and_only_the_last_kept_remain() -> None:
    d = make_market_driver(KpiParams(period_blocks=3, kept_periods=2))
    d.advance_to(20)
    doc = kpi(d.chain)
    closed, current = doc["periods"][:-1], doc["periods"][-1]
    # blocks 1-3 are period 0, ..., 19-21 period 6 (open at height 20)
    assert [(p["index"], p["start_height"], p["end_height"]) for p in closed] == [(4, 13, 15), (5, 16, 18)]
    assert current["open"] and current["index"] == 6 and current["start_height"] == 19 and current["end_height"] is None
    assert not any(p["open"] for p in closed)
    per_block = DISTRIBUTION_PARAMS.emission_per_block
    assert [p["emitted"] for p in closed] == [3 * per_block, 3 * per_block] and current["emitted"] == 2 * per_block
    supply = d.app.get_supply()
    assert current["total_supply"] == supply.total and current["burned"] <= supply.burned
    assert current["treasury_balance"] == d.app.get_account(TREASURY).balance


def test_market_figures_follow_a_lease_from_bid_to_settlement() -> None:
    d = make_market_driver(KpiParams(period_blocks=4, kept_periods=50))
    txs = 3  # the registrations
    [lease] = open_job(d, budget=100_000, prices=(100,), duration=10, deadline=30)
    txs += 2  # the job and the bid
    running = kpi(d.chain)["periods"][-1]
    assert (running["providers"], running["active_providers"], running["utilisation_bps"]) == (3, 1, 3_333)
    assert running["mean_reputation_bps"] == MARKET_PARAMS.reputation_initial_bps
    d.advance_to(lease.opened_height + 10)
    assert submit_receipt(d, key_of(lease.provider), lease.id, GOOD) == (0, "")
    txs += 2  # commit and reveal
    d.advance_to(d.height + MARKET_PARAMS.challenge_window_blocks)
    doc = kpi(d.chain)
    assert (total(doc, "jobs"), total(doc, "leases"), total(doc, "paid")) == (1, 1, 1_000)
    assert total(doc, "fees") == txs * FEE
    assert total(doc, "burned") == d.app.get_supply().burned  # every period kept, from genesis on
    assert total(doc, "emitted") == d.app.get_supply().minted
    settled = doc["periods"][-1]
    assert (settled["providers"], settled["active_providers"], settled["utilisation_bps"]) == (3, 0, 0)
    assert settled["mean_reputation_bps"] == 0
    # the lease's period recorded it active, at the score it had then
    assert any(p["active_providers"] == 1 for p in doc["periods"][:-1])
    heights = [(p["start_height"], p["end_height"]) for p in doc["periods"][:-1]]
    assert all(end + 1 == start for (_, end), (start, _) in zip(heights, heights[1:]))


def test_governance_figures_count_proposals_turnout_and_treasury_outflows() -> None:
    g = GovDriver(make_gov_chain())
    spend = g.submit(4, MsgTreasurySpend(ADDRESSES[3], 1_234))
    g.tx(0, MsgVote(spend, YES))  # one of two equal validators: half the bonded stake turns out
    g.block()
    g.wait_ms(GOV.voting_period_ms)
    assert g.proposal(spend).status == PASSED
    [current] = kpi(g.chain)["periods"]
    assert (current["proposals"], current["proposals_tallied"], current["turnout_bps"]) == (1, 1, 5_000)
    assert current["treasury_outflows"] == 1_234
    assert current["bonded_supply"] == g.chain.app.get_account(BONDED_POOL).balance > 0


def test_kpi_state_exports_and_the_flows_never_go_negative() -> None:
    d = make_market_driver(KpiParams(period_blocks=2, kept_periods=5))
    d.advance_to(9)
    exported = export_app_state(d.app.get_state_view()[0])
    assert exported["kpi"]["params"] == {"period_blocks": 2, "kept_periods": 5}
    assert len(exported["kpi"]["state"]) >= 1 + 1 + 4  # counters, open period, closed periods
    assert all(p[name] >= 0 for p in kpi(d.chain)["periods"] for name in FLOWS)


def test_lowering_kept_periods_by_governance_drops_the_older_ones_at_the_next_close() -> None:
    g = GovDriver(make_gov_chain())
    pid = g.submit(4, MsgUpdateParams("kpi", json.dumps({"period_blocks": 2, "kept_periods": 1})))
    g.tx(0, MsgVote(pid, YES))
    g.tx(1, MsgVote(pid, YES))
    g.block()
    g.wait_ms(GOV.voting_period_ms + 6_000)
    periods = kpi(g.chain)["periods"]
    assert len(periods) == 2 and periods[-1]["open"] and periods[0]["end_height"] + 1 == periods[1]["start_height"]
