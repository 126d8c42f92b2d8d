"""The HTTP server's bound on in-flight requests: the excess gets 503 at once."""
from __future__ import annotations

from typing import Any

import trio
import trio.testing
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from akechain.node.rpc.limits import InFlightLimit


def test_requests_over_the_in_flight_cap_are_answered_503_at_once() -> None:
    release = trio.Event()

    async def slow(request: Any) -> JSONResponse:
        await release.wait()
        return JSONResponse({})

    limited = InFlightLimit(Starlette(routes=[Route("/", slow)]), limit=2)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    def scope() -> dict[str, Any]:
        return {"type": "http", "method": "GET", "path": "/", "raw_path": b"/", "query_string": b"", "headers": [],
                "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 1), "root_path": ""}

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            for _ in range(2):
                nursery.start_soon(limited, scope(), receive, send)
            await trio.sleep(0.1)
            with trio.fail_after(1):
                await limited(scope(), receive, send)
            assert sent[0]["status"] == 503 and limited.in_flight == 2
            release.set()
        assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [503, 200, 200]
        assert limited.in_flight == 0

    trio.run(main)


def test_a_body_that_trickles_in_past_the_deadline_is_answered_408() -> None:
    from akechain.node.rpc.server import BODY_READ_SECONDS, build_app

    app = build_app(None)  # type: ignore[arg-type]  # the node is never reached
    sent: list[dict[str, Any]] = []
    chunks = 0

    async def receive() -> dict[str, Any]:
        nonlocal chunks
        chunks += 1
        await trio.sleep(1)  # one byte a second, never the end
        return {"type": "http.request", "body": b"a", "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/txs", "raw_path": b"/txs", "query_string": b"",
             "headers": [], "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 1), "root_path": ""}
    trio.run(app, scope, receive, send, clock=trio.testing.MockClock(autojump_threshold=0))
    assert sent[0]["status"] == 408 and chunks <= BODY_READ_SECONDS + 1
