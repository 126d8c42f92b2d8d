"""Escrow accounts: funds for one job held by the escrow module account in the bank.

Accrual is lazy but exact. An escrow stores the height it was last settled at and, per lease, a
stream (rate per block, blocks bought, accrued amount, paid amount). Between two events every
accruing stream earns `rate` per block, so the state at any height h up to the next event is
`settled + rate x (h - settled_height)`; queries compute it without writing. The next event of an
escrow (a stream completes its duration, the funds cannot pay another block, a grace period ends)
is the one key it holds in a height-ordered queue (prefix + height + job id), so the end of block h
touches exactly the escrows due at h, never all of them.

Pausing: at the height where the unearned funds can no longer pay one more block of every
accruing stream, those streams pause (their accrual stops at exactly that height) with a grace
period; a top-up resumes them, otherwise they expire at the end of the grace and the market
closes their leases. Money moves only through the bank keeper.

Depositors are keyed entries (prefix + job id + address -> Deposit), never a list in the escrow
record: a top-up reads and writes one entry whatever the number of depositors, and no record grows
with the number of users. Only the refund at close walks them (once, in address order).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice

from akechain.chain.crypto import Address, module_account
from akechain.chain.modules.bank.keeper import decrease_balance, increase_balance, process_burn, process_transfer
from akechain.chain.modules.kpi.counters import increase_counters
from akechain.chain.modules.escrow.errors import EscrowClosedError, EscrowNotFoundError, StreamNotFoundError
from akechain.chain.store import StoreView

ESCROW_PREFIX = b"\x41"
ESCROW_QUEUE_PREFIX = b"\x42"
ESCROW_DEPOSIT_PREFIX = b"\x43"  # + job id + depositor: that depositor's total
MAX_DEPOSITORS_SHOWN = 100  # a query lists at most this many depositors (lowest addresses first)
ESCROW_ACCOUNT = module_account("escrow")
BPS = 10_000

ACCRUING, PAUSED, STOPPED, CLOSED = 0, 1, 2, 3
STREAM_STATES = ("accruing", "paused", "stopped", "closed")


class EscrowBrokenError(RuntimeError):
    """An escrow reached a state its own arithmetic rules out (a bug, never a bad tx)."""


@dataclass(frozen=True, slots=True)
class Deposit:
    depositor: bytes
    amount: int  # total deposited by this address; refunds are pro rata to it


@dataclass(frozen=True, slots=True)
class Stream:
    lease_id: int
    rate: int  # uake per block
    duration: int  # blocks of service bought
    accrued_blocks: int
    earned: int  # accrued so far (includes what was paid)
    paid: int  # paid out to the provider (gross, take included)
    state: int  # ACCRUING, PAUSED, STOPPED, CLOSED
    grace_until: int  # while PAUSED: the height at which the stream expires


@dataclass(frozen=True, slots=True)
class Escrow:
    job_id: int
    deposited: int
    unearned: int  # funds no stream has earned yet, as of `settled_height`
    refunded: int
    settled_height: int
    next_event: int  # height of this escrow's queue key; 0 when nothing is scheduled
    closed: bool  # refunded; nothing can move any more
    depositor_count: int  # keyed Deposit entries of this job
    streams: tuple[Stream, ...]  # in lease id order


@dataclass(frozen=True, slots=True)
class Due:
    job_id: int


@dataclass(frozen=True, slots=True)
class EscrowEvent:
    job_id: int
    lease_id: int
    kind: str  # "complete", "paused", "expired", "running_out" (a look-ahead: nothing changed)


@dataclass(frozen=True, slots=True)
class PayTerms:
    """How a payment is split (market params and the bank's treasury)."""

    take_rate_bps: int
    take_burn_bps: int
    min_take: int
    treasury: Address


@dataclass(frozen=True, slots=True)
class Payment:
    gross: int
    take: int
    burned: int
    net: int


TABLES: dict[bytes, type] = {ESCROW_PREFIX: Escrow, ESCROW_QUEUE_PREFIX: Due, ESCROW_DEPOSIT_PREFIX: Deposit}  # record type per key prefix


def get_escrow_key(job_id: int) -> bytes:
    return ESCROW_PREFIX + job_id.to_bytes(8, "big")


def get_deposit_key(job_id: int, depositor: bytes) -> bytes:
    return ESCROW_DEPOSIT_PREFIX + job_id.to_bytes(8, "big") + depositor


def iterate_deposits(store: StoreView, job_id: int) -> Iterator[Deposit]:
    """A job's deposits in address order (lazy: a caller that stops early reads no further)."""
    for _, d in store.iterate(ESCROW_DEPOSIT_PREFIX + job_id.to_bytes(8, "big"), Deposit):
        yield d


def get_queue_key(height: int, job_id: int) -> bytes:
    return ESCROW_QUEUE_PREFIX + height.to_bytes(8, "big") + job_id.to_bytes(8, "big")


def get_escrow(store: StoreView, job_id: int) -> Escrow | None:
    return store.get(get_escrow_key(job_id), Escrow)


def _load(store: StoreView, job_id: int) -> Escrow:
    escrow = get_escrow(store, job_id)
    if escrow is None:
        raise EscrowNotFoundError(f"job {job_id} has no escrow")
    return escrow


def _find(escrow: Escrow, lease_id: int) -> int:
    for i, stream in enumerate(escrow.streams):
        if stream.lease_id == lease_id:
            return i
    raise StreamNotFoundError(f"lease {lease_id} has no stream in the escrow of job {escrow.job_id}")


def _with_stream(escrow: Escrow, i: int, stream: Stream) -> Escrow:
    return replace(escrow, streams=escrow.streams[:i] + (stream,) + escrow.streams[i + 1:])


# -- pure arithmetic ---------------------------------------------------------------------------


def compute_accruing_rate(escrow: Escrow) -> int:
    return sum(s.rate for s in escrow.streams if s.state == ACCRUING)


def compute_settled(escrow: Escrow, height: int) -> Escrow:
    """The escrow accrued up to `height` (which must not pass its next event)."""
    blocks = height - escrow.settled_height
    if blocks <= 0:
        return escrow
    unearned = escrow.unearned
    streams = []
    for s in escrow.streams:
        if s.state == ACCRUING:
            n = min(blocks, s.duration - s.accrued_blocks)
            s = replace(s, accrued_blocks=s.accrued_blocks + n, earned=s.earned + n * s.rate)
            unearned -= n * s.rate
        streams.append(s)
    if unearned < 0:
        raise EscrowBrokenError(f"escrow of job {escrow.job_id} settled past its run-out height")
    return replace(escrow, unearned=unearned, settled_height=height, streams=tuple(streams))


def compute_next_event(escrow: Escrow) -> int:
    """The first height after `settled_height` (or at it) at which a stream completes, the funds
    run out, or a grace period ends; 0 if none."""
    h = escrow.settled_height
    candidates = [s.grace_until for s in escrow.streams if s.state == PAUSED]
    rate = compute_accruing_rate(escrow)
    if rate:
        candidates.append(h + escrow.unearned // rate)
        candidates.extend(h + s.duration - s.accrued_blocks for s in escrow.streams if s.state == ACCRUING)
    return min(candidates) if candidates else 0


def apply_due(escrow: Escrow, height: int, grace_blocks: int) -> tuple[Escrow, list[EscrowEvent]]:
    """Fire the events due at `height` on an escrow settled to it: completions, then the run-out
    pause of every stream still accruing, then grace expiries."""
    events: list[EscrowEvent] = []
    streams = list(escrow.streams)
    for i, s in enumerate(streams):
        if s.state == ACCRUING and s.accrued_blocks == s.duration:
            streams[i] = replace(s, state=STOPPED)
            events.append(EscrowEvent(escrow.job_id, s.lease_id, "complete"))
    rate = sum(s.rate for s in streams if s.state == ACCRUING)
    if rate and escrow.unearned < rate:
        for i, s in enumerate(streams):
            if s.state == ACCRUING:
                streams[i] = replace(s, state=PAUSED, grace_until=height + grace_blocks)
                events.append(EscrowEvent(escrow.job_id, s.lease_id, "paused"))
    for i, s in enumerate(streams):
        if s.state == PAUSED and s.grace_until <= height:
            streams[i] = replace(s, state=STOPPED, grace_until=0)
            events.append(EscrowEvent(escrow.job_id, s.lease_id, "expired"))
    return replace(escrow, streams=tuple(streams)), events


def compute_payment(gross: int, take_rate_bps: int, take_burn_bps: int, min_take: int = 0) -> Payment:
    """The take never rounds to zero while there is a take rate: tiny payments pay `min_take`."""
    take = gross * take_rate_bps // BPS
    if take_rate_bps:
        take = min(gross, max(take, min_take))
    burned = take * take_burn_bps // BPS
    return Payment(gross=gross, take=take, burned=burned, net=gross - take)


def compute_refunds(depositors: Sequence[Deposit], amount: int) -> list[tuple[bytes, int]]:
    """`amount` split pro rata to deposits, rounding down; the dust goes to the largest depositor
    (lowest address on a tie), so the split is exact and order-independent."""
    total = sum(d.amount for d in depositors)
    if total == 0 or amount == 0:
        return []
    shares = [[d.depositor, amount * d.amount // total] for d in depositors]
    largest = min(range(len(depositors)), key=lambda i: (-depositors[i].amount, depositors[i].depositor))
    shares[largest][1] += amount - sum(share for _, share in shares)
    return [(depositor, share) for depositor, share in shares if share]


# -- state changes -----------------------------------------------------------------------------


def _save(store: StoreView, old_next: int, escrow: Escrow) -> Escrow:
    """Store the escrow and move its queue key to its (possibly new) next event."""
    next_event = 0 if escrow.closed else compute_next_event(escrow)
    if old_next and old_next != next_event:
        store.delete(get_queue_key(old_next, escrow.job_id))
    if next_event and next_event != old_next:
        store.set(get_queue_key(next_event, escrow.job_id), Due(escrow.job_id))
    escrow = replace(escrow, next_event=next_event)
    store.set(get_escrow_key(escrow.job_id), escrow)
    return escrow


def _settle(store: StoreView, job_id: int, height: int) -> Escrow:
    escrow = _load(store, job_id)
    if escrow.closed:
        raise EscrowClosedError(f"the escrow of job {job_id} is closed")
    return compute_settled(escrow, height)


def _add_deposit(store: StoreView, escrow: Escrow, depositor: Address, amount: int) -> Escrow:
    """Move `amount` in and add it to the depositor's entry: one key read and written, O(1)."""
    process_transfer(store, depositor, ESCROW_ACCOUNT, amount)
    key = get_deposit_key(escrow.job_id, depositor)
    previous = store.get(key, Deposit)
    store.set(key, Deposit(depositor, amount + (previous.amount if previous else 0)))
    return replace(escrow, deposited=escrow.deposited + amount, unearned=escrow.unearned + amount,
                   depositor_count=escrow.depositor_count + (previous is None))


def open_escrow(store: StoreView, job_id: int, depositor: Address, amount: int, height: int) -> Escrow:
    escrow = _add_deposit(store, Escrow(job_id, 0, 0, 0, height, 0, False, 0, ()), depositor, amount)
    return _save(store, 0, escrow)


def deposit(store: StoreView, job_id: int, depositor: Address, amount: int, height: int) -> list[int]:
    """Top up (anyone may); resumes paused streams once the funds pay one block of all of them.
    Returns the ids of the resumed leases."""
    escrow = _settle(store, job_id, height)
    old_next = escrow.next_event
    escrow = _add_deposit(store, escrow, depositor, amount)
    resumed: list[int] = []
    paused_rate = sum(s.rate for s in escrow.streams if s.state in (ACCRUING, PAUSED))
    if any(s.state == PAUSED for s in escrow.streams) and escrow.unearned >= paused_rate:
        streams = []
        for s in escrow.streams:
            if s.state == PAUSED:
                s = replace(s, state=ACCRUING, grace_until=0)
                resumed.append(s.lease_id)
            streams.append(s)
        escrow = replace(escrow, streams=tuple(streams))
    _save(store, old_next, escrow)
    return resumed


def add_streams(store: StoreView, job_id: int, streams: list[tuple[int, int, int]], height: int) -> None:
    """Start a stream per (lease id, rate, duration) at `height`."""
    escrow = _settle(store, job_id, height)
    new = tuple(Stream(lease_id, rate, duration, 0, 0, 0, ACCRUING, 0) for lease_id, rate, duration in streams)
    _save(store, escrow.next_event, replace(escrow, streams=escrow.streams + new))


def stop_stream(store: StoreView, job_id: int, lease_id: int, height: int) -> Stream:
    """End accrual (delivery reported); what was earned stays earned."""
    escrow = _settle(store, job_id, height)
    i = _find(escrow, lease_id)
    stream = escrow.streams[i]
    if stream.state in (ACCRUING, PAUSED):
        stream = replace(stream, state=STOPPED, grace_until=0)
        escrow = _with_stream(escrow, i, stream)
    _save(store, escrow.next_event, escrow)
    return stream


def get_stream(store: StoreView, job_id: int, lease_id: int, height: int) -> Stream:
    """A lease's stream as of `height`."""
    escrow = _settle(store, job_id, height)
    return escrow.streams[_find(escrow, lease_id)]


def pay_stream(store: StoreView, job_id: int, lease_id: int, provider: Address, height: int, terms: PayTerms,
               up_to: int | None = None) -> Payment:
    """Pay the provider what its stream has earned and not yet been paid (in all at most `up_to`
    gross), minus the take (split into burn and treasury). Accrual is computed up to `height`."""
    escrow = _settle(store, job_id, height)
    i = _find(escrow, lease_id)
    stream = escrow.streams[i]
    target = stream.earned if up_to is None else min(stream.earned, up_to)
    payment = compute_payment(max(0, target - stream.paid), terms.take_rate_bps, terms.take_burn_bps, terms.min_take)
    if payment.gross:
        if payment.net:
            process_transfer(store, ESCROW_ACCOUNT, provider, payment.net)
        if payment.take > payment.burned:
            process_transfer(store, ESCROW_ACCOUNT, terms.treasury, payment.take - payment.burned)
        process_burn(store, ESCROW_ACCOUNT, payment.burned)
        escrow = _with_stream(escrow, i, replace(stream, paid=stream.paid + payment.gross))
        increase_counters(store, market_paid=payment.gross)
    _save(store, escrow.next_event, escrow)
    return payment


def close_stream(store: StoreView, job_id: int, lease_id: int, height: int, forfeit: bool) -> int:
    """Close a (paid, or forfeited) stream; a forfeit returns its unpaid earnings to the unearned
    funds, so they are refunded with the rest. Returns the amount forfeited."""
    escrow = _settle(store, job_id, height)
    i = _find(escrow, lease_id)
    stream = escrow.streams[i]
    forfeited = stream.earned - stream.paid if forfeit else 0
    if stream.earned != stream.paid and not forfeit:
        raise EscrowBrokenError(f"stream of lease {lease_id} closed with unpaid earnings")
    stream = replace(stream, earned=stream.earned - forfeited, state=CLOSED, grace_until=0)
    escrow = replace(_with_stream(escrow, i, stream), unearned=escrow.unearned + forfeited)
    _save(store, escrow.next_event, escrow)
    return forfeited


def refund(store: StoreView, job_id: int, height: int) -> list[tuple[bytes, int]]:
    """Close the escrow: every stream must be closed; the unearned funds go back pro rata."""
    escrow = _settle(store, job_id, height)
    if any(s.state != CLOSED for s in escrow.streams):
        raise EscrowBrokenError(f"escrow of job {job_id} refunded with open streams")
    refunds = compute_refunds(list(iterate_deposits(store, job_id)), escrow.unearned)
    for depositor, amount in refunds:
        increase_balance(store, Address(depositor), amount)
    decrease_balance(store, ESCROW_ACCOUNT, escrow.unearned)
    _save(store, escrow.next_event, replace(escrow, refunded=escrow.refunded + escrow.unearned, unearned=0, closed=True))
    return refunds


def process_escrow_queue(store: StoreView, height: int, grace_blocks: int) -> list[EscrowEvent]:
    """Fire every escrow event due at `height` (only the escrows queued at it are touched)."""
    prefix = ESCROW_QUEUE_PREFIX + height.to_bytes(8, "big")
    events: list[EscrowEvent] = []
    for key, due in store.iterate(prefix, Due):
        store.delete(key)
        escrow = get_escrow(store, due.job_id)
        if escrow is None or escrow.closed or escrow.next_event != height:
            continue
        escrow, fired = apply_due(compute_settled(escrow, height), height, grace_blocks)
        _save(store, 0, escrow)
        events.extend(fired)
    return events


def find_running_out(store: StoreView, height: int, run_out_height: int) -> list[EscrowEvent]:
    """A `running_out` event per stream that will pause for lack of funds at `run_out_height`,
    found at `height` by reading only the escrows queued there (a look-ahead: nothing is written).
    A run-out scheduled nearer than the look-ahead when it was set is not warned of here."""
    prefix = ESCROW_QUEUE_PREFIX + run_out_height.to_bytes(8, "big")
    events: list[EscrowEvent] = []
    for _, due in store.iterate(prefix, Due):
        escrow = get_escrow(store, due.job_id)
        if escrow is None or escrow.closed or escrow.next_event != run_out_height or escrow.settled_height > height:
            continue
        _, fired = apply_due(compute_settled(escrow, run_out_height), run_out_height, 0)
        events.extend(EscrowEvent(e.job_id, e.lease_id, "running_out") for e in fired if e.kind == "paused")
    return events


# -- queries -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StreamView:
    lease_id: int
    rate: int
    state: str
    accrued_blocks: int
    earned: int
    paid: int
    owed: int  # earned and not yet paid
    grace_until: int


@dataclass(frozen=True, slots=True)
class EscrowView:
    job_id: int
    height: int
    deposited: int
    earned: int  # by all streams, up to `height`
    paid: int
    left: int  # not yet earned: what a close would refund
    refunded: int
    balance: int  # held for this job now: left + owed
    closed: bool
    depositor_count: int
    depositors: tuple[Deposit, ...]  # the first MAX_DEPOSITORS_SHOWN by address
    streams: tuple[StreamView, ...]


def query_escrow(store: StoreView, job_id: int, height: int) -> EscrowView | None:
    """The escrow as of `height` (at or after its last settlement, before its next event)."""
    escrow = get_escrow(store, job_id)
    if escrow is None:
        return None
    if escrow.next_event:
        height = min(height, escrow.next_event)
    escrow = compute_settled(escrow, max(height, escrow.settled_height))
    streams = tuple(
        StreamView(s.lease_id, s.rate, STREAM_STATES[s.state], s.accrued_blocks, s.earned, s.paid, s.earned - s.paid,
                   s.grace_until)
        for s in escrow.streams
    )
    earned = sum(s.earned for s in escrow.streams)
    paid = sum(s.paid for s in escrow.streams)
    return EscrowView(escrow.job_id, height, escrow.deposited, earned, paid, escrow.unearned, escrow.refunded,
                      escrow.unearned + earned - paid, escrow.closed, escrow.depositor_count,
                      tuple(islice(iterate_deposits(store, job_id), MAX_DEPOSITORS_SHOWN)), streams)
