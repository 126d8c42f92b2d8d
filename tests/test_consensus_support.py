"""Shared fixtures for the consensus tests: a toy app, a list mempool, keys and a simulated network.

The simulated network runs pure `State` engines under a deterministic scheduler (virtual time,
seeded randomness): messages may be delayed, dropped, duplicated and reordered before GST and
arrive within DELTA after it.
"""
from __future__ import annotations

import hashlib
import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from nacl.signing import SigningKey

from consensus.abci import (
    AppInfo,
    BlockRequest,
    CheckResult,
    FinalizeResult,
    GenesisRequest,
    GenesisResponse,
    TxResult,
    ValidatorUpdate,
)
from consensus.chain import ChainState, block_request as request, genesis_state, make_block
from consensus.config import Config
from consensus.privval import MemoryPV
from consensus.proposer import make_validator_set
from consensus.state_machine import (
    MAX_CATCHUP_HEIGHTS,
    BlockValidated,
    Broadcast,
    Committed,
    Decide,
    Effect,
    Event,
    MessageReceived,
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
    BlockID,
    Commit,
    CommitMessage,
    Message,
    ProposalMessage,
    VoteMessage,
)

CHAIN_ID = "test-chain"
GENESIS_TIME_MS = 1_700_000_000_000


def seed(i: int) -> bytes:
    return hashlib.sha256(b"validator-%d" % i).digest()


class CounterApp:
    """A KV app: tx b"k=v" sets k; b"val:<hex pub_key>:<power>" changes a validator; b"bad..." is invalid."""

    def __init__(self) -> None:
        self.state: dict[bytes, bytes] = {}
        self.pending: dict[bytes, bytes] = {}
        self.height = 0
        self.app_hash = b""
        self.pending_height = 0
        self.finalized: list[int] = []
        self.decided_last_commits: dict[int, tuple] = {}  # height -> BlockRequest.decided_last_commit

    def info(self) -> AppInfo:
        return AppInfo(self.height, self.app_hash)

    def init_chain(self, request: GenesisRequest) -> GenesisResponse:
        self.app_hash = self._hash(self.state)
        return GenesisResponse(self.app_hash, ())

    def check_tx(self, tx: bytes) -> CheckResult:
        return CheckResult(1, "bad tx") if tx.startswith(b"bad") else CheckResult(0)

    def prepare_proposal(self, txs: list[bytes], max_bytes: int) -> list[bytes]:
        return [tx for tx in txs if self.check_tx(tx).ok]

    def process_proposal(self, block: BlockRequest) -> bool:
        return all(self.check_tx(tx).ok for tx in block.txs)

    def finalize_block(self, block: BlockRequest) -> FinalizeResult:
        self.pending = dict(self.state)
        updates = []
        for tx in block.txs:
            if tx.startswith(b"val:"):
                _, key, power = tx.split(b":")
                updates.append(ValidatorUpdate(bytes.fromhex(key.decode()), int(power)))
            elif b"=" in tx:
                k, v = tx.split(b"=", 1)
                self.pending[k] = v
        self.pending[b"__height"] = str(block.height).encode()
        self.pending_height = block.height
        self.finalized.append(block.height)
        self.decided_last_commits[block.height] = block.decided_last_commit
        return FinalizeResult(tuple(TxResult(0) for _ in block.txs), tuple(updates), self._hash(self.pending))

    def commit(self) -> bytes:
        self.state, self.height = self.pending, self.pending_height
        self.app_hash = self._hash(self.state)
        return self.app_hash

    @staticmethod
    def _hash(state: dict[bytes, bytes]) -> bytes:
        h = hashlib.sha256()
        for k in sorted(state):
            h.update(len(k).to_bytes(4, "big") + k + len(state[k]).to_bytes(4, "big") + state[k])
        return h.digest()


class ListMempool:
    def __init__(self, txs: Sequence[bytes] = ()) -> None:
        self.txs = list(txs)

    def reap(self, max_bytes: int) -> list[bytes]:
        out, size = [], 0
        for tx in self.txs:
            if size + len(tx) > max_bytes:
                break
            out.append(tx)
            size += len(tx)
        return out

    def update(self, height: int, committed: Sequence[bytes]) -> None:
        done = set(committed)
        self.txs = [tx for tx in self.txs if tx not in done]

    def __len__(self) -> int:
        return len(self.txs)


