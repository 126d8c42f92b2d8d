"""A peer that lies in block sync: it claims a far higher chain and serves real blocks (fetched
once from an honest node) with a forged tx added, so they no longer match their commits.
Runs in a thread with its own trio loop."""
from __future__ import annotations

import dataclasses
import hashlib
import threading

import trio

from consensus import sync
from p2p.host import Host
from state.codec import decode, encode

CLAIMED_HEIGHT = 1_000_000


class LyingPeer:
    def __init__(self, source: str, port: int) -> None:
        """`source`: an honest node's p2p address, where the liar gets real blocks to forge."""
        self.source_peer = source.rsplit("/", 1)[1]
        self.host = Host(hashlib.sha256(b"lying peer").digest(), port=port, persistent_peers=[source])
        self.host.reqresp.add_protocol(sync.PROTOCOL_ID, self._serve, max_request=sync.MAX_REQUEST_BYTES,
                                       max_response=sync.MAX_RESPONSE_BYTES)
        self.requests_served = 0
        self._forged: tuple[sync.DecidedBlock, ...] = ()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=trio.run, args=(self._main,), daemon=True)

    @property
    def address(self) -> str:
        return self.host.listen_addr

    def __enter__(self) -> "LyingPeer":
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("lying peer did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(15)

    async def _main(self) -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(self.host.run)
            await self.host.wait_for_peers([self.source_peer], timeout=20)
            raw = await self.host.reqresp.request(self.source_peer, sync.PROTOCOL_ID,
                                                  sync.encode_request(sync.BlocksRequest(1, 16)), timeout=10)
            self._forged = forge(decode(sync.BlocksResponse, raw, max_size=sync.MAX_RESPONSE_BYTES))
            self._ready.set()
            while not self._stop.is_set():
                await trio.sleep(0.1)
            nursery.cancel_scope.cancel()

    async def _serve(self, request: bytes, peer: str) -> bytes:
        self.requests_served += 1
        match decode(sync.RequestEnvelope, request).request:
            case sync.StatusRequest():
                return encode(sync.StatusResponse(CLAIMED_HEIGHT))
            case sync.BlocksRequest(first_height=first):
                return encode(sync.BlocksResponse(tuple(d for d in self._forged if d.block.header.height >= first)
                                                  or self._forged))
        raise ValueError("unknown request")


def forge(real: sync.BlocksResponse) -> tuple[sync.DecidedBlock, ...]:
    """Real blocks with one tx added: each still carries a real commit, which no longer matches it."""
    return tuple(dataclasses.replace(d, block=dataclasses.replace(d.block, txs=d.block.txs + (b"forged tx",)))
                 for d in real.blocks)
