"""Bounds on what HTTP clients can hold of a node: in-flight requests are capped (the excess is
answered 503 at once rather than queued), so slow or many clients cannot pile up work."""
from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_IN_FLIGHT_REQUESTS = 256


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
