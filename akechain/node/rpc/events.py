"""`/events`: chain events as a server-sent-event stream.

The node publishes once per commit (the new tip); events are rendered from the block store only when
a stream reads them and the last CACHED_BLOCKS heights are kept rendered (the bounded ring), so a
node nobody watches spends nothing on them, however fast it syncs. Every event's id is
`HEIGHT.INDEX` (0 the block, 1 + i its i-th tx, then the height's notable app events: those of its
txs in order, then the block's own from begin/end block): a client resumes with `Last-Event-ID` set
to the last id it saw, or to a bare height for everything after that height, as far back as
RESUME_BLOCKS."""
from __future__ import annotations

import json
import sys
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Sequence

import trio

NEW_BLOCK = "new_block"
TX_COMMITTED = "tx_committed"
JAIL = "jail"
# app events a stream may ask for by their own type (a lease's pause is its escrow running dry; a
# `jail` is derived from each slash: downtime jails until a time, double signing for good)
NOTABLE_APP_EVENTS = frozenset({"lease_opened", "lease_running_out", "lease_paused", "lease_expired", "lease_complete", "lease_closed",
                                "lease_paid", "slash", "unjail", "validator_unbonded", "submit_proposal",
                                "proposal_expedited_to_regular", "proposal_ended", "proposal_dropped"})
EVENT_TYPES = frozenset({NEW_BLOCK, TX_COMMITTED, JAIL}) | NOTABLE_APP_EVENTS
AppEvent = dict[str, Any]  # {"type": ..., "attributes": {key: value}} as events_to_json renders it
CACHED_BLOCKS = 64
RESUME_BLOCKS = 1000  # how far behind the tip a stream may start; older ids resume here
CHUNK_BLOCKS = 16  # heights rendered per write, so a catching-up stream yields to the loop
KEEPALIVE_SECONDS = 15.0  # a comment line this often: proxies keep the stream, dead clients are found
MAX_STREAMS = 32  # each stream holds one of the node's in-flight request slots
WHOLE_HEIGHT = sys.maxsize  # cursor index meaning "every event of the height was seen"

Cursor = tuple[int, int]  # (height, index) of the last event seen


@dataclass(frozen=True, slots=True)
class ChainEvent:
    height: int
    index: int
    type: str
    addresses: frozenset[str]  # what `?address=` matches: a tx's sender and its events' values, a block's proposer
    data: dict[str, Any]

    def to_sse(self) -> bytes:
        return f"id: {self.height}.{self.index}\nevent: {self.type}\ndata: {json.dumps(self.data)}\n\n".encode()


def block_events(height: int, block_hash: str, time_ms: int, proposer: str,
                 txs: list[dict[str, Any]], app_events: Sequence[AppEvent] = ()) -> tuple[ChainEvent, ...]:
    """A block's events: `new_block`, then `tx_committed` per tx (each of `txs` a tx_to_json view
    with its result's `code`, `log` and `events`), then the notable app events of its successful
    txs and of the block itself (`app_events`, from begin and end block)."""
    head = ChainEvent(height, 0, NEW_BLOCK, frozenset({proposer}),
                      {"height": height, "hash": block_hash, "time_ms": time_ms, "proposer": proposer, "txs": len(txs)})
    committed = []
    for index, tx in enumerate(txs):
        values = {value for event in tx["events"] for value in event["attributes"].values()}
        data = {"height": height, "index": index, "hash": tx["hash"], "sender": tx["sender"], "code": tx["code"],
                "log": tx["log"], "events": tx["events"]}
        committed.append(ChainEvent(height, index + 1, TX_COMMITTED, frozenset({tx["sender"], *values}), data))
    notable = [(tx["hash"], event) for tx in txs if tx["code"] == 0 for event in tx["events"]]
    notable += [(None, event) for event in app_events]
    typed = [typed for tx_hash, event in notable for typed in render_app_event(height, tx_hash, event)]
    first = len(txs) + 1
    return (head, *committed, *(ChainEvent(height, first + i, kind, addresses, data)
                                for i, (kind, addresses, data) in enumerate(typed)))


def render_app_event(height: int, tx_hash: str | None, event: AppEvent) -> list[tuple[str, frozenset[str], dict]]:
    """(type, addresses, data) of the SSE events one app event stands for: none if it is not notable."""
    kind, attributes = event["type"], event["attributes"]
    if kind not in NOTABLE_APP_EVENTS:
        return []
    data = {"height": height, "tx": tx_hash, **attributes}
    addresses = frozenset(attributes.values())
    rendered = [(kind, addresses, data)]
    if kind == "slash" and ("jailed_until_ms" in attributes or attributes.get("reason") == "double_sign"):
        jail = {"height": height, "validator": attributes.get("validator", ""), "reason": attributes.get("reason", ""),
                "jailed_until_ms": attributes.get("jailed_until_ms"), "tombstoned": attributes.get("reason") == "double_sign"}
        rendered.append((JAIL, addresses, jail))
    return rendered


def parse_last_event_id(text: str) -> Cursor:
    """`H` or `H.I` as sent back in `Last-Event-ID`."""
    height, dot, index = text.strip().partition(".")
    if not height.isdigit() or len(height) > 19 or (dot and (not index.isdigit() or len(index) > 9)):
        raise ValueError(f"Last-Event-ID must be HEIGHT or HEIGHT.INDEX, got {text[:40]!r}")
    return int(height), int(index) if dot else WHOLE_HEIGHT


class EventLog:
    """The chain's events by height, read through `render(height)` and woken by `publish`."""

    def __init__(self, render: Callable[[int], tuple[ChainEvent, ...]]) -> None:
        self._render = render
        self._cache: OrderedDict[int, tuple[ChainEvent, ...]] = OrderedDict()
        self._published = trio.Event()
        self.tip = 0
        self.streams = 0

    def publish(self, height: int) -> None:
        """Called once per committed block, in order, after its results are stored."""
        self.tip = height
        published, self._published = self._published, trio.Event()
        published.set()

    def events_at(self, height: int) -> tuple[ChainEvent, ...]:
        if height not in self._cache:
            self._cache[height] = self._render(height)
            while len(self._cache) > CACHED_BLOCKS:
                self._cache.popitem(last=False)
        return self._cache[height]

    def after(self, cursor: Cursor) -> tuple[list[ChainEvent], Cursor]:
        """Events after `cursor` in up to CHUNK_BLOCKS heights, and the cursor they end at."""
        height, index = cursor
        first = max(height if index != WHOLE_HEIGHT else height + 1, self.tip - RESUME_BLOCKS + 1, 1)
        last = min(self.tip, first + CHUNK_BLOCKS - 1)
        if last < first:
            return [], cursor
        events = [event for h in range(first, last + 1) for event in self.events_at(h)
                  if (event.height, event.index) > cursor]
        return events, (last, WHOLE_HEIGHT)

    async def stream(self, cursor: Cursor, types: frozenset[str], address: str | None) -> AsyncIterator[bytes]:
        """SSE bytes of the matching events after `cursor`, then live ones, until the client leaves."""
        self.streams += 1
        try:
            while True:
                published = self._published
                events, cursor = self.after(cursor)
                chunk = b"".join(event.to_sse() for event in events
                                 if event.type in types and (address is None or address in event.addresses))
                if chunk:
                    yield chunk
                if cursor[0] < self.tip:
                    await trio.lowlevel.checkpoint()
                    continue
                with trio.move_on_after(KEEPALIVE_SECONDS) as waited:
                    await published.wait()
                if waited.cancelled_caught:
                    yield b": keepalive\n\n"
        finally:
            self.streams -= 1
