"""A trio memory channel bounded by bytes as well as by count.

A count bound alone lets a queue of 1 MiB gossip messages hold gigabytes; this one also refuses an item
while the queued items' sizes would pass `max_bytes` (an item larger than the bound still passes into an
empty channel, so nothing that fits a frame is refused forever). `try_send` drops what does not fit,
`send` waits for room (backpressure).
"""
from __future__ import annotations

from typing import Generic, TypeVar

import trio

T = TypeVar("T")


class ByteBoundedChannel(trio.abc.ReceiveChannel[T], Generic[T]):
    """The receive side is this object (`receive`, `async for`); senders call `try_send` or `send`."""

    def __init__(self, max_count: int, max_bytes: int) -> None:
        if max_count < 1 or max_bytes < 1:
            raise ValueError(f"need max_count ({max_count}) and max_bytes ({max_bytes}) >= 1")
        self.max_count = max_count
        self.max_bytes = max_bytes
        self.queued_bytes = 0
        self._send, self._receive = trio.open_memory_channel[tuple[T, int]](max_count)
        self._room = trio.Event()

    def __len__(self) -> int:
        return self._send.statistics().current_buffer_used

    def try_send(self, item: T, size: int) -> bool:
        """Queue `item` (counted as `size` bytes) if it fits now; False if not. Raises
        trio.BrokenResourceError once the receive side is closed."""
        if self.queued_bytes and self.queued_bytes + size > self.max_bytes:
            return False
        try:
            self._send.send_nowait((item, size))
        except trio.WouldBlock:
            return False
        self.queued_bytes += size
        return True

    async def send(self, item: T, size: int) -> None:
        """Queue `item`, waiting until it fits."""
        while not self.try_send(item, size):
            await self._room.wait()

    async def receive(self) -> T:
        item, size = await self._receive.receive()
        return self._took(item, size)

    def receive_nowait(self) -> T:
        item, size = self._receive.receive_nowait()
        return self._took(item, size)

    async def aclose(self) -> None:
        await self._receive.aclose()

    def _took(self, item: T, size: int) -> T:
        self.queued_bytes -= size
        self._room.set()
        self._room = trio.Event()
        return item
