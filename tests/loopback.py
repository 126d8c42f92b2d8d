"""An in-process network for driver tests: every transport's broadcast reaches every other one."""
from __future__ import annotations

import math

import trio


class LoopbackHub:
    """An in-process network: every transport's broadcast reaches every other connected one."""

    def __init__(self) -> None:
        self._inboxes: dict[str, trio.MemorySendChannel[tuple[bytes, str]]] = {}

    def connect(self, peer_id: str) -> "LoopbackTransport":
        send, receive = trio.open_memory_channel[tuple[bytes, str]](math.inf)
        self._inboxes[peer_id] = send
        return LoopbackTransport(self, peer_id, receive)

    def disconnect(self, peer_id: str) -> None:
        send = self._inboxes.pop(peer_id, None)
        if send is not None:
            send.close()

    def deliver(self, sender: str, data: bytes) -> None:
        for peer_id, inbox in list(self._inboxes.items()):
            if peer_id != sender:
                try:
                    inbox.send_nowait((data, sender))
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    self._inboxes.pop(peer_id, None)


class LoopbackTransport:
    def __init__(self, hub: LoopbackHub, peer_id: str, receive: trio.MemoryReceiveChannel[tuple[bytes, str]]) -> None:
        self.hub = hub
        self.peer_id = peer_id
        self._receive = receive

    async def broadcast(self, data: bytes) -> None:
        self.hub.deliver(self.peer_id, data)

    @property
    def receive_channel(self) -> trio.MemoryReceiveChannel[tuple[bytes, str]]:
        return self._receive
