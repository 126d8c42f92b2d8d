"""`/events` on a real node: a committed tx's event, filters, and resuming after a reconnect."""
from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from akechain.chain.crypto import format_address, parse_address
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.client.http import NodeClient
from akechain.client.keystore import Keystore
from akechain.client.wallet import Wallet
from tests.conftest import PASSPHRASE
from tests.node_process import NodeProcess

pytestmark = pytest.mark.slow


def read_events(node: NodeProcess, count: int, last_id: str | None = None, **filters: str) -> list[dict[str, Any]]:
    """The first `count` events of a fresh `/events` stream (id, event, parsed data)."""
    headers = {} if last_id is None else {"Last-Event-ID": last_id}
    events: list[dict[str, Any]] = []
    fields: dict[str, str] = {}
    with httpx.stream("GET", f"{node.url}/events", params=filters, headers=headers, timeout=30) as answer:
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
        for line in answer.iter_lines():
            if line.startswith(":"):
                continue
            if line:
                name, _, value = line.partition(": ")
                fields[name] = value
                continue
            events.append({"id": fields["id"], "event": fields["event"], "data": json.loads(fields["data"])})
            fields = {}
            if len(events) == count:
                return events
    raise AssertionError(f"stream ended after {len(events)} events")


def place(event: dict[str, Any]) -> tuple[int, int]:
    height, index = event["id"].split(".")
    return int(height), int(index)


def test_events_show_a_committed_tx_and_resume_without_gaps(single_node: NodeProcess) -> None:
    key = Keystore(single_node.home / "keyring").load("validator", PASSPHRASE)
    treasury = format_address(bytes(range(20)))  # a fresh account: only this test's transfer names it
    with NodeClient(single_node.url) as client:
        wallet = Wallet(client, key)
        sent = wallet.send([MsgSend(to=parse_address(treasury), amount=7)])
    height = sent["height"]

    [tx_event] = read_events(single_node, 1, str(height - 1), type="tx_committed", address=treasury)
    assert tx_event["id"] == f"{height}.1" and tx_event["event"] == "tx_committed"
    assert tx_event["data"]["hash"] == sent["hash"] and tx_event["data"]["code"] == 0
    assert tx_event["data"]["events"] == sent["events"]
    assert single_node.get("/events?type=nosuch").status_code == 400
    assert httpx.get(f"{single_node.url}/events", headers={"Last-Event-ID": "x"}).status_code == 400

    # From before the tx: its block, the tx, later blocks; then reconnect after the last id seen.
    first = read_events(single_node, 3, str(height - 1))
    assert [e["id"] for e in first[:2]] == [f"{height}.0", f"{height}.1"]
    assert first[0]["event"] == "new_block" and first[0]["data"]["txs"] == 1
    second = read_events(single_node, 3, first[-1]["id"])
    seen = [place(e) for e in first + second]
    assert seen == sorted(set(seen)), "repeats or out of order"
    blocks = [e["data"]["height"] for e in first + second if e["event"] == "new_block"]
    assert blocks == list(range(height, height + len(blocks))), "a block is missing"
    assert all(e["event"] == "tx_committed" or e["data"]["txs"] == 0 for e in first[2:] + second)
