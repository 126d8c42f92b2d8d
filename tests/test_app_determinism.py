"""Same genesis + same blocks => same app hash, on any KV backend; export re-imports to the same hash."""
from __future__ import annotations

import random
from pathlib import Path

from akechain.chain.app import App
from akechain.chain.crypto import get_address
from akechain.chain.genesis import encode_app_state
from akechain.node.genesis_file import load_genesis
from akechain.chain.modules.bank.msgs import MsgMultiSend, MsgSend, Output
from akechain.chain.tx import build_tx
from akechain.testing import SimChain
from state.kv import LevelKV, MemoryKV
from state.store import CommitStore
from test_app_support import CHAIN_ID, make_app, make_genesis, make_keys, run_block

KEYS = make_keys(6)
ADDRESSES = [get_address(k) for k in KEYS]


def make_blocks(count: int) -> list[list[bytes]]:
    """Blocks of sends and multi-sends, some failing (overspend, stale nonce); seeded, so repeatable."""
    rng = random.Random(7)
    nonces = [0] * len(KEYS)
    blocks = []
    for _ in range(count):
        txs = []
        for _ in range(rng.randint(0, 12)):
            s = rng.randrange(len(KEYS))
            if rng.random() < 0.5:
                msg = MsgSend(rng.choice(ADDRESSES), rng.randint(1, 3 * 10**8))
            else:
                msg = MsgMultiSend(tuple(Output(rng.choice(ADDRESSES), rng.randint(1, 10**6)) for _ in range(3)))
            nonce = max(0, nonces[s] - (rng.random() < 0.1))
            txs.append(build_tx(KEYS[s], CHAIN_ID, nonce, rng.randint(10, 100), [msg]))
            nonces[s] = max(nonces[s], nonce + 1)
        blocks.append(txs)
    return blocks


def test_two_apps_agree_at_every_height(tmp_path) -> None:
    app_state = make_genesis(KEYS)["app_state"]
    level = LevelKV(tmp_path / "db")
    first, first_genesis = make_app(app_state, CommitStore(level))
    second, second_genesis = make_app(app_state, CommitStore(MemoryKV()))
    assert first_genesis == second_genesis
    for txs in make_blocks(15):
        first_result, first_hash = run_block(first, txs)
        second_result, second_hash = run_block(second, txs)
        assert first_result == second_result
        assert first_hash == second_hash
        assert first.info() == second.info()
    first.check_invariants()
    # A restarted app resumes from the store: same height, hash and chain id
    level.close()
    restarted = App(CommitStore(LevelKV(tmp_path / "db")))
    assert restarted.info() == second.info()
    assert restarted.chain_id == CHAIN_ID


def test_genesis_export_reimports_to_the_same_hash() -> None:
    app, _ = make_app(make_genesis(KEYS)["app_state"])
    for txs in make_blocks(8):
        run_block(app, txs)
    run_block(app, [])  # the fee collector emptied, so a further empty block changes nothing
    exported = app.export_app_state()
    assert exported["bank"]["supply"]["burned"] > 0
    reimported, genesis_hash = make_app(exported)
    assert genesis_hash == app.info().last_app_hash
    run_block(reimported, [])
    assert reimported.export_app_state() == exported
    assert encode_app_state(reimported.export_app_state()) == encode_app_state(exported)


def test_genesis_hash_is_the_root_committed_with_block_one() -> None:
    app, genesis_hash = make_app(make_genesis(KEYS)["app_state"])
    _, root = run_block(app, [])
    assert root == genesis_hash


def test_repo_genesis_file_starts_a_chain() -> None:
    genesis = load_genesis(Path(__file__).resolve().parent.parent / "genesis.json")
    assert genesis["chain_id"] == "ake-devnet-1"
    chain = SimChain(genesis["app_state"], genesis["chain_id"])
    chain.apply_block()
    chain.check_invariants()
    app = chain.app
    supply = app.get_supply()
    assert supply.initial == sum(b["amount"] for b in genesis["app_state"]["bank"]["balances"])
    assert supply.burned > 0  # the gentx paid its fee
    # its one validator comes from the gentx (operator seed: sha256(b"ake-devnet-1 example operator"))
    (validator,) = app.query("staking", "validators")
    assert validator.power == 10 and validator.validator.moniker == "example"


