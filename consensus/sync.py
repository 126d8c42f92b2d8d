"""Block sync: a node that is behind fetches decided blocks with their commits from peers.

The protocol is request/response (the node carries it over `/ake/sync/1.0.0`): a `StatusRequest`
answers the peer's stored height, a `BlocksRequest` a run of (block, commit) pairs. Fetched pairs
are fed to the engine as catch-up `CommitMessage`s, so they pass exactly the checks a gossiped
catch-up does (commit signed by +2/3 of the validator set the node knows, block valid against the
chain state) before anything is applied. A peer whose blocks do not move the node forward within
a deadline (lying about its height, or serving invalid blocks) is reported and skipped, and its
height claims are not believed for DISTRUST_SECONDS.

Ranges flow through three stages at once: fetching (the peer's round trip), preparing (the node
signature-checks a range's txs on its other core) and handing over (each block once it falls inside
the window of heights the engine holds ahead, MAX_CATCHUP_HEIGHTS). Bounded channels between the
stages hold RANGES_AHEAD ranges each, so execution waits neither for a round trip nor for a
signature check, nothing fetched is dropped, and memory stays within a few responses.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import trio

from consensus.state_machine import MAX_CATCHUP_HEIGHTS
from consensus.types import Block, Commit, CommitMessage
from state.blockstore import BlockStore
from state.codec import CodecError, Tagged, decode, encode, tagged

log = logging.getLogger(__name__)

PROTOCOL_ID = "/ake/sync/1.0.0"
MAX_REQUEST_BYTES = 1024
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
MAX_BLOCKS_PER_REQUEST = 16
RANGES_AHEAD = 2  # ranges held between two stages (each at most half a response: <= 8 MiB)
ENGINE_POLL_SECONDS = 0.01
DISTRUST_SECONDS = 60.0  # a reported peer's height claims are ignored this long (as a ban's cool-down)
PEERLESS_RETRY_SECONDS = 0.1
# A status answer is a few bytes: a peer silent this long is hung (a partition that has not reset
# its connection yet) and is left out of this pass rather than holding the others back.
STATUS_TIMEOUT_SECONDS = 2.0


class SyncRequest(Tagged):
    """What a syncing node asks a peer."""


@tagged(SyncRequest, "status")
@dataclass(frozen=True, slots=True)
class StatusRequest:
    pass


@tagged(SyncRequest, "blocks")
@dataclass(frozen=True, slots=True)
class BlocksRequest:
    first_height: int
    count: int


@dataclass(frozen=True, slots=True)
class RequestEnvelope:
    request: SyncRequest


@dataclass(frozen=True, slots=True)
class StatusResponse:
    height: int  # highest block the peer stores with its commit


@dataclass(frozen=True, slots=True)
class DecidedBlock:
    block: Block
    commit: Commit


@dataclass(frozen=True, slots=True)
class BlocksResponse:
    blocks: tuple[DecidedBlock, ...]


class SyncProtocolError(ValueError):
    """A malformed or out-of-bounds sync request or response."""


def encode_request(request: SyncRequest) -> bytes:
    return encode(RequestEnvelope(request))


def serve(block_store: BlockStore, data: bytes, max_response_bytes: int = MAX_RESPONSE_BYTES) -> bytes:
    """Answer one request from the block store; raises SyncProtocolError for a bad request."""
    try:
        request = decode(RequestEnvelope, data, max_size=MAX_REQUEST_BYTES).request
    except CodecError as exc:
        raise SyncProtocolError(f"malformed sync request: {exc}") from exc
    match request:
        case StatusRequest():
            return encode(StatusResponse(block_store.height))
        case BlocksRequest():
            return encode(BlocksResponse(load_decided_blocks(block_store, request, max_response_bytes)))
    raise SyncProtocolError(f"unknown sync request {type(request).__name__}")


def load_decided_blocks(block_store: BlockStore, request: BlocksRequest, max_bytes: int) -> tuple[DecidedBlock, ...]:
    if request.first_height < 1 or not 1 <= request.count <= MAX_BLOCKS_PER_REQUEST:
        raise SyncProtocolError(f"blocks request out of bounds: {request}")
    blocks: list[DecidedBlock] = []
    size = 0
    last = min(block_store.height, request.first_height + request.count - 1)
    for height in range(request.first_height, last + 1):
        raw_block, raw_commit = block_store.block(height), block_store.commit(height)
        if raw_block is None or raw_commit is None:
            break
        size += len(raw_block) + len(raw_commit)
        if blocks and size > max_bytes // 2:
            break  # keep answers well under the frame cap; the client asks again
        blocks.append(DecidedBlock(decode(Block, raw_block, max_size=max_bytes), decode(Commit, raw_commit, max_size=max_bytes)))
    return tuple(blocks)


Request = Callable[[str, bytes], Awaitable[bytes]]


class BlockSync:
    """Keeps the node's committed height up with its peers' through request/response.

    `peers()` lists connected peer ids, `request(peer, payload)` performs one exchange (raising
    on failure), `deliver(message, peer)` hands a catch-up message to the engine (waiting while it is full), and
    `committed_height()` says how far the engine got. `report(peer, reason)` is called for a peer
    that lied or served junk, so the network layer can score it down. `prepare(blocks)`, if given,
    runs on each fetched range while the engine applies the previous ones (the node signature-checks
    their txs there on its other core, so execution finds the verdicts cached).
    """

    def __init__(self, peers: Callable[[], Sequence[str]], request: Request,
                 deliver: Callable[[CommitMessage, str], Awaitable[None]], committed_height: Callable[[], int],
                 report: Callable[[str, str], None], *, progress_timeout: float = 5.0, poll_interval: float = 1.0,
                 max_message_bytes: int = MAX_RESPONSE_BYTES,
                 prepare: Callable[[tuple[DecidedBlock, ...]], Awaitable[None]] | None = None) -> None:
        self._peers = peers
        self._request = request
        self._deliver = deliver
        self._committed_height = committed_height
        self._report = report
        self._progress_timeout = progress_timeout
        self._poll_interval = poll_interval
        self._max_message_bytes = max_message_bytes
        self._prepare = prepare
        self._last_delivered = 0
        self._distrusted: dict[str, float] = {}  # peer -> until when its claims are not believed
        self.target_height = 0  # the highest height a trusted peer claimed in the last status round

    async def run(self) -> None:
        while True:
            heard = await self.sync_once()
            # Until a peer answers (right after start, peers are still being dialled) ask again soon.
            await trio.sleep(self._poll_interval if heard else min(self._poll_interval, PEERLESS_RETRY_SECONDS))

    async def sync_once(self) -> bool:
        """Ask every peer its height, then pull blocks from the highest until caught up with it;
        False if no peer answered."""
        answered = await self._peer_heights()
        now = trio.current_time()
        self._distrusted = {peer: until for peer, until in self._distrusted.items() if until > now}
        # A peer reported lately is not believed: its claim would keep the node "catching up" (and
        # deaf to tx gossip) and send it pulling again from a peer that serves nothing.
        heights = {peer: height for peer, height in answered.items() if peer not in self._distrusted}
        if answered:
            self.target_height = max(heights.values(), default=self._committed_height())
        for peer, height in sorted(heights.items(), key=lambda item: -item[1]):
            if height <= self._committed_height() + 1:
                break  # within one block: consensus gossip covers the rest
            await self._pull_from(peer, height)
        return bool(answered)

    async def _peer_heights(self) -> dict[str, int]:
        """Ask all peers at once, each within STATUS_TIMEOUT_SECONDS: one hung peer costs no one else."""
        heights: dict[str, int] = {}

        async def ask(peer: str) -> None:
            with trio.move_on_after(STATUS_TIMEOUT_SECONDS):
                try:
                    raw = await self._request(peer, encode_request(StatusRequest()))
                    heights[peer] = decode(StatusResponse, raw, max_size=MAX_REQUEST_BYTES).height
                except CodecError:
                    self._blame(peer, "malformed sync status")
                except Exception as exc:  # the peer went away or refused; try the others
                    log.debug("sync status from %s failed: %s", peer, exc)

        async with trio.open_nursery() as nursery:
            for peer in list(self._peers()):
                nursery.start_soon(ask, peer)
        return heights

    async def _pull_from(self, peer: str, height: int) -> None:
        self._last_delivered = self._committed_height()
        fetched_send, fetched = trio.open_memory_channel[tuple[DecidedBlock, ...]](RANGES_AHEAD)
        prepared_send, prepared = trio.open_memory_channel[tuple[DecidedBlock, ...]](RANGES_AHEAD)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._fetch_ranges, peer, height, fetched_send)
            nursery.start_soon(self._prepare_ranges, fetched, prepared_send)
            async with prepared:
                async for blocks in prepared:
                    if not await self._hand_over(peer, blocks):
                        nursery.cancel_scope.cancel()
                        return
            if not await self._wait_for_engine(self._last_delivered):
                self._report_stalled(peer)

    async def _fetch_ranges(self, peer: str, height: int, send: trio.MemorySendChannel[tuple[DecidedBlock, ...]]) -> None:
        async with send:
            start = self._committed_height() + 1
            while start < height:
                count = min(MAX_BLOCKS_PER_REQUEST, height - start + 1)
                try:
                    raw = await self._request(peer, encode_request(BlocksRequest(start, count)))
                    response = decode(BlocksResponse, raw, max_size=self._max_message_bytes)
                except CodecError:
                    self._blame(peer, "malformed blocks response")
                    return
                except Exception as exc:
                    log.info("block sync from %s stopped: %s", peer, exc)
                    return
                if not response.blocks:
                    self._blame(peer, f"claimed height {height} but served no block at {start}")
                    return
                served = [decided.block.header.height for decided in response.blocks]
                if served != list(range(start, start + len(served))):
                    self._blame(peer, f"asked for blocks from {start}, served heights {served[0]}..{served[-1]}")
                    return
                await send.send(response.blocks)
                start += len(response.blocks)

    async def _prepare_ranges(self, receive: trio.MemoryReceiveChannel[tuple[DecidedBlock, ...]],
                              send: trio.MemorySendChannel[tuple[DecidedBlock, ...]]) -> None:
        async with receive, send:
            async for blocks in receive:
                if self._prepare is not None:
                    await self._prepare(blocks)
                await send.send(blocks)

    async def _hand_over(self, peer: str, blocks: tuple[DecidedBlock, ...]) -> bool:
        """Deliver each block once the engine holds its height; False if the engine stopped moving
        (the peer's blocks were not accepted, and it has been reported)."""
        for decided in blocks:
            height = decided.block.header.height
            if not await self._wait_for_engine(height - MAX_CATCHUP_HEIGHTS):
                self._report_stalled(peer)
                return False
            await self._deliver(CommitMessage(decided.block, decided.commit), peer)
            self._last_delivered = height
        log.info("block sync: height %d, fetched to %d (peer %s)", self._committed_height(), self._last_delivered, peer)
        return True

    def _blame(self, peer: str, reason: str) -> None:
        """Report `peer` and believe none of its claims for DISTRUST_SECONDS."""
        self._distrusted[peer] = trio.current_time() + DISTRUST_SECONDS
        self._report(peer, reason)

    def _report_stalled(self, peer: str) -> None:
        self._blame(peer, f"blocks from height {self._committed_height() + 1} were not accepted")

    async def _wait_for_engine(self, height: int) -> bool:
        """Wait until the engine committed `height`; False once it made no progress for the
        progress timeout."""
        while (reached := self._committed_height()) < height:
            with trio.move_on_after(self._progress_timeout):
                while self._committed_height() == reached:
                    await trio.sleep(ENGINE_POLL_SECONDS)
                continue
            return False
        return True
