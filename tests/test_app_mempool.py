"""Mempool admission, bounds, ordering and recheck after commit."""
from __future__ import annotations

import threading

import pytest
import trio

from akechain.chain.crypto import get_address
from akechain.node.mempool import PEER_BACKLOG_FACTOR, DuplicateTxError, Mempool, MempoolFullError, SenderFullError
from akechain.chain.tx import BadNonceError, CannotPayFeeError, InvalidSignatureError, build_send_tx
from test_app_support import CHAIN_ID, make_app, make_genesis, make_keys, run_block

KEYS = make_keys(3)
A, B, C = (get_address(k) for k in KEYS)


def make_pool(**bounds: int) -> tuple:
    app, _ = make_app(make_genesis(KEYS, amount=10**6)["app_state"])
    return app, Mempool(app, **bounds)


def send(key_index: int, nonce: int, fee: int = 10, amount: int = 1) -> bytes:
    return build_send_tx(KEYS[key_index], CHAIN_ID, nonce, C, amount, fee)


def test_one_sender_may_queue_consecutive_nonces_before_a_block() -> None:
    _, pool = make_pool()
    for nonce in range(5):
        _, result = pool.add(send(0, nonce))
        assert result.ok, result.log
    _, gap = pool.add(send(0, 6))
    assert gap.code == BadNonceError.code
    _, stale = pool.add(send(1, 1))
    assert stale.code == BadNonceError.code
    assert len(pool) == 5


def test_rejections_are_typed() -> None:
    _, pool = make_pool()
    tx = send(0, 0)
    pool.add(tx)
    with pytest.raises(DuplicateTxError):
        pool.add(tx)
    _, bad_sig = pool.add(tx[:-1] + bytes([tx[-1] ^ 1]))
    assert bad_sig.code == InvalidSignatureError.code
    _, poor = pool.add(send(1, 0, fee=10**7))
    assert poor.code == CannotPayFeeError.code
    assert len(pool) == 1


def test_bounds_on_count_and_bytes() -> None:
    _, pool = make_pool(max_txs=2)
    pool.add(send(0, 0))
    pool.add(send(0, 1))
    with pytest.raises(MempoolFullError, match="full"):
        pool.add(send(0, 2))
    tx = send(0, 0)
    _, small = make_pool(max_bytes=len(tx) + 10)
    small.add(tx)
    with pytest.raises(MempoolFullError):
        small.add(send(0, 1))


def test_reap_orders_by_fee_then_arrival_keeping_nonce_order() -> None:
    _, pool = make_pool()
    a0, a1 = send(0, 0, fee=10), send(0, 1, fee=100)  # A's rich tx waits behind its cheap one
    b0, b1 = send(1, 0, fee=50), send(1, 1, fee=50)
    for tx in (a0, a1, b0, b1):
        assert pool.add(tx)[1].ok
    assert pool.reap(10**6) == [b0, b1, a0, a1]
    assert pool.reap(len(b0) * 2) == [b0, b1]
    assert pool.reap(0) == []


def test_update_drops_committed_and_newly_invalid_txs() -> None:
    app, pool = make_pool()
    pool.add(send(0, 0))
    pool.add(send(0, 1))
    pool.add(send(1, 0))
    drain = build_send_tx(KEYS[1], CHAIN_ID, 0, A, 10**6 - 10, 10)  # B spends everything in another tx
    run_block(app, [send(0, 0), drain])
    pool.update(1, [send(0, 0)])
    assert pool.reap(10**6) == [send(0, 1)]  # B's nonce 0 is spent; A's nonce 1 is still good
    assert pool.add(send(0, 2))[1].ok


