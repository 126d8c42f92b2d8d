"""Bounds on what HTTP clients can hold of a node: in-flight requests are capped (the excess is
answered 503 at once rather than queued), open connections are capped at the socket (the excess waits
in the kernel's listen backlog), headers must arrive within hypercorn's keep-alive timeout, and every
write has a deadline, so slow or many clients cannot pile up work, sockets or tasks."""
from __future__ import annotations

import json
from functools import partial
from typing import Any, Awaitable, Callable

import trio
from hypercorn.config import Config as HypercornConfig
from hypercorn.trio.tcp_server import TCPServer
from hypercorn.trio.worker_context import WorkerContext
from hypercorn.typing import ConnectionState
from hypercorn.utils import wrap_app

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_IN_FLIGHT_REQUESTS = 256
MAX_CONNECTIONS = 512
SEND_SECONDS = 10.0  # one write to a client; one that reads nothing holds its connection no longer


class InFlightLimit:
    """ASGI middleware: at most `limit` HTTP requests inside `app` at a time."""

    def __init__(self, app: ASGIApp, limit: int = MAX_IN_FLIGHT_REQUESTS) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await send_busy(send, f"busy: {self.limit} requests in flight")
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


async def send_busy(send: Send, message: str) -> None:
    body = json.dumps({"error": message, "busy": True}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"retry-after", b"1")]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class CappedStream(trio.abc.HalfCloseableStream):
    """A client connection that frees its slot when closed and gives up a write after `send_seconds`.

    Hypercorn shields its writes from cancellation, so without a deadline a client that never reads
    would hold its connection (and its request's in-flight slot) for ever."""

    def __init__(self, stream: trio.SocketStream, release: Callable[[], None], send_seconds: float) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release
        self._send_seconds = send_seconds
        self.socket = stream.socket  # hypercorn reads the peer's address from it

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        with trio.move_on_after(self._send_seconds):
            await self._stream.send_all(data)
            return
        await trio.aclose_forcefully(self)
        raise trio.BrokenResourceError(f"client read nothing for {self._send_seconds:.0f} s")

    async def wait_send_all_might_not_block(self) -> None:
        await self._stream.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        return await self._stream.receive_some(max_bytes)

    async def send_eof(self) -> None:
        await self._stream.send_eof()

    async def aclose(self) -> None:
        if self._release is not None:  # hypercorn may close a connection twice
            self._release()
            self._release = None
        await self._stream.aclose()


class CappedListener(trio.abc.Listener[CappedStream]):
    """Accepts while fewer than `slots` connections are open; then waits for one to close."""

    def __init__(self, listener: trio.SocketListener, slots: trio.Semaphore, send_seconds: float) -> None:
        self._listener = listener
        self._slots = slots
        self._send_seconds = send_seconds

    async def accept(self) -> CappedStream:
        await self._slots.acquire()
        try:
            stream = await self._listener.accept()
        except BaseException:
            self._slots.release()
            raise
        return CappedStream(stream, self._slots.release, self._send_seconds)

    async def aclose(self) -> None:
        await self._listener.aclose()


async def serve_capped(app: ASGIApp, config: HypercornConfig, host: str, port: int, shutdown: trio.Event,
                       max_connections: int = MAX_CONNECTIONS, send_seconds: float = SEND_SECONDS,
                       task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    """Hypercorn's HTTP/1.1 connection handler behind capped listeners (hypercorn's own `serve` builds
    uncapped listeners inside and has no connection limit); on `shutdown`, open connections get
    `config.graceful_timeout` to finish."""
    wrapped = wrap_app(app, config.wsgi_max_body_size, "asgi")  # type: ignore[arg-type]
    context = WorkerContext(None)
    slots = trio.Semaphore(max_connections)
    listeners = [CappedListener(listener, slots, send_seconds)
                 for listener in await trio.open_tcp_listeners(port, host=host, backlog=config.backlog)]

    async def serve_connection(stream: CappedStream) -> None:
        await TCPServer(wrapped, config, context, ConnectionState({}), stream).run()  # type: ignore[arg-type]

    async with trio.open_nursery() as connections:
        async with trio.open_nursery() as accepting:
            accepting.start_soon(partial(trio.serve_listeners, serve_connection, listeners, handler_nursery=connections))
            task_status.started()
            await shutdown.wait()
            accepting.cancel_scope.cancel()
        await context.terminated.set()
        connections.cancel_scope.deadline = trio.current_time() + config.graceful_timeout
