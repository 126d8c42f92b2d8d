"""Escrow accounts are exact at every height: against a block-by-block model, a lease's escrow
earns `rate` per block, pauses at exactly the height its funds cannot pay another block, resumes
on a top-up in the grace period, expires when the grace ends, and a query at any height shows what
was earned and what is left. The keeper touches only escrows queued at a height."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from akechain.chain.crypto import Address
from akechain.chain.modules.bank.keeper import Supply, increase_balance, set_supply
from akechain.chain.modules.escrow import keeper as escrow
from akechain.chain.store import Journal

CONSUMER = Address(b"\x05" * 20)
DONOR = Address(b"\x06" * 20)
START = 1


def make_store() -> Journal:
    store = Journal(lambda key: None, lambda prefix, start: ())
    for address in (CONSUMER, DONOR):
        increase_balance(store, address, 10**9)
    set_supply(store, Supply(2 * 10**9, 2 * 10**9, 0, 0))
    return store


@settings(max_examples=150, deadline=None)
@given(
    rate=st.integers(1, 50),
    duration=st.integers(1, 30),
    budget=st.integers(1, 1_500),
    grace=st.integers(0, 4),
    top_ups=st.dictionaries(st.integers(START + 1, 60), st.integers(1, 600), max_size=4),
)
def test_escrow_matches_a_block_by_block_model(rate, duration, budget, grace, top_ups) -> None:
    store = make_store()
    escrow.open_escrow(store, 1, CONSUMER, budget, START)
    escrow.add_streams(store, 1, [(7, rate, duration)], START)
    # model
    earned, unearned, accrued, state, grace_until = 0, budget, 0, "accruing", 0

    def end_block(h: int) -> None:
        nonlocal state, grace_until
        if state == "accruing" and accrued == duration:
            state = "stopped"
        elif state == "accruing" and unearned < rate:
            state, grace_until = "paused", h + grace
        if state == "paused" and grace_until <= h:
            state = "stopped"

    end_block(START)
    escrow.process_escrow_queue(store, START, grace)
    for h in range(START + 1, 70):
        if state == "accruing":
            earned, unearned, accrued = earned + rate, unearned - rate, accrued + 1
        view = escrow.query_escrow(store, 1, h)  # a query mid-block, before any write at h
        assert (view.earned, view.left) == (earned, unearned), h
        if h in top_ups:
            unearned += top_ups[h]
            if state == "paused" and unearned >= rate:
                state, grace_until = "accruing", 0
            escrow.deposit(store, 1, DONOR, top_ups[h], h)
        end_block(h)
        escrow.process_escrow_queue(store, h, grace)
        view = escrow.query_escrow(store, 1, h)
        stream = view.streams[0]
        assert (view.earned, view.left, stream.state, stream.accrued_blocks) == (earned, unearned, state, accrued), h
        assert view.balance == view.deposited == budget + sum(a for t, a in top_ups.items() if t <= h)


def test_only_escrows_due_at_a_height_are_touched() -> None:
    store = make_store()
    for job_id in range(1, 101):
        escrow.open_escrow(store, job_id, CONSUMER, 10 * job_id, START)
        escrow.add_streams(store, job_id, [(job_id, 10, 1_000)], START)  # job j runs out at START + j
    store.forget_undo()
    for h in range(START + 1, START + 101):
        touched_before = store.snapshot()
        events = escrow.process_escrow_queue(store, h, grace_blocks=5)
        expected = [(h - START, "paused")] + ([(h - START - 5, "expired")] if h - START > 5 else [])
        assert [(e.job_id, e.kind) for e in events] == sorted(expected)  # queue order: job id
        # one or two escrows written (plus their queue keys), however many exist
        assert store.snapshot() - touched_before <= 6


def test_refund_is_pro_rata_and_exact() -> None:
    depositors = (escrow.Deposit(b"\x01" * 20, 1), escrow.Deposit(b"\x02" * 20, 2), escrow.Deposit(b"\x03" * 20, 4))
    refunds = escrow.compute_refunds(depositors, 100)
    assert refunds == [(b"\x01" * 20, 14), (b"\x02" * 20, 28), (b"\x03" * 20, 58)]
    assert sum(a for _, a in refunds) == 100


def test_top_up_never_grows_the_escrow_record() -> None:
    """Depositors are keyed entries: 1,000 more depositors leave the escrow record the same size
    (counters chosen so their varints keep their length), and each top-up writes O(1) keys."""
    store = Journal(lambda key: None, lambda prefix, start: ())
    donors = [Address(i.to_bytes(4, "big") * 5) for i in range(1, 1_400)]
    for donor in donors:
        increase_balance(store, donor, 10**6)
    increase_balance(store, CONSUMER, 10**15)
    escrow.open_escrow(store, 1, CONSUMER, 10**14, START)
    escrow.add_streams(store, 1, [(7, 1, 10**6)], START)
    for donor in donors[:300]:
        escrow.deposit(store, 1, donor, 1, START)
    size = len(store.get_bytes(escrow.get_escrow_key(1)))
    for donor in donors[300:1_300]:
        before = store.snapshot()
        escrow.deposit(store, 1, donor, 1, START)
        assert store.snapshot() - before <= 4  # escrow, its deposit entry, two balances
    assert len(store.get_bytes(escrow.get_escrow_key(1))) == size
    assert escrow.query_escrow(store, 1, START).depositors[0].depositor == donors[0]
    assert len(escrow.query_escrow(store, 1, START).depositors) == escrow.MAX_DEPOSITORS_SHOWN


def test_refund_walks_the_keyed_deposits_pro_rata() -> None:
    store = make_store()
    escrow.open_escrow(store, 1, CONSUMER, 100, START)
    escrow.deposit(store, 1, DONOR, 50, START)
    escrow.deposit(store, 1, CONSUMER, 50, START)  # same depositor again: one entry, 150
    assert escrow.refund(store, 1, START + 1) == [(CONSUMER, 150), (DONOR, 50)]
