"""EventLog's cursor rules, without a node: resume after an id, after a bare height, the resume
window and the chunking that keeps one stream's write bounded."""
from __future__ import annotations

import pytest

from akechain.node.rpc.events import (CHUNK_BLOCKS, RESUME_BLOCKS, WHOLE_HEIGHT, ChainEvent, EventLog, block_events,
                                      parse_last_event_id)

TX = {"hash": "ab" * 32, "sender": "ake1sender", "code": 0, "log": "", "events": [{"type": "transfer",
      "attributes": {"recipient": "ake1recipient", "amount": "5"}}]}


def two_tx_blocks(height: int) -> tuple[ChainEvent, ...]:
    return block_events(height, "00" * 32, height * 1000, "c0ffee", [TX, TX])


def log_at(tip: int) -> tuple[EventLog, list[int]]:
    rendered: list[int] = []

    def render(height: int) -> tuple[ChainEvent, ...]:
        rendered.append(height)
        return two_tx_blocks(height)

    log = EventLog(render)
    log.publish(tip)
    return log, rendered


def ids(events: list[ChainEvent]) -> list[str]:
    return [f"{e.height}.{e.index}" for e in events]


def test_resume_after_an_id_or_a_height() -> None:
    log, _ = log_at(3)
    assert ids(log.after(parse_last_event_id("2.1"))[0]) == ["2.2", "3.0", "3.1", "3.2"]
    assert ids(log.after(parse_last_event_id("2"))[0]) == ["3.0", "3.1", "3.2"]
    events, cursor = log.after((3, WHOLE_HEIGHT))
    assert events == [] and cursor == (3, WHOLE_HEIGHT)


def test_old_ids_resume_at_the_window_and_chunks_are_bounded() -> None:
    tip = RESUME_BLOCKS + 100
    log, rendered = log_at(tip)
    events, cursor = log.after(parse_last_event_id("1"))
    first = tip - RESUME_BLOCKS + 1
    assert events[0].height == first and cursor == (first + CHUNK_BLOCKS - 1, WHOLE_HEIGHT)
    assert rendered == list(range(first, first + CHUNK_BLOCKS))
    log.after(parse_last_event_id("1"))
    assert len(rendered) == CHUNK_BLOCKS, "cached heights are not rendered again"


def test_events_carry_what_filters_match() -> None:
    block, tx, _ = two_tx_blocks(7)
    assert block.type == "new_block" and block.addresses == {"c0ffee"} and block.data["txs"] == 2
    assert tx.type == "tx_committed" and {"ake1sender", "ake1recipient"} <= tx.addresses
    assert tx.to_sse().startswith(b"id: 7.1\nevent: tx_committed\ndata: {")


@pytest.mark.parametrize("bad", ["", "x", "1.", "1.x", "-1", "1.2.3", "9" * 20])
def test_bad_last_event_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_last_event_id(bad)


def test_notable_app_events_of_txs_and_of_the_block_follow_the_txs_and_a_slash_also_jails() -> None:
    closing = {**TX, "events": [{"type": "lease_closed", "attributes": {"lease_id": "4", "job_id": "2"}}]}
    failed = {**closing, "code": 7}  # a failed tx changed nothing: its events are not news
    block_level = [{"type": "lease_paused", "attributes": {"lease_id": "5", "job_id": "3"}},
                   {"type": "proposal_ended", "attributes": {"proposal_id": "1", "status": "passed"}},
                   {"type": "fee_split", "attributes": {"burned": "1"}},
                   {"type": "slash", "attributes": {"validator": "ake1val", "reason": "missing_signature",
                                                    "burned": "10", "jailed_until_ms": "9000"}},
                   {"type": "slash", "attributes": {"validator": "ake1dbl", "reason": "double_sign", "burned": "50",
                                                    "infraction_height": "3"}}]
    events = block_events(8, "00" * 32, 8000, "c0ffee", [closing, failed], block_level)
    typed = [(e.index, e.type) for e in events[3:]]
    assert typed == [(3, "lease_closed"), (4, "lease_paused"), (5, "proposal_ended"), (6, "slash"), (7, "jail"),
                     (8, "slash"), (9, "jail")]
    closed, paused, _, _, jail, _, forever = events[3:]
    assert closed.data == {"height": 8, "tx": TX["hash"], "lease_id": "4", "job_id": "2"} and paused.data["tx"] is None
    assert jail.data["validator"] == "ake1val" and jail.data["jailed_until_ms"] == "9000" and not jail.data["tombstoned"]
    assert forever.data["tombstoned"] and "ake1dbl" in forever.addresses


def test_a_lease_running_out_is_a_typed_event_found_by_its_consumers_address() -> None:
    warning = {"type": "lease_running_out",
               "attributes": {"lease_id": "5", "job_id": "3", "run_out_height": "28", "consumer": "ake1consumer"}}
    [_, event] = block_events(8, "00" * 32, 8000, "c0ffee", [], [warning])
    assert event.type == "lease_running_out" and event.data["run_out_height"] == "28"
    assert "ake1consumer" in event.addresses
