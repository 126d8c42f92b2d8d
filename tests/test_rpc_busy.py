"""A full mempool is a fast, typed answer: 503 (or 429 for one sender's cap) with a JSON error."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.testclient import TestClient

from akechain.node.mempool import MempoolFullError, SenderFullError
from akechain.node.rpc.server import BUSY_CODE, build_app


class FullNode:
    """Admits `room` txs, then raises `error` for every other one."""

    def __init__(self, room: int, error: MempoolFullError) -> None:
        self.room, self.error, self.calls = room, error, 0

    async def submit_txs(self, raws: Sequence[bytes]) -> list[dict[str, Any] | MempoolFullError]:
        """As the node does: one outcome per tx, stopping after a full pool's refusal."""
        outcomes: list[dict[str, Any] | MempoolFullError] = []
        for raw in raws:
            self.calls += 1
            if self.calls <= self.room:
                outcomes.append({"hash": raw.hex().ljust(64, "0"), "check": {"code": 0, "log": ""}})
                continue
            outcomes.append(self.error)
            if type(self.error) is MempoolFullError:
                break
        return outcomes


def test_a_full_mempool_answers_503_with_a_json_error() -> None:
    client = TestClient(build_app(FullNode(0, MempoolFullError("mempool is full (1/1 txs)"))))  # type: ignore[arg-type]
    response = client.post("/txs", content="abcd")
    assert response.status_code == 503
    assert response.json()["busy"] is True and "mempool is full" in response.json()["error"]
    assert response.headers["retry-after"] == "1"


def test_a_sender_over_its_cap_answers_429() -> None:
    client = TestClient(build_app(FullNode(0, SenderFullError("sender already has 3 txs"))))  # type: ignore[arg-type]
    response = client.post("/txs", content="abcd")
    assert response.status_code == 429 and "busy" in response.json()["error"]


def test_a_batch_stops_at_the_first_busy_tx_and_marks_the_rest_busy() -> None:
    node = FullNode(2, MempoolFullError("mempool is full"))
    client = TestClient(build_app(node))  # type: ignore[arg-type]
    response = client.post("/txs", json={"txs": ["aa", "bb", "cc", "dd", "ee"]})
    assert response.status_code == 200
    codes = [r["check"]["code"] for r in response.json()["results"]]
    assert codes == [0, 0, BUSY_CODE, BUSY_CODE, BUSY_CODE]
    assert node.calls == 3  # nothing is checked once the pool said busy
