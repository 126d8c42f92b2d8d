"""The small helper other modules call where a KPI event happens (a fee, a payment, a tally, a
provider registering, a lease opening or closing, a score changing): O(1) each, no walk. It imports
nothing of other modules, so bank and escrow can call it."""
from __future__ import annotations

from dataclasses import replace

from akechain.chain.modules.kpi.records import (
    COUNTERS_KEY,
    EMPTY_COUNTERS,
    ActiveProvider,
    Counters,
    get_active_provider_key,
)
from akechain.chain.store import StoreView


def get_counters(store: StoreView) -> Counters:
    return store.get(COUNTERS_KEY, Counters) or EMPTY_COUNTERS


def increase_counters(store: StoreView, **amounts: int) -> None:
    """Add to the named counters (a negative amount lowers a stock such as `providers`)."""
    if not any(amounts.values()):
        return
    counters = get_counters(store)
    store.set(COUNTERS_KEY, replace(counters, **{name: getattr(counters, name) + n for name, n in amounts.items()}))


def note_lease_opened(store: StoreView, provider: bytes, open_leases_before: int, score_bps: int) -> None:
    """A provider's first open lease makes it active, counted with its score of now."""
    if open_leases_before == 0:
        store.set(get_active_provider_key(provider), ActiveProvider(score_bps))
        increase_counters(store, active_providers=1, active_score_sum_bps=score_bps)


def note_lease_released(store: StoreView, provider: bytes, open_leases_after: int) -> None:
    """Its last open lease closed: it is no longer active, and takes back the score it was counted with."""
    record = store.get(get_active_provider_key(provider), ActiveProvider)
    if open_leases_after == 0 and record is not None:
        store.delete(get_active_provider_key(provider))
        increase_counters(store, active_providers=-1, active_score_sum_bps=-record.score_bps)


def note_score(store: StoreView, provider: bytes, score_bps: int) -> None:
    """An active provider's reputation moved: its share of the sum moves with it."""
    record = store.get(get_active_provider_key(provider), ActiveProvider)
    if record is not None and record.score_bps != score_bps:
        store.set(get_active_provider_key(provider), ActiveProvider(score_bps))
        increase_counters(store, active_score_sum_bps=score_bps - record.score_bps)