def genesis_chain(powers: Sequence[int], app_hash: bytes | None = None) -> tuple[ChainState, list[MemoryPV]]:
    pvs = [MemoryPV(seed(i)) for i in range(len(powers))]
    vset = make_validator_set([ValidatorUpdate(pv.pub_key, p) for pv, p in zip(pvs, powers)])
    if app_hash is None:
        app_hash = CounterApp._hash({})
    return genesis_state(CHAIN_ID, 1, GENESIS_TIME_MS, vset, app_hash), pvs


# The driver commits in worker threads: virtual time may jump only once they had this long (real
# seconds) to report back, or a commit would look as slow as the next timeout.
THREADS_SETTLE = 0.02

FAST = Config(
    timeout_propose_ms=100, timeout_propose_delta_ms=50,
    timeout_prevote_ms=50, timeout_prevote_delta_ms=25,
    timeout_precommit_ms=50, timeout_precommit_delta_ms=25,
    timeout_commit_ms=20, max_block_bytes=64 * 1024, catchup_interval_ms=100,
)


@dataclass
class SimNode:
    name: str
    pv: MemoryPV | None
    behaviour: str  # "honest", "silent" or "equivocate"
    state: State | None
    app: CounterApp = field(default_factory=CounterApp)
    mempool: ListMempool = field(default_factory=ListMempool)
    decided: dict[int, tuple[Block, Commit]] = field(default_factory=dict)
    clock_skew_ms: int = 0


