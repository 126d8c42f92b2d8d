"""The HTTP server's bounds: requests in flight over the cap get 503 at once, connections over the
cap wait in the backlog, a request head must arrive in time, and a write to a client that reads
nothing gives up at its deadline."""
from __future__ import annotations

import socket
from contextlib import suppress
from functools import partial
from typing import Any

import trio
import trio.testing
from starlette.applications import Starlette
from starlette.responses import JSONResponse, StreamingResponse
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


def serving(app: Any, **limits: Any):
    """Run `serve_http` on a free port for the test body `main(port)`."""
    from akechain.node.rpc.server import serve_http

    def run(main: Any) -> None:
        async def with_server() -> None:
            shutdown = trio.Event()
            port = free_port()
            async with trio.open_nursery() as nursery:
                await nursery.start(partial(serve_http, app, "127.0.0.1", port, shutdown, **limits))
                await main(port)
                shutdown.set()

        trio.run(with_server)

    return run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def get(stream: trio.SocketStream) -> bytes:
    await stream.send_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += await stream.receive_some(4096)
    return answer


def test_connections_over_the_cap_wait_until_one_closes() -> None:
    async def hello(request: Any) -> JSONResponse:
        return JSONResponse({})

    async def main(port: int) -> None:
        first = await trio.open_tcp_stream("127.0.0.1", port)
        second = await trio.open_tcp_stream("127.0.0.1", port)
        assert (await get(first)).startswith(b"HTTP/1.1 200")
        await second.send_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        with trio.move_on_after(1) as waited:  # connected in the kernel's backlog, not accepted yet
            await second.receive_some(4096)
        assert waited.cancelled_caught
        await first.aclose()
        answer = b""
        with trio.fail_after(5):  # accepted once the first closed: its request is answered
            while b"\r\n\r\n" not in answer:
                answer += await second.receive_some(4096)
        assert answer.startswith(b"HTTP/1.1 200")

    serving(Starlette(routes=[Route("/", hello)]), max_connections=1)(main)


def test_a_request_head_that_trickles_in_is_cut_off_and_frees_its_connection() -> None:
    async def hello(request: Any) -> JSONResponse:
        return JSONResponse({})

    async def main(port: int) -> None:
        slow = await trio.open_tcp_stream("127.0.0.1", port)
        start = trio.current_time()
        await slow.send_all(b"GET / HTTP/1.1\r\n")
        with trio.fail_after(5):
            with suppress(trio.BrokenResourceError):
                while True:
                    await slow.send_all(b"x")  # one header byte every 0.1 s, never the end of the head
                    await trio.sleep(0.1)
                    with trio.move_on_after(0):
                        if await slow.receive_some(4096) == b"":
                            break
        assert trio.current_time() - start >= 1
        fresh = await trio.open_tcp_stream("127.0.0.1", port)  # the cap's one slot is free again
        with trio.fail_after(5):
            assert (await get(fresh)).startswith(b"HTTP/1.1 200")

    serving(Starlette(routes=[Route("/", hello)]), max_connections=1, header_seconds=1.0)(main)


def test_a_client_that_reads_nothing_is_cut_off_at_the_write_deadline_and_frees_its_connection() -> None:
    async def endless(request: Any) -> StreamingResponse:
        async def chunks():
            while True:
                yield b"x" * (1 << 20)

        return StreamingResponse(chunks())

    async def hello(request: Any) -> JSONResponse:
        return JSONResponse({})

    async def main(port: int) -> None:
        with socket.socket() as raw:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            raw.connect(("127.0.0.1", port))
            raw.sendall(b"GET /endless HTTP/1.1\r\nhost: x\r\n\r\n")  # and never read the answer
            start = trio.current_time()
            fresh = await trio.open_tcp_stream("127.0.0.1", port)  # waits for the cap's one slot
            with trio.fail_after(10):
                assert (await get(fresh)).startswith(b"HTTP/1.1 200")
            assert trio.current_time() - start >= 1  # served once the stuck write gave up
        await fresh.aclose()

    app = Starlette(routes=[Route("/", hello), Route("/endless", endless)])
    serving(app, max_connections=1, send_seconds=1.0)(main)
