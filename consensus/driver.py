"""The trio shell around the pure round state machine.

One task owns the `State`; a receive task prechecks every peer message (`consensus.precheck`:
signatures, height and round window, one verdict per message) and queues what passed, bounded by
count and bytes (excess peer messages are dropped with a log; timeouts wait for room, never
dropped). Fired timeouts are written to the WAL before they are handled, peer messages once the
engine acted on them (`Persist`, before any later effect). Effects are performed in order: own
votes and proposals are signed (double-sign protected), fsynced to the WAL, broadcast and fed back
as inputs. A decision is saved to the block store, executed and committed by the app, the mempool
is updated, and listeners are notified; that work (and proposal validation) runs in a worker
thread under `app_lock`, so the loop keeps serving peers and clients while a block commits (the
main task awaits it, so it stays the only WAL writer). Catch-up blocks queued behind a decided
block are committed in the same worker call, in order (`_commit_run`). Catch-up replies to lagging peers run in
their own tasks, rate-limited per peer.

On start a handshake brings the app and the stored chain state up to the block store (replaying
blocks the app has not committed) and the WAL of the unfinished height is replayed.
"""
from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import trio

from consensus.abci import (
    Application,
    FinalizeResult,
    GenesisRequest,
    decode_results,
    encode_results,
)
from consensus.chain import ChainState, block_request, genesis_state, next_state
from consensus.config import Config
from consensus.genesis import Genesis
from consensus.history import History
from consensus.precheck import Precheck, Verdict
from consensus.privval import DoubleSignError, Signer
from consensus.proposer import make_validator_set
from consensus.state_machine import (
    MAX_CATCHUP_HEIGHTS,
    NEW_HEIGHT,
    STEP_NAMES,
    BlockValidated,
    Broadcast,
    Committed,
    Decide,
    Effect,
    Event,
    MessageReceived,
    Persist,
    RequestTxs,
    ScheduleTimeout,
    SendCommit,
    SignProposal,
    SignVote,
    State,
    TimeoutFired,
    TxsReady,
    ValidateBlock,
)
from consensus.types import (
    Block,
    Commit,
    CommitMessage,
    Message,
    ProposalMessage,
    ValidatorSet,
    VoteMessage,
    decode_message,
    encode_message,
    sha256,
)
from consensus.wal import WAL, EndHeightRecord, MessageRecord, TimeoutRecord
from state.blockstore import BlockStore
from state.codec import decode, encode
from state.kv import KV

log = logging.getLogger(__name__)

STATE_KEY = b"consensus/state"
MAX_PENDING_EVENTS = 1024  # events waiting for the consensus loop
MAX_PENDING_BYTES = 32 * 1024 * 1024  # of peer messages among them
MAX_COMMIT_RUN = 16  # blocks one worker-thread call commits while catching up (the app lock is held)
MAX_CATCHUP_TASKS = 4  # catch-up replies being sent at once (one per peer at most)
MAX_CATCHUP_PEERS = 1024  # peers remembered by the catch-up rate limit
DROP_LOG_INTERVAL = 5.0


class Mempool(Protocol):
    def reap(self, max_bytes: int) -> list[bytes]: ...

    def update(self, height: int, committed: Sequence[bytes]) -> None: ...

    def __len__(self) -> int: ...


class Transport(Protocol):
    """Consensus gossip: broadcast to all peers; receive (bytes, peer_id)."""

    async def broadcast(self, data: bytes) -> None: ...

    @property
    def receive_channel(self) -> trio.abc.ReceiveChannel[tuple[bytes, str]]: ...


class HandshakeError(Exception):
    """The app, the block store and the saved chain state cannot be reconciled."""


@dataclass(frozen=True, slots=True)
class CommittedBlock:
    height: int
    block: Block
    commit: Commit
    results: FinalizeResult
    app_hash: bytes