class Sim:
    """Deterministic network of pure engines; `run` advances virtual time."""

    def __init__(
        self, powers: Sequence[int], behaviours: Sequence[str], rng: random.Random, *, gst_ms: int = 0,
        drop: float = 0.0, duplicate: float = 0.0, max_delay_ms: int = 10, delta_ms: int = 10,
        config: Config = FAST, txs: Sequence[bytes] = (),
    ) -> None:
        self.chain, pvs = genesis_chain(powers)
        self.rng = rng
        self.gst_ms, self.drop, self.duplicate = gst_ms, drop, duplicate
        self.max_delay_ms, self.delta_ms = max_delay_ms, delta_ms
        self.config = config
        self.now = 0
        self._queue: list[tuple[int, int, int, Event]] = []
        self._seq = 0
        self.nodes: list[SimNode] = []
        for i, (pv, behaviour) in enumerate(zip(pvs, behaviours)):
            state = None if behaviour == "silent" else State(self.chain, config, pv.address)
            node = SimNode(f"n{i}", pv, behaviour, state, clock_skew_ms=rng.randint(0, 5))
            node.app.init_chain(GenesisRequest(CHAIN_ID, GENESIS_TIME_MS, 1, b"{}", ()))
            node.mempool.txs = list(txs)
            self.nodes.append(node)
        for i, node in enumerate(self.nodes):
            if node.state is not None:
                self._perform(i, node.state.start())

    @property
    def honest(self) -> list[SimNode]:
        return [n for n in self.nodes if n.behaviour == "honest"]

    # Scheduling -------------------------------------------------------------------------------
    def _push(self, at: int, dest: int, event: Event) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, dest, event))

    def _send(self, sender: int, dest: int, message: Message) -> None:
        if self.now < self.gst_ms:
            if self.rng.random() < self.drop:
                return
            copies = 2 if self.rng.random() < self.duplicate else 1
            for _ in range(copies):
                self._push(self.now + self.rng.randint(0, self.max_delay_ms), dest, MessageReceived(message, self.nodes[sender].name))
        else:
            self._push(self.now + self.rng.randint(1, self.delta_ms), dest, MessageReceived(message, self.nodes[sender].name))

    def _broadcast(self, sender: int, message: Message) -> None:
        for dest in range(len(self.nodes)):
            if dest != sender:
                self._send(sender, dest, message)

    def run(self, until_ms: int, stop=lambda sim: False) -> None:
        while self._queue and self._queue[0][0] <= until_ms and not stop(self):
            at, _, dest, event = heapq.heappop(self._queue)
            self.now = at
            node = self.nodes[dest]
            if node.state is None:
                continue
            self._perform(dest, node.state.handle(event))

    def min_height(self) -> int:
        return min(max(n.decided, default=0) for n in self.honest)

    # Effects --------------------------------------------------------------------------------
    def _perform(self, i: int, effects: list[Effect]) -> None:
        node = self.nodes[i]
        state = node.state
        assert state is not None
        queue = list(effects)
        while queue:
            effect = queue.pop(0)
            match effect:
                case Broadcast(message=m):
                    self._broadcast(i, m)
                case ScheduleTimeout(height=h, round=r, step=s, duration_ms=d):
                    self._push(self.now + d, i, TimeoutFired(h, r, s))
                case SignVote(vote=vote, min_timestamp_ms=min_time):
                    stamped = replace(vote, timestamp_ms=max(GENESIS_TIME_MS + self.now + node.clock_skew_ms, min_time))
                    signed = node.pv.sign_vote(CHAIN_ID, stamped)
                    if node.behaviour == "equivocate":
                        self._equivocate_vote(i, signed)
                    else:
                        self._broadcast(i, VoteMessage(signed))
                    queue.extend(state.handle(MessageReceived(VoteMessage(signed), "")))
                case SignProposal(proposal=p, block=block, pol_votes=pol):
                    message = ProposalMessage(node.pv.sign_proposal(CHAIN_ID, p), block, pol)
                    if node.behaviour == "equivocate":
                        self._equivocate_proposal(i, message)
                    else:
                        self._broadcast(i, message)
                    queue.extend(state.handle(MessageReceived(message, "")))
                case RequestTxs(height=h, round=r):
                    txs = node.app.prepare_proposal(node.mempool.reap(self.config.max_block_bytes), self.config.max_block_bytes)
                    queue.extend(state.handle(TxsReady(h, r, tuple(txs), node.pv.prove_seed(CHAIN_ID, h))))
                case ValidateBlock(height=h, block=block):
                    queue.extend(state.handle(BlockValidated(h, block.hash(), node.app.process_proposal(request(block)))))
                case Decide(block=block, commit=commit):
                    node.decided[block.header.height] = (block, commit)
                    result = node.app.finalize_block(request(block))
                    app_hash = node.app.commit()
                    node.mempool.update(block.header.height, block.txs)
                    queue.extend(state.handle(Committed(block.header.height, app_hash, result.validator_updates)))
                case SendCommit(height=h, peer=peer):
                    dest = next(j for j, n in enumerate(self.nodes) if n.name == peer)
                    for height in range(h, h + MAX_CATCHUP_HEIGHTS):
                        if height in node.decided:
                            self._send(i, dest, CommitMessage(*node.decided[height]))

    def _raw_sign(self, i: int, record):
        key = SigningKey(seed(i))
        return replace(record, signature=key.sign(record.sign_bytes(CHAIN_ID)).signature)

    def _equivocate_vote(self, i: int, vote) -> None:
        other_id = None if vote.block_id is not None else BlockID(hashlib.sha256(b"fake%d" % vote.round).digest())
        other = self._raw_sign(i, replace(vote, block_id=other_id, signature=b""))
        for dest in range(len(self.nodes)):
            if dest != i:
                pair = [vote, other]
                self.rng.shuffle(pair)
                for v in pair:
                    self._send(i, dest, VoteMessage(v))

    def _equivocate_proposal(self, i: int, message: ProposalMessage) -> None:
        state = self.nodes[i].state
        assert state is not None
        evil = make_block(state.chain, (b"bad-tx",), (), message.block.header.proposer_address,
                          message.block.header.seed_proof)
        evil_proposal = self._raw_sign(i, replace(message.proposal, block_id=evil.block_id, signature=b""))
        evil_message = ProposalMessage(evil_proposal, evil, ())
        for dest in range(len(self.nodes)):
            if dest != i:
                self._send(i, dest, message if dest % 2 else evil_message)
