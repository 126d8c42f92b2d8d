"""Selection is deterministic and independent of the order bids arrived in: permuting the bid txs
(inside one block, or across blocks) opens the same leases; ranking is by a weighted score over
price, reputation and latency with ties broken by hash(job id, provider)."""
from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from akechain.chain.crypto import get_address
from akechain.chain.modules.market import keeper as k
from akechain.chain.modules.market import queries as q
from akechain.chain.modules.market.msgs import POLICY_REDUNDANCY, MsgBid, MsgRegisterProvider, Policy
from akechain.chain.modules.market.params import DEFAULT_PARAMS
from akechain.chain.modules.market.records import Bid, Job
from akechain.chain.tx import build_tx
from test_app_support import CHAIN_ID
from test_market_support import CONSUMER_KEYS, FEE, HARDWARE, PROVIDER_KEYS, PROVIDERS, SPEC, Driver, job_msg, make_market_chain

REDUNDANT = Policy(kind=POLICY_REDUNDANCY, spot_check_bps=0, k=2, n=3)
bid_lists = st.lists(st.tuples(st.integers(1, 100), st.integers(0, 1_500)), min_size=6, max_size=6)


def run_market(bids: list[tuple[int, int]], order: list[int], blocks: list[int]) -> tuple[list, bytes]:
    """Six providers bid (price, latency) on a 2-of-3 job; bid i goes out in position order[i]
    within block blocks[i]; returns the opened leases (provider, price) and the final app hash."""
    d = Driver(make_market_chain())
    for key in PROVIDER_KEYS:
        d.tx(key, MsgRegisterProvider(HARDWARE, "eu", (), "https://p", 10**6))
    d.block()
    assert d.run(CONSUMER_KEYS[0], job_msg(window=4, policy=REDUNDANT, deadline=30)) == (0, "")
    per_block: list[list[tuple[int, bytes]]] = [[], []]
    for i in range(len(PROVIDER_KEYS)):
        price, latency = bids[i]
        tx = build_tx(PROVIDER_KEYS[i], CHAIN_ID, 1, FEE, [MsgBid(1, price, latency, SPEC)])
        per_block[blocks[i]].append((order[i], tx))
    for txs in per_block:
        d.pending = [tx for _, tx in sorted(txs)]
        results = d.block().tx_results
        assert all(r.code == 0 for r in results), [r.log for r in results]
    d.advance_to(d.job(1).bid_close_height)
    leases = [(lease.provider, lease.price) for lease in q.query_leases(d.app.get_state_view()[0], job_id=1)]
    return sorted(leases), d.app.info().last_app_hash


@settings(max_examples=12, deadline=None)
@given(bids=bid_lists, data=st.data())
def test_winners_do_not_depend_on_arrival_order(bids, data) -> None:
    reference = run_market(bids, list(range(6)), [0] * 6)
    order = data.draw(st.permutations(range(6)))
    same_block = run_market(bids, order, [0] * 6)
    assert same_block == reference  # identical leases and identical app hash
    split = data.draw(st.lists(st.integers(0, 1), min_size=6, max_size=6))
    leases, _ = run_market(bids, order, split)  # bid heights differ, so the hash may; the winners may not
    assert leases == reference[0]
    # the three best by score (all reputations are equal here) won
    job = Job(1, b"", SPEC, 10, "", (), 0, 100, 0, 0, 0, REDUNDANT, (), (), b"", 0, (), (), False)
    records = [Bid(PROVIDERS[i], price, latency, SPEC, 0, 0, i) for i, (price, latency) in enumerate(bids)]
    best = k.rank_bids(job, records, {p: DEFAULT_PARAMS.reputation_initial_bps for p in PROVIDERS}, DEFAULT_PARAMS)[:3]
    assert leases == sorted((bid.provider, bid.price) for bid in best)


@settings(max_examples=200, deadline=None)
@given(bids=st.lists(st.tuples(st.integers(1, 100), st.integers(0, 1_500), st.integers(0, 10_000)),
                     min_size=1, max_size=12), data=st.data())
def test_ranking_is_a_pure_function_of_the_bid_set(bids, data) -> None:
    job = Job(7, b"\x00" * 20, SPEC, 10, "", (), 1_000, 100, 1, 5, 30, REDUNDANT, (), (), b"", 0, (), (), False)
    records = [Bid(get_address(PROVIDER_KEYS[i % 6])[:19] + bytes([i]), price, latency, SPEC, 1, 0, 0)
               for i, (price, latency, _) in enumerate(bids)]
    scores = {bid.provider: rep for bid, (_, _, rep) in zip(records, bids)}
    reference = k.rank_bids(job, records, scores, DEFAULT_PARAMS)
    shuffled = data.draw(st.permutations(records))
    assert k.rank_bids(job, list(shuffled), scores, DEFAULT_PARAMS) == reference
    # the score orders them; equal scores fall back to the hash tie-break
    keys = [(-k.compute_bid_score(b, 100, scores[b.provider], DEFAULT_PARAMS), k.compute_tie_break(7, b.provider))
            for b in reference]
    assert keys == sorted(keys)


def test_lower_price_better_reputation_lower_latency_win() -> None:
    job = Job(1, b"\x00" * 20, SPEC, 10, "", (), 1_000, 100, 1, 5, 30, REDUNDANT, (), (), b"", 0, (), (), False)
    a, b = PROVIDERS[0], PROVIDERS[1]
    cheap, dear = Bid(a, 10, 100, SPEC, 1, 0, 0), Bid(b, 90, 100, SPEC, 1, 0, 1)
    assert k.rank_bids(job, [dear, cheap], {a: 5_000, b: 5_000}, DEFAULT_PARAMS)[0] is cheap
    assert k.rank_bids(job, [cheap, replace(dear, price=10)], {a: 1_000, b: 9_000}, DEFAULT_PARAMS)[0].provider == b
    fast = replace(dear, price=10, latency_ms=1)
    assert k.rank_bids(job, [cheap, fast], {a: 5_000, b: 5_000}, DEFAULT_PARAMS)[0] is fast