@dataclass(frozen=True, slots=True)
class Status:
    height: int  # the height being decided
    round: int
    step: str
    last_block_height: int
    last_block_time_ms: int
    last_app_hash: bytes
    validator_address: bytes | None
    voting_power: int
    validators: ValidatorSet


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class CatchupLimiter:
    """Who may get a catch-up reply now: one reply in flight per peer and `max_tasks` in all; a
    peer is answered again only after `interval`, or sooner once it asks past the blocks we last
    sent it (it applied them). Lagging or lying peers cannot make us resend the same blocks."""

    def __init__(self, interval: float, max_tasks: int = MAX_CATCHUP_TASKS, max_peers: int = MAX_CATCHUP_PEERS) -> None:
        self.interval = interval
        self.max_tasks = max_tasks
        self.max_peers = max_peers
        self._last: dict[str, tuple[float, int]] = {}  # peer -> (time, last height) of its last reply
        self._in_flight: set[str] = set()

    def try_start(self, peer: str, first: int, last: int, now: float) -> bool:
        """Reserve a reply of heights first..last to `peer` at `now`; `finish(peer)` once sent."""
        if peer in self._in_flight or len(self._in_flight) >= self.max_tasks:
            return False
        sent_at, sent_through = self._last.get(peer, (-math.inf, 0))
        if now - sent_at < self.interval and first <= sent_through:
            return False
        if peer not in self._last and len(self._last) >= self.max_peers:
            self._last = {p: v for p, v in self._last.items() if now - v[0] < self.interval}
            if len(self._last) >= self.max_peers:
                return False
        self._last[peer] = (now, last)
        self._in_flight.add(peer)
        return True

    def finish(self, peer: str) -> None:
        self._in_flight.discard(peer)


