"""KPI's end of block (the last module's, so every flow of the block is in): when the open period has
run `period_blocks` blocks, snapshot it as a closed period, open the next, and delete what falls
out of the `kept_periods` window: O(1) per block, O(1) amortised per deleted period."""
from __future__ import annotations

from akechain.chain.modules.kpi.keeper import get_open_period, open_period, read_cumulative, read_stocks
from akechain.chain.modules.kpi.params import get_params
from akechain.chain.modules.kpi.records import PERIOD_PREFIX, Period, get_period_key
from akechain.chain.store import BlockContext, Event, StoreView, make_event


def process_end_block(store: StoreView, ctx: BlockContext) -> list[Event]:
    params = get_params(store)
    current = get_open_period(store)
    if current is None:  # a chain whose genesis predates the module
        open_period(store, 0, ctx.height)
        return []
    if ctx.height - current.start_height + 1 < params.period_blocks:
        return []
    store.set(get_period_key(current.index), Period(current.index, current.start_height, ctx.height, current.start,
                                                    read_cumulative(store), read_stocks(store)))
    open_period(store, current.index + 1, ctx.height + 1)
    forget_before(store, current.index + 1 - params.kept_periods)
    return [make_event("kpi_period_closed", index=current.index, end_height=ctx.height)]


def forget_before(store: StoreView, index: int) -> None:
    """Delete closed periods below `index`, from the front: one per close, more only after governance
    lowered `kept_periods` (each was written by a close, so the work is paid for)."""
    stale = []
    for key, _ in store.iterate(PERIOD_PREFIX, Period):
        if int.from_bytes(key[1:9], "big") >= index:
            break
        stale.append(key)
    for key in stale:
        store.delete(key)
