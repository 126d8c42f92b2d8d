"""The per-block work cap (`auth.max_block_work`) and the fee per work unit: a proposer fills a block
up to the cap, skipping a tx that does not fit (and its sender's later ones) for smaller ones that
do; a validator rejects a proposal above the cap; a tx heavier than the cap is refused at admission;
a fee that pays for bytes and messages but not for the work is too low; gov moves the cap within
its bounds."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akechain.chain.app import App
from akechain.chain.crypto import get_address
from akechain.chain.genesis import build_genesis
from akechain.chain.modules.auth.params import compute_required_fee
from akechain.chain.modules.authz.msgs import MsgExec
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.chain.modules.gov import errors as ge
from akechain.chain.modules.gov.msgs import MsgSubmitProposal, MsgUpdateParams, MsgVote
from akechain.chain.modules.gov.records import YES
from akechain.chain.registry import DEFAULT_REGISTRY
from akechain.chain.tx import MAX_MSGS, FeeTooLowError, TxTooHeavyError, build_tx, build_tx_paying_fee, decode_tx
from akechain.chain.work import TX_WORK
from consensus.abci import BlockRequest
from gov_support import GOV, GovDriver, make_gov_chain
from test_app_support import AUTH_PARAMS, CHAIN_ID, make_app, make_keys, run_block

CAP = 10_000  # the least max_block_work
PARAMS = replace(AUTH_PARAMS, max_tx_bytes=16 * 1024, fee_per_work=1, max_block_work=CAP)
KEYS = make_keys(6)
SINK = get_address(KEYS[-1])
LIGHT = [MsgSend(SINK, 1)]  # 150 units
HEAVY = [MsgSend(SINK, 1)] * MAX_MSGS  # 1,700 units
work = DEFAULT_REGISTRY.compute_tx_work
MAX_BYTES = 1 << 20


def make_capped_app() -> App:
    app, _ = make_app(build_genesis(CHAIN_ID, (), {get_address(k): 10**12 for k in KEYS}, auth_params=PARAMS)["app_state"])
    return app


def sign(key: int, nonce: int, msgs: list) -> bytes:
    return build_tx_paying_fee(KEYS[key], CHAIN_ID, nonce, msgs, PARAMS)


def block_work(txs: list[bytes]) -> int:
    return sum(work(decode_tx(tx, MAX_BYTES).body.msgs) for tx in txs)


def proposal(txs: list[bytes]) -> BlockRequest:
    return BlockRequest(height=1, time_ms=1_000, hash=bytes(32), proposer_address=bytes(20), txs=tuple(txs),
                        last_commit_hash=bytes(32))


def test_messages_declare_their_work_and_a_tx_sums_them() -> None:
    assert work(LIGHT) == TX_WORK + 50 and work(HEAVY) == TX_WORK + 32 * 50
    assert work(HEAVY) * 5 < CAP < work(HEAVY) * 6


def test_prepare_stops_at_the_cap_and_the_block_executes() -> None:
    app = make_capped_app()
    txs = [sign(0, nonce, HEAVY) for nonce in range(10)]  # 17,000 units offered
    chosen = app.prepare_proposal(txs, MAX_BYTES)
    assert chosen == txs[:5] and block_work(chosen) <= CAP < block_work(txs[:6])
    assert app.process_proposal(proposal(chosen))
    result, _ = run_block(app, chosen)
    assert all(r.ok for r in result.tx_results)


def test_prepare_skips_a_tx_that_does_not_fit_and_its_senders_later_ones_for_a_smaller_one() -> None:
    app = make_capped_app()
    filler = [sign(0, nonce, HEAVY) for nonce in range(5)]  # 8,500 units
    too_big, after_it = sign(1, 0, HEAVY), sign(1, 1, LIGHT)  # 1,700 more would pass the cap
    smaller = [sign(2, nonce, LIGHT) for nonce in range(20)]  # 150 each: ten fit in the 1,500 left
    chosen = app.prepare_proposal([*filler, too_big, after_it, *smaller], MAX_BYTES)
    assert chosen == [*filler, *smaller[:10]]
    assert block_work(chosen) == CAP
    assert app.process_proposal(proposal(chosen))


def test_prepare_also_skips_by_bytes_and_leaves_out_what_does_not_decode() -> None:
    app = make_capped_app()
    light = [sign(0, nonce, LIGHT) for nonce in range(3)]
    heavy = sign(1, 0, HEAVY)
    budget = sum(map(len, light))
    assert app.prepare_proposal([light[0], heavy, b"junk", *light[1:]], budget) == light


def test_process_rejects_a_proposal_over_the_cap() -> None:
    app = make_capped_app()
    txs = [sign(0, nonce, HEAVY) for nonce in range(5)] + [sign(1, 0, LIGHT)]
    assert block_work(txs) == 8_650 and app.process_proposal(proposal(txs))
    over = txs + [sign(2, nonce, LIGHT) for nonce in range(10)]  # 10,150 units
    assert block_work(over) > CAP
    assert not app.process_proposal(proposal(over))


def test_a_tx_heavier_than_the_cap_is_refused_at_admission_with_a_typed_error() -> None:
    app = make_capped_app()
    too_heavy = [MsgExec(get_address(KEYS[1]), (MsgSend(SINK, 1),) * 16)] * 12  # 12 x 900 + 100 units
    assert work(too_heavy) > CAP
    check = app.check_tx(sign(2, 0, too_heavy))
    assert check.code == TxTooHeavyError.code and f"tx is {work(too_heavy)} work units" in check.log
    assert app.check_tx(sign(2, 0, HEAVY)).code == 0  # the refusal charged nothing, spent no nonce


def test_a_fee_that_does_not_pay_for_the_work_is_too_low() -> None:
    app = make_capped_app()
    probe = build_tx(KEYS[0], CHAIN_ID, 0, 10**6, HEAVY)
    without_work = compute_required_fee(PARAMS, MAX_MSGS, len(probe), 0)
    raw = build_tx(KEYS[0], CHAIN_ID, 0, without_work, HEAVY)
    check = app.check_tx(raw)
    assert check.code == FeeTooLowError.code and f"1 x {work(HEAVY)} work units" in check.log
    paid = sign(0, 0, HEAVY)
    assert decode_tx(paid, MAX_BYTES).body.fee == compute_required_fee(PARAMS, MAX_MSGS, len(paid), work(HEAVY))
    assert app.check_tx(paid).code == 0


# 4 senders, each with a sequence of light or heavy txs by nonce: a mempool order is any interleaving
POOL = {(key, nonce, heavy): sign(key, nonce, HEAVY if heavy else LIGHT)
        for key in range(4) for nonce in range(8) for heavy in (False, True)}
SENDER = {tx: key for (key, _, _), tx in POOL.items()}


@st.composite
def mempool_orders(draw) -> list[bytes]:
    kinds = {key: draw(st.lists(st.booleans(), max_size=8)) for key in range(4)}
    senders = [key for key, seq in kinds.items() for _ in seq]
    order = draw(st.permutations(senders))
    next_nonce = dict.fromkeys(kinds, 0)
    txs = []
    for key in order:
        txs.append(POOL[key, next_nonce[key], kinds[key][next_nonce[key]]])
        next_nonce[key] += 1
    return txs


@settings(max_examples=60, deadline=None)
@given(txs=mempool_orders(), max_bytes=st.integers(0, 40_000))
def test_any_prepared_proposal_passes_process_and_stays_within_both_caps(txs: list[bytes], max_bytes: int) -> None:
    app = make_capped_app()
    chosen = app.prepare_proposal(txs, max_bytes)
    assert app.process_proposal(proposal(chosen))
    assert block_work(chosen) <= CAP and sum(map(len, chosen)) <= max_bytes
    # each sender's chosen txs are the first of its own (no nonce gap), so all of them apply
    for key in range(4):
        offered = [tx for tx in txs if SENDER[tx] == key]
        taken = [tx for tx in chosen if SENDER[tx] == key]
        assert taken == offered[:len(taken)]
    result, _ = run_block(app, chosen)
    assert all(r.ok for r in result.tx_results)


@pytest.fixture
def g() -> GovDriver:
    return GovDriver(make_gov_chain())


def test_gov_changes_the_cap_within_its_bounds(g: GovDriver) -> None:
    result = g.run(3, MsgSubmitProposal((MsgUpdateParams("auth", json.dumps({"max_block_work": 1})),), GOV.min_deposit,
                                        "t", "", False))
    assert [r.code for r in result.tx_results] == [ge.ParamChangeError.code]
    pid = g.submit(3, MsgUpdateParams("auth", json.dumps({"max_block_work": 50_000})))
    g.tx(0, MsgVote(pid, YES))
    g.tx(1, MsgVote(pid, YES))
    g.wait_ms(GOV.voting_period_ms)
    assert g.chain.app.get_params()["auth"]["max_block_work"] == 50_000