def run_market_scenario() -> "Driver":
    """Providers, jobs of every policy, bids, leases, receipts, a challenge, a pause and top-up:
    market, escrow, verify and reputation state all populated, some of it still open."""
    from akechain.chain.modules.market.msgs import (
        POLICY_REDUNDANCY,
        POLICY_SPOT_CHECK,
        MsgBid,
        MsgRegisterProvider,
        MsgTopUp,
        Policy,
    )
    from akechain.chain.modules.verify.msgs import MsgChallenge
    from test_market_support import (CONSUMER_KEYS, HARDWARE, PROVIDER_KEYS, PROVIDERS, SPEC, Driver, job_msg,
                                     make_market_chain, submit_receipts)
    from akechain.chain.modules.market import queries as q

    d = Driver(make_market_chain())
    for key in PROVIDER_KEYS[:4]:
        d.tx(key, MsgRegisterProvider(HARDWARE, "eu", (), "https://p", 10**6))
    d.block()
    d.tx(CONSUMER_KEYS[0], job_msg(budget=300, duration=20, deadline=40, workload=b'{"argv":["true"],"image":""}'))
    d.tx(CONSUMER_KEYS[1], job_msg(duration=4, policy=Policy(POLICY_REDUNDANCY, 0, 2, 3), deadline=30))
    d.tx(CONSUMER_KEYS[2], job_msg(duration=3, policy=Policy(POLICY_SPOT_CHECK, 5_000, 1, 1), deadline=30))
    d.block()
    for job_id in (1, 2, 3):
        for i, key in enumerate(PROVIDER_KEYS[:4]):
            d.tx(key, MsgBid(job_id, 20 + 7 * i + job_id, 10 * i, SPEC))
    d.block()
    d.advance_to(d.height + 5)
    view = d.app.get_state_view()[0]
    receipts = [(PROVIDER_KEYS[PROVIDERS.index(lease.provider)], lease.id, b"\x01" * 32)
                for lease in q.query_leases(view, job_id=2)[:2] + q.query_leases(view, job_id=3)]
    d.tx(CONSUMER_KEYS[1], MsgTopUp(1, 50))
    submit_receipts(d, receipts)
    [spot] = q.query_leases(d.app.get_state_view()[0], job_id=3)
    d.tx(CONSUMER_KEYS[2], MsgChallenge(spot.id, b"\x02" * 32))
    d.block()
    d.advance_to(d.height + 4)  # the unanswered challenge ends, the spot-checked lease settles
    return d


def test_market_state_is_deterministic_and_reimports_to_the_same_hash(tmp_path) -> None:
    from akechain.chain.genesis import build_genesis
    from test_app_support import AUTH_PARAMS, DISTRIBUTION_PARAMS
    from test_market_support import ADDRESSES, GENESIS_AMOUNT, MARKET_PARAMS

    d = run_market_scenario()
    d.app.check_invariants()
    # a replica on LevelDB applying the same blocks agrees at every height
    genesis = build_genesis(CHAIN_ID, (), {a: GENESIS_AMOUNT for a in ADDRESSES},
                            AUTH_PARAMS, market_params=MARKET_PARAMS, distribution_params=DISTRIBUTION_PARAMS)
    replica, _ = make_app(genesis["app_state"], CommitStore(LevelKV(tmp_path / "db")))
    original, _ = make_app(genesis["app_state"])
    for request in d.history:
        assert replica.finalize_block(request) == original.finalize_block(request)
        assert replica.commit() == original.commit()
    assert replica.info() == d.app.info()
    # export carries providers, jobs, bids, leases, escrows, queues, challenges and reputation
    exported = d.app.export_app_state()
    prefixes = {bytes.fromhex(key)[:1] for key, _ in exported["market"]["state"]}
    assert {b"\x31", b"\x32", b"\x34", b"\x37", b"\x38", b"\x41", b"\x42", b"\x51", b"\x61"} <= prefixes
    reimported, genesis_hash = make_app(exported)
    assert genesis_hash == d.app.info().last_app_hash
    run_block(reimported, [])
    reimported.check_invariants()
    assert reimported.query("market", "job", 1).workload == b'{"argv":["true"],"image":""}'
    assert encode_app_state(reimported.export_app_state()) == encode_app_state(exported)