class Driver:
    """One node's consensus. `await nursery.start(driver.run)` once; it returns (started) after the
    handshake and WAL replay. `signer=None` runs a non-validator that follows the chain."""

    def __init__(
        self,
        chain_id: str,
        genesis: Genesis,
        app: Application,
        mempool: Mempool,
        block_store: BlockStore,
        state_kv: KV,
        signer: Signer | None,
        wal_path: str | Path,
        transport: Transport,
        config: Config = Config(),
        clock_ms: Callable[[], int] = wall_clock_ms,
        app_lock: trio.Lock | None = None,
        precheck: Precheck | None = None,
    ) -> None:
        """`precheck` is shared with the gossip validator when the node has one (see network.py)."""
        self.chain_id = chain_id
        self.genesis = genesis
        self.app = app
        self.mempool = mempool
        self.block_store = block_store
        self.state_kv = state_kv
        self.history = History(state_kv, genesis.evidence)
        self.signer = signer
        self.wal_path = Path(wal_path)
        self.transport = transport
        self.config = config
        self.clock_ms = clock_ms
        # Held while a block executes and commits in a worker thread: whoever else changes the app's
        # or the mempool's state (mempool admission) takes the same lock, so nothing races the commit.
        self.app_lock = trio.Lock() if app_lock is None else app_lock
        self._state: State | None = None
        self._wal: WAL | None = None
        self._nursery: trio.Nursery | None = None
        self.precheck = Precheck(config.max_message_bytes) if precheck is None else precheck
        self._events_send, self._events_recv = trio.open_memory_channel[tuple[Event, int]](MAX_PENDING_EVENTS)
        self._pending_bytes = 0  # of the peer messages in the channel
        self._taken: deque[Event] = deque()  # at most one: the event that ended a commit run
        self._dropped = 0  # peer messages dropped since the last log line
        self._drop_logged_at = -math.inf
        self._replaying = False
        self._wal_full_height = 0  # the height whose WAL bound was last reported
        self._catchup = CatchupLimiter(config.catchup_interval_ms / 1000)
        self._height_changed = trio.Event()
        self._txs_available = trio.Event()
        self._subscribers: list[trio.MemorySendChannel[CommittedBlock]] = []
        self.committed_height = 0  # the last height the app committed; set by the handshake
        self.on_wal_fsync: Callable[[float], None] | None = None  # set before run: hears each WAL fsync's seconds

    # Public API -----------------------------------------------------------------------------
    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Handshake, replay the WAL, then run consensus until cancelled."""
        chain = self._handshake()
        self.committed_height = chain.height - 1
        address = None if self.signer is None else self.signer.address
        self._state = State(chain, self.config, address, self.history)
        self._wal = WAL(self.wal_path, on_fsync=self.on_wal_fsync)
        if self._wal.repaired_bytes:
            log.warning("WAL %s: cut a torn last record of %d bytes", self.wal_path, self._wal.repaired_bytes)
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                await self._perform(self._state.start())
                await self._replay_wal()
                self.precheck.update(self._state.chain, self._state.round, self._state.past_validators, self.history)
                nursery.start_soon(self._receive_loop)
                task_status.started()
                async for event, size in self._events_recv:
                    self._pending_bytes -= size
                    await self._handle(event)
                    while self._taken:  # what a commit run took from the queue, in order
                        await self._handle(self._taken.popleft())
        finally:
            self._wal.close()

    async def wait_for_height(self, height: int) -> None:
        """Return once `height` is committed (app committed, listeners notified)."""
        while self.committed_height < height:
            await self._height_changed.wait()

    def subscribe(self, buffer: int = 64) -> trio.MemoryReceiveChannel[CommittedBlock]:
        """Committed blocks from now on; a subscriber more than `buffer` blocks behind is dropped."""
        send, receive = trio.open_memory_channel[CommittedBlock](buffer)
        self._subscribers.append(send)
        return receive

    def notify_txs_available(self) -> None:
        """The mempool holds txs (call it also from Mempool.update when txs remain)."""
        self._txs_available.set()

    def status(self) -> Status:
        state = self._require_state()
        chain = state.chain
        address = None if self.signer is None else self.signer.address
        me = None if address is None else chain.validators.by_address(address)
        return Status(
            chain.height, state.round, STEP_NAMES[state.step], chain.height - 1, chain.last_block_time_ms,
            chain.app_hash, address, 0 if me is None else me.power, chain.validators,
        )

    def validators(self, height: int) -> ValidatorSet | None:
        """The set of `height`, while within the evidence max age (see consensus.history)."""
        return self.history.validators_at(height)

    # Handshake ------------------------------------------------------------------------------
    def _require_state(self) -> State:
        if self._state is None:
            raise RuntimeError("the driver is not running yet")
        return self._state

    def _require_wal(self) -> WAL:
        if self._wal is None:
            raise RuntimeError("the WAL is not open")
        return self._wal

    def _require_nursery(self) -> trio.Nursery:
        if self._nursery is None:
            raise RuntimeError("the driver is not running")
        return self._nursery

    def _save_chain(self, chain: ChainState, decided: Block | None = None, sync: bool = True) -> None:
        """The chain state after `decided`, with what the History keeps of it, in one batch. After a
        block it needs no fsync (`sync=False`): every part of it follows from the fsynced block
        store and app, and the handshake rebuilds what a power loss took (see `_replay_blocks`)."""
        sets = ((chain.height, chain.validators), (chain.height + 1, chain.next_validators))
        puts, deletes = self.history.record(chain.height, sets, decided)
        self.state_kv.write({STATE_KEY: encode(chain), **puts}, deletes, sync=sync)
        self.history.recorded()

    def _handshake(self) -> ChainState:
        g = self.genesis
        info = self.app.info()
        raw = self.state_kv.get(STATE_KEY)
        if raw is None and info.last_height >= g.initial_height:
            raise HandshakeError(f"app is at height {info.last_height} but no consensus state is saved")
        if info.last_height < g.initial_height:
            response = self.app.init_chain(
                GenesisRequest(self.chain_id, g.genesis_time_ms, g.initial_height, g.app_state, g.validators)
            )
            if raw is None:
                validators = make_validator_set(response.validators or g.validators)
                self._save_chain(genesis_state(self.chain_id, g.initial_height, g.genesis_time_ms, validators, response.app_hash))
        chain = decode(ChainState, self.state_kv.get(STATE_KEY) or b"")
        return self._replay_blocks(chain, max(info.last_height, g.initial_height - 1))

    def _replay_blocks(self, chain: ChainState, app_height: int) -> ChainState:
        """Bring the app and the chain state up to the block store. A block and its results are
        fsynced before the app commits it, so a crash leaves the app at most one block behind the
        store, never ahead; the chain state is written without fsync, so a power loss may leave it
        any number of blocks behind: it is rebuilt from the stored blocks, their results and the
        app hashes the next blocks' headers carry."""
        state_height, store_height = chain.height - 1, self.block_store.height
        if state_height > store_height or app_height > store_height:
            raise HandshakeError(
                f"cannot reconcile block store {store_height}, consensus state {state_height}, app {app_height}"
            )
        for height in range(min(app_height, state_height) + 1, store_height + 1):
            block, commit = self._load_decided(height)
            if height > app_height:
                results, app_hash = self._execute(block)
            else:
                raw = self.block_store.results(height)
                if raw is None:
                    raise HandshakeError(f"app committed height {height} but its results were not saved")
                app_hash = (self.app.info().last_app_hash if height == app_height
                            else self._load_decided(height + 1)[0].header.app_hash)
                results = decode_results(raw)
            if height > state_height:
                chain = next_state(chain, block, commit, app_hash, results.validator_updates)
                self._save_chain(chain, block)
        return chain

    def _load_decided(self, height: int) -> tuple[Block, Commit]:
        raw_block, raw_commit = self.block_store.block(height), self.block_store.commit(height)
        if raw_block is None or raw_commit is None:
            raise HandshakeError(f"block store lacks block or commit {height}")
        return decode(Block, raw_block, max_size=self.config.max_message_bytes), decode(Commit, raw_commit)

    def _execute(self, block: Block) -> tuple[FinalizeResult, bytes]:
        results = self.app.finalize_block(block_request(block, self.validators(block.header.height - 1), self.history))
        self.block_store.save_results(block.header.height, encode_results(results))
        return results, self.app.commit()

    # The event loop -------------------------------------------------------------------------
    async def _replay_wal(self) -> None:
        self._replaying = True  # what is replayed is in the WAL already
        try:
            for record in self._require_wal().replay_records():
                match record:
                    case MessageRecord(message=message, peer=peer):
                        await self._perform(self._require_state().handle(MessageReceived(message, peer)))
                    case TimeoutRecord(height=h, round=r, step=s):
                        await self._perform(self._require_state().handle(TimeoutFired(h, r, s)))
        finally:
            self._replaying = False

    async def _receive_loop(self) -> None:
        async for data, peer in self.transport.receive_channel:
            checked = self.precheck.check(data)  # a cache hit for what the gossip validator passed
            if checked.verdict in (Verdict.MALFORMED, Verdict.BAD_SIGNATURE):
                log.debug("dropping a consensus message from %s: %s", peer, checked.verdict.value)
                continue
            # A cached verdict other than MALFORMED means these bytes decoded before.
            message = checked.message or decode_message(data, self.config.max_message_bytes)
            if checked.verdict is Verdict.OUT_OF_WINDOW and not isinstance(message, CommitMessage):
                continue  # the engine could only drop it; catch-up blocks ahead it may hold
            if isinstance(message, ProposalMessage) and message.proposal.height == self._require_state().height:
                self._txs_available.set()  # a peer proposes: do not hold our round 0 back
            self._enqueue_peer_message(MessageReceived(message, peer), len(data))

    def _enqueue_peer_message(self, event: MessageReceived, size: int) -> None:
        """Queue without waiting; over the count or byte bound the message is dropped (peers
        re-send what matters on the next round), so a flood cannot grow memory or stall gossip."""
        if self._pending_bytes + size <= MAX_PENDING_BYTES:
            try:
                self._events_send.send_nowait((event, size))
            except trio.WouldBlock:
                pass
            else:
                self._pending_bytes += size
                return
        self._dropped += 1
        now = trio.current_time()
        if now - self._drop_logged_at >= DROP_LOG_INTERVAL:
            log.warning("consensus loop is behind: dropped %d peer messages (%d bytes queued)",
                        self._dropped, self._pending_bytes)
            self._dropped, self._drop_logged_at = 0, now

    async def _handle(self, event: Event) -> None:
        wal = self._require_wal()
        state = self._require_state()
        match event:
            case MessageReceived(message=message) if self._wal_height_full(message):
                if self._wal_full_height != state.height:
                    self._wal_full_height = state.height
                    log.warning("WAL holds %d bytes for height %d: dropping peer input of it", wal.height_bytes, state.height)
                return
            case TimeoutFired(height=h, round=r, step=s):
                wal.write(TimeoutRecord(h, r, s))
        await self._perform(state.handle(event))
        self.precheck.update(state.chain, state.round, state.past_validators, self.history)

    def _wal_height_full(self, message: Message) -> bool:
        """Over the per-height WAL bound only self-certifying catch-up blocks are still handled
        (they need no record: a decision is saved to the block store before anything depends on it)."""
        return (self._require_wal().height_bytes > self.config.max_wal_bytes_per_height
                and not isinstance(message, CommitMessage))

    async def _perform(self, effects: list[Effect]) -> None:
        state = self._require_state()
        queue: deque[Effect] = deque(effects)
        while queue:
            effect = queue.popleft()
            match effect:
                case Broadcast(message=message):
                    await self.transport.broadcast(encode_message(message))
                case ScheduleTimeout():
                    self._require_nursery().start_soon(self._timer, effect)
                case SignVote(vote=vote, min_timestamp_ms=min_time):
                    if self.signer is not None:
                        stamped = replace(vote, timestamp_ms=max(self.clock_ms(), min_time))
                        queue.extend(await self._send_own(lambda: VoteMessage(self.signer.sign_vote(self.chain_id, stamped))))
                case SignProposal(proposal=proposal, block=block, pol_votes=pol_votes):
                    if self.signer is not None:
                        queue.extend(await self._send_own(
                            lambda: ProposalMessage(self.signer.sign_proposal(self.chain_id, proposal), block, pol_votes)
                        ))
                case RequestTxs(height=h, round=r):
                    max_bytes = self.config.max_block_bytes
                    txs = self.app.prepare_proposal(self.mempool.reap(max_bytes), max_bytes)
                    proof = self._prove_seed(h)
                    if proof is not None:
                        queue.extend(state.handle(TxsReady(h, r, tuple(txs), proof)))
                case ValidateBlock(height=h, block=block):
                    # A big block's signature checks would hold the loop; the app only reads here.
                    valid = await trio.to_thread.run_sync(self.app.process_proposal, block_request(block, history=self.history))
                    queue.extend(state.handle(BlockValidated(h, block.hash(), valid)))
                case Decide(block=block, commit=commit):
                    queue.extend(await self._commit(block, commit))
                case SendCommit(height=h, peer=peer):
                    last = min(h + MAX_CATCHUP_HEIGHTS, self.committed_height + 1) - 1
                    if last >= h and self._catchup.try_start(peer, h, last, trio.current_time()):
                        self._require_nursery().start_soon(self._send_commits, h, last, peer)
                case Persist(message=message, peer=peer):
                    if not self._replaying:
                        self._require_wal().write(MessageRecord(message, peer))

    async def _send_own(self, sign: Callable[[], Message]) -> list[Effect]:
        """Sign, make durable in the WAL, broadcast, then handle our own message."""
        try:
            message = sign()
        except DoubleSignError as exc:
            log.warning("not signing: %s", exc)  # expected while replaying the WAL after a restart
            return []
        self._require_wal().write(MessageRecord(message, ""), sync=True)
        await self.transport.broadcast(encode_message(message))
        return self._require_state().handle(MessageReceived(message, ""))

    def _prove_seed(self, height: int) -> bytes | None:
        """The VRF proof our block needs; without it (no signer, or one that refuses) we do not propose."""
        if self.signer is None:
            return None
        try:
            return self.signer.prove_seed(self.chain_id, height)
        except DoubleSignError as exc:
            log.warning("not proposing: no seed proof: %s", exc)
            return None

    async def _send_commits(self, first: int, last: int, peer: str) -> None:
        """A catch-up reply to `peer`, off the consensus loop (the limiter reserved it)."""
        try:
            for height in range(first, last + 1):
                raw_block, raw_commit = self.block_store.block(height), self.block_store.commit(height)
                if raw_block is None or raw_commit is None:
                    return  # not stored here (e.g. pruned): the peer must catch up elsewhere
                block = decode(Block, raw_block, max_size=self.config.max_message_bytes)
                await self.transport.broadcast(encode_message(CommitMessage(block, decode(Commit, raw_commit))))
        finally:
            self._catchup.finish(peer)

    async def _commit(self, block: Block, commit: Commit) -> list[Effect]:
        """Save, execute and commit `block` in a worker thread, so peers and clients are answered
        meanwhile. The order on disk is what the handshake recovers from: block and results (one
        fsync of the block store covers both, before the app commits; a crash before it loses only
        a block nothing depended on yet, which the WAL or a peer decides again), the app commit
        (fsynced), then the chain state and the WAL's end of height, neither fsynced. The chain
        state follows from the two fsynced stores, and the handshake rebuilds it. The end-height
        marker is made durable by the next synced WAL write (an own vote), and losing it only
        replays this height's records against the next height, where they are inputs of a decided
        height that the engine ignores."""
        async with self.app_lock:
            effects = await trio.to_thread.run_sync(self._commit_run, block, commit)
            self._txs_available = trio.Event()
            if len(self.mempool):  # txs the block left: the next height need not wait for a new one
                self._txs_available.set()
        return effects

    def _commit_run(self, block: Block, commit: Commit) -> list[Effect]:
        """Commit `block`, then, while the queued events decide the next block at once (catch-up
        blocks), that one too, up to MAX_COMMIT_RUN in all: block sync pays one thread hand-off
        per run of blocks, not two and a loop turn per block. The main task waits for this thread,
        so the state machine has no other caller meanwhile. A height's timer is dropped once the
        run passes the height (it would fire for a past height, which the engine ignores); any
        other effect ends the run, and the loop performs it."""
        state = self._require_state()
        for _ in range(MAX_COMMIT_RUN):
            height = block.header.height
            self.block_store.save(height, block.hash(), encode(block), encode(commit), [sha256(tx) for tx in block.txs],
                                  sync=False)
            results, app_hash = self._execute(block)
            effects = state.handle(Committed(height, app_hash, results.validator_updates))
            self._save_chain(state.chain, block, sync=False)
            self.mempool.update(height, block.txs)
            self._require_wal().write(EndHeightRecord(height))
            committed = CommittedBlock(height, block, commit, results, app_hash)
            if any(isinstance(e, Decide) for e in effects):  # a catch-up block held for the next height
                trio.from_thread.run_sync(self._notify, committed)
            else:
                effects.extend(self._decide_from_queue(state, committed))
            decide = next((e for e in effects if isinstance(e, Decide)), None)
            if decide is None or not all(e is decide or isinstance(e, ScheduleTimeout) for e in effects):
                return effects
            block, commit = decide.block, decide.commit
        return [Decide(block, commit)]

    def _decide_from_queue(self, state: State, committed: CommittedBlock) -> list[Effect]:
        """Announce `committed` (on the loop), then hand the state machine the queued catch-up
        blocks, in order, until one is decided. The first other event ends this and is kept for
        the main task (`_taken`), which handles it next, as it would have."""
        effects: list[Effect] = []
        event = trio.from_thread.run_sync(self._announce_and_take, committed)
        while event is not None:
            if not (isinstance(event, MessageReceived) and isinstance(event.message, CommitMessage)):
                self._taken.append(event)
                break
            effects.extend(state.handle(event))
            if any(isinstance(e, Decide) for e in effects):
                break
            event = trio.from_thread.run_sync(self._take_event)
        return effects

    def _announce_and_take(self, committed: CommittedBlock) -> Event | None:
        self._notify(committed)
        return self._take_event()

    def _take_event(self) -> Event | None:
        """The next queued event, if any (on the loop, for `_commit_run`)."""
        try:
            event, size = self._events_recv.receive_nowait()
        except trio.WouldBlock:
            return None
        self._pending_bytes -= size
        return event

    def _notify(self, committed: CommittedBlock) -> None:
        for send in list(self._subscribers):
            try:
                send.send_nowait(committed)
            except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
                self._subscribers.remove(send)
                send.close()
        self.committed_height = committed.height
        self._height_changed.set()
        self._height_changed = trio.Event()

    async def _timer(self, timeout: ScheduleTimeout) -> None:
        await trio.sleep(timeout.duration_ms / 1000)
        if timeout.step == NEW_HEIGHT and self._waits_for_txs(timeout.height):
            interval = self.config.create_empty_blocks_interval_ms
            with trio.move_on_after(interval / 1000 if interval > 0 else math.inf):
                await self._txs_available.wait()
        await self._events_send.send((TimeoutFired(timeout.height, timeout.round, timeout.step), 0))

    def _waits_for_txs(self, height: int) -> bool:
        """Without empty blocks, a height past the first waits for txs before round 0."""
        return not self.config.create_empty_blocks and height > self.genesis.initial_height