def test_interleaved_nonce_chains_of_several_senders_are_all_admitted() -> None:
    """(Speed is bench.tx_apply's business, not a test's.)"""
    _, pool = make_pool(max_txs=10**5)
    txs = [send(i % 3, i // 3) for i in range(1500)]
    for tx in txs:
        assert pool.add(tx)[1].ok
    assert len(pool.reap(10**8)) == 1500


def test_one_sender_is_capped_and_others_still_get_in() -> None:
    _, pool = make_pool(max_per_sender=3)
    for nonce in range(3):
        assert pool.add(send(0, nonce))[1].ok
    with pytest.raises(SenderFullError, match="3 txs"):
        pool.add(send(0, 3))
    assert pool.add(send(1, 0))[1].ok
    assert len(pool) == 4
    pool.max_per_sender = 4  # room again (as after a commit): the refused nonce was not spent
    assert pool.add(send(0, 3))[1].ok


def test_a_batch_is_admitted_in_order_without_holding_the_loop() -> None:
    app, pool = make_pool()
    batch = [send(0, nonce) for nonce in range(600)]
    seen_sizes: list[int] = []  # the pool's size each time the loop got to run another task
    verified_in: list[threading.Thread] = []
    verify_txs = app.verify_txs

    def watched_verify_txs(txs: list[bytes]) -> None:
        verified_in.append(threading.current_thread())
        verify_txs(txs)

    app.verify_txs = watched_verify_txs  # type: ignore[method-assign]

    async def main() -> list:
        async def tick() -> None:
            while True:
                await trio.sleep(0)
                seen_sizes.append(len(pool))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(tick)
            outcomes = await pool.admit(batch)
            nursery.cancel_scope.cancel()
        return outcomes

    outcomes = trio.run(main)
    assert [result.ok for _, result in outcomes] == [True] * 600 and len(pool) == 600
    assert verified_in and threading.main_thread() not in verified_in  # signatures were checked in a worker
    assert any(0 < size < 600 for size in seen_sizes)  # the loop ran between chunks of the stateful checks


def test_admission_waits_while_the_lock_is_held_by_a_commit() -> None:
    _, pool = make_pool()

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            await pool.lock.acquire()
            nursery.start_soon(pool.admit, [send(0, 0), send(0, 1)])
            await trio.sleep(0.1)
            assert len(pool) == 0  # nothing is checked against state a commit is replacing
            pool.lock.release()
        assert len(pool) == 2

    trio.run(main)


def test_a_full_pool_stops_a_batch_and_a_sender_cap_does_not() -> None:
    _, pool = make_pool(max_txs=3, max_per_sender=1)
    outcomes = trio.run(pool.admit, [send(0, 0), send(0, 1), send(1, 0), send(2, 0), send(0, 2), send(1, 1)])
    assert [type(o).__name__ for o in outcomes] == ["tuple", "SenderFullError", "tuple", "tuple", "MempoolFullError"]


def test_the_pool_is_busy_while_its_oldest_tx_has_waited_too_long() -> None:
    app, _ = make_pool()
    now = [0.0]
    pool = Mempool(app, max_wait_ms=1_000, clock=lambda: now[0])
    pool.add(send(0, 0))
    pool.add(send(1, 0))
    now[0] = 1.5  # no block took them for 1.5 s: the chain is behind
    assert pool.room() == 0
    with pytest.raises(MempoolFullError, match="waited 1500 ms"):
        pool.add(send(2, 0))
    run_block(app, [send(0, 0)])
    pool.update(1, [send(0, 0)])  # the oldest left; the next oldest keeps its arrival time
    with pytest.raises(MempoolFullError):
        pool.add(send(2, 0))
    run_block(app, [send(1, 0)])
    pool.update(2, [send(1, 0)])
    _, result = pool.add(send(2, 0))
    assert result.ok and pool.room() > 0


def test_peers_txs_are_not_held_to_the_wait_bound() -> None:
    """A peer's tx was accepted by its node: refusing it here would leave it to the proposers
    that hold it, and its client waiting for their turns."""
    app, _ = make_pool()
    now = [0.0]
    pool = Mempool(app, max_wait_ms=1_000, clock=lambda: now[0])
    pool.add(send(0, 0))
    now[0] = 1.5
    with pytest.raises(MempoolFullError):
        pool.add(send(1, 0))
    assert pool.room(from_client=False) > 0
    outcomes = trio.run(pool.admit, [send(1, 0), send(2, 0)])  # gossip's way in
    assert [result.ok for _, result in outcomes] == [True, True] and len(pool) == 3


def test_the_commit_rate_counts_only_time_with_txs_pending() -> None:
    app, _ = make_pool()
    now = [0.0]
    pool = Mempool(app, max_backlog_ms=1_000, min_backlog_txs=100, clock=lambda: now[0])
    assert pool.commit_rate() is None and pool.backlog_limit() == pool.max_txs  # no rate yet: hard bounds only
    pool.add(send(0, 0))
    now[0] = 0.5
    run_block(app, [send(0, 0)])
    pool.update(1, [send(0, 0)] + [b"from another pool"] * 299)  # 300 txs in the 0.5 s since one was pending
    assert pool.commit_rate() == 600.0 and pool.backlog_limit() == 600
    now[0] = 60.0
    pool.update(2, [])  # an idle minute: no tx pending, no tx committed
    pool.add(send(1, 0))
    now[0] = 61.0
    run_block(app, [send(1, 0)])
    pool.update(3, [send(1, 0)] + [b"from another pool"] * 1_199)  # 1,200 in the 1 s since a tx arrived
    assert pool.commit_rate() == 1_000.0  # 1,500 txs in 1.5 s of pending work
    assert pool.backlog_limit() == 1_000
    pool._commits.clear()
    pool.add(send(2, 0))
    now[0] = 62.0
    pool.update(4, [b"from another pool"] * 10)  # a slow trickle: the floor holds
    assert pool.backlog_limit() == 100


def test_a_client_batch_stops_at_the_backlog_bound_and_a_peer_batch_does_not() -> None:
    app, _ = make_pool()
    now = [0.0]
    pool = Mempool(app, max_backlog_ms=1_000, min_backlog_txs=1, clock=lambda: now[0])
    pool.add(send(0, 0))
    now[0] = 1.0
    run_block(app, [send(0, 0)])
    pool.update(1, [send(0, 0), b"from another pool"])  # 2 tx/s: a backlog of 2 txs
    txs = [send(0, 1), send(1, 0), send(2, 0)]
    client = trio.run(pool.admit, txs, True)
    assert [type(o).__name__ for o in client] == ["tuple", "tuple", "MempoolFullError"]
    assert "mempool is behind" in str(client[2])
    peer = trio.run(pool.admit, [txs[2]])  # a peer's tx: held to a multiple of the bound
    assert peer[0][1].ok and len(pool) == 3
    flood = trio.run(pool.admit, [send(1, nonce) for nonce in range(1, 12)])
    assert len(pool) == PEER_BACKLOG_FACTOR * 2 and type(flood[-1]) is MempoolFullError
