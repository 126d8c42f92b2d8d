"""KPI state records and their keys (prefixes 0x78-0x7c).

A period's flows (burned, emitted, fees, market volume...) are the difference of cumulative totals
between its close and its open, so nothing walks records: bank's supply totals are read, and what no
other module totals is counted here by `counters.py`, one O(1) call where the event happens (the
modules push; kpi imports only bank and staking, so no module import cycle). Its stocks (supply,
bonded, treasury, providers) are read at the close. Closed periods are keyed by index; the oldest past
`kept_periods` is deleted when a period closes.
"""
from __future__ import annotations

from dataclasses import dataclass

PARAMS_KEY = b"\x78"
COUNTERS_KEY = b"\x79"
OPEN_PERIOD_KEY = b"\x7a"
PERIOD_PREFIX = b"\x7b"  # + u64 index: a closed period
ACTIVE_PROVIDER_PREFIX = b"\x7c"  # + provider: a provider with an open lease, and the score it is counted with


@dataclass(frozen=True, slots=True)
class Counters:
    """What no other module totals: cumulative flows since genesis and the active-provider stocks."""

    fees: int  # uake of tx fees charged
    treasury_outflows: int  # one-off spends plus continuous grants paid
    jobs: int  # created
    leases: int  # opened
    proposals: int  # submitted
    market_paid: int  # uake paid to providers (gross, take included)
    proposals_tallied: int  # proposals whose voting ended
    turnout_bps_sum: int  # of their turnouts (votes cast over bonded stake), for the mean
    providers: int  # registered now
    active_providers: int  # with at least one open lease now (records under ACTIVE_PROVIDER_PREFIX)
    active_score_sum_bps: int  # their reputation scores, as counted in those records


@dataclass(frozen=True, slots=True)
class Cumulative:
    """Every cumulative total at one height; a period's flows are end minus start."""

    burned: int
    emitted: int
    treasury_outflows: int  # one-off spends plus continuous grants paid
    fees: int
    jobs: int  # jobs created
    leases: int  # leases opened
    market_paid: int
    proposals: int  # proposals submitted
    proposals_tallied: int
    turnout_bps_sum: int


@dataclass(frozen=True, slots=True)
class Stocks:
    total_supply: int
    bonded_supply: int
    treasury_balance: int
    providers: int
    active_providers: int
    active_score_sum_bps: int


@dataclass(frozen=True, slots=True)
class OpenPeriod:
    index: int
    start_height: int
    start: Cumulative


@dataclass(frozen=True, slots=True)
class Period:
    index: int
    start_height: int
    end_height: int
    start: Cumulative
    end: Cumulative
    stocks: Stocks  # at the end of its last block


@dataclass(frozen=True, slots=True)
class ActiveProvider:
    score_bps: int  # what it adds to `active_score_sum_bps`


EMPTY_COUNTERS = Counters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)


def u64(value: int) -> bytes:
    return value.to_bytes(8, "big")


def get_period_key(index: int) -> bytes:
    return PERIOD_PREFIX + u64(index)


def get_active_provider_key(provider: bytes) -> bytes:
    return ACTIVE_PROVIDER_PREFIX + provider


TABLES: dict[bytes, type] = {
    COUNTERS_KEY: Counters,
    OPEN_PERIOD_KEY: OpenPeriod,
    PERIOD_PREFIX: Period,
    ACTIVE_PROVIDER_PREFIX: ActiveProvider,
}
