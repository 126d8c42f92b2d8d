"""The Tendermint round state machine (Buchman-Kwon-Milosevic 2018, Algorithm 1) as a pure core.

`State.handle(event) -> [effects]`: no clock, I/O, randomness or threads. The shell (driver.py, or
a simulated network in tests) performs the effects and feeds back their outcomes as events:
signed messages come back as `MessageReceived` with peer "", built blocks as `TxsReady`, the
app's verdict as `BlockValidated` and the applied decision as `Committed`.

Beyond the paper, for liveness over a lossy network: a proposal carries the +2/3 prevotes of its
pol_round; on entering a round > 0 a node re-broadcasts its own messages of the height and the
proof of its valid block; a node learns a valid block from a polka of any round up to its own
(not just the current one); and a message from a lower height is answered with that height's
decided block and commit (`SendCommit`), which a lagging node accepts after verifying it; a late
precommit for the decided block is not such a message (its signer has the block), but it is added
to the decided round's votes, which a proposer's block carries as its last commit.
"""
from __future__ import annotations

from dataclasses import dataclass

from consensus.abci import ValidatorUpdate
from consensus.chain import (
    MAX_EVIDENCE_PER_BLOCK,
    ChainState,
    expected_time,
    make_block,
    next_state,
    validate_block,
    verify_commit,
    verify_evidence,
)
from consensus.config import Config
from consensus.history import History
from consensus.precheck import MAX_FUTURE_ROUNDS, Verdict, check_commit, message_height, verify_message
from consensus.proposer import proposer_for_round
from consensus.types import (
    FLAG_ABSENT,
    FLAG_COMMIT,
    FLAG_NIL,
    PRECOMMIT,
    PREVOTE,
    Block,
    BlockID,
    Commit,
    CommitMessage,
    CommitSig,
    ConsensusError,
    DuplicateVoteEvidence,
    EvidenceMessage,
    InvalidBlockError,
    Message,
    Proposal,
    ProposalMessage,
    Validator,
    ValidatorSet,
    Vote,
    VoteMessage,
    encode_message,
    verify_signature,
)
from consensus.vote_set import HeightVoteSet
from state.codec import CodecError

# Steps of a height (also the `step` of timeouts; NEW_HEIGHT's timeout is timeout_commit).
NEW_HEIGHT = 0
PROPOSE = 1
PREVOTE_STEP = 2
PRECOMMIT_STEP = 3
COMMIT = 4
STEP_NAMES = {NEW_HEIGHT: "new_height", PROPOSE: "propose", PREVOTE_STEP: "prevote", PRECOMMIT_STEP: "precommit", COMMIT: "commit"}

MAX_ABSENT_ROUNDS_NOTED = 8  # failed rounds of one height whose proposers are noted as absent
MAX_BUFFERED = 10_000  # messages held for the next height, and at most this many bytes of them:
MAX_BUFFERED_BYTES = 16 * 1024 * 1024  # only validators can sign them, but a byzantine one signs any number
MAX_CATCHUP_HEIGHTS = 16  # decided blocks sent per catch-up reply, and held while behind
MAX_COMMIT_CANDIDATES = 4  # catch-up blocks held per future height


# Events -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MessageReceived:
    message: Message
    peer: str  # "" for the node's own signed messages


@dataclass(frozen=True, slots=True)
class TimeoutFired:
    height: int
    round: int
    step: int


@dataclass(frozen=True, slots=True)
class TxsReady:
    """The shell reaped and prepared the txs for the block this node proposes."""

    height: int
    round: int
    txs: tuple[bytes, ...]
    seed_proof: bytes  # this node's VRF proof for the height (the signer holds the key)


@dataclass(frozen=True, slots=True)
class BlockValidated:
    """The app's process_proposal verdict on a structurally valid block."""

    height: int
    block_hash: bytes
    valid: bool


@dataclass(frozen=True, slots=True)
class Committed:
    """The shell saved, executed and committed the decided block."""

    height: int
    app_hash: bytes
    validator_updates: tuple[ValidatorUpdate, ...]


Event = MessageReceived | TimeoutFired | TxsReady | BlockValidated | Committed


# Effects ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Broadcast:
    message: Message


@dataclass(frozen=True, slots=True)
class SignVote:
    """Sign (timestamp = max(now, min_timestamp_ms)), WAL, broadcast and feed back `vote`."""

    vote: Vote
    min_timestamp_ms: int


@dataclass(frozen=True, slots=True)
class SignProposal:
    proposal: Proposal
    block: Block
    pol_votes: tuple[Vote, ...]


@dataclass(frozen=True, slots=True)
class ScheduleTimeout:
    height: int
    round: int
    step: int
    duration_ms: int


@dataclass(frozen=True, slots=True)
class RequestTxs:
    height: int
    round: int


@dataclass(frozen=True, slots=True)
class ValidateBlock:
    height: int
    block: Block


@dataclass(frozen=True, slots=True)
class Decide:
    block: Block
    commit: Commit


@dataclass(frozen=True, slots=True)
class SendCommit:
    """`peer` is behind at `height`: send it the stored blocks and commits from that height on
    (at most MAX_CATCHUP_HEIGHTS of them)."""

    height: int
    peer: str


@dataclass(frozen=True, slots=True)
class Persist:
    """Write this peer message to the WAL before any later effect is performed: the engine acted on
    it at the current height, and a restart must see it again (locks follow from peers' votes)."""

    message: Message
    peer: str


Effect = Broadcast | SignVote | SignProposal | ScheduleTimeout | RequestTxs | ValidateBlock | Decide | SendCommit | Persist


class State:
    """Round state of one node; only ever driven through `start` and `handle`."""

    def __init__(self, chain: ChainState, config: Config, address: bytes | None, history: History | None = None) -> None:
        """`history` (read-only here; the shell records decided heights in it) lets evidence of
        heights before the last one in, up to the evidence max age."""
        self.config = config
        self.address = address
        self.history = history
        self.pending_evidence: dict[bytes, DuplicateVoteEvidence] = {}
        self._future_commits: dict[int, list[MessageReceived]] = {}  # catch-up blocks for heights ahead
        # Proposers whose last turn passed without their block and who have not proposed since:
        # local liveness knowledge only (it shortens their propose timeout), never part of state.
        self.absent_proposers: set[bytes] = set()
        # Validator sets of the last decided heights, so a lagging validator's messages can be
        # verified before we answer them with catch-up blocks. Replaced (never mutated) per height.
        self.past_validators: dict[int, ValidatorSet] = {}
        self._effects: list[Effect] = []
        self._enter_height(chain)

    # Public API ---------------------------------------------------------------------------
    def start(self) -> list[Effect]:
        """Effects to begin the current height (after construction or a restart)."""
        return [ScheduleTimeout(self.height, 0, NEW_HEIGHT, 0)]

    def handle(self, event: Event) -> list[Effect]:
        self._effects = []
        self._dispatch(event)
        effects, self._effects = self._effects, []
        return effects

    @property
    def proposer(self) -> Validator:
        return self._proposer(self.round)

    @property
    def buffered_bytes(self) -> int:
        """Encoded size of the next-height messages held (at most MAX_BUFFERED_BYTES)."""
        return self._future_bytes

    @property
    def future_commit_count(self) -> int:
        """Catch-up blocks held for heights ahead (each verified before it took a slot)."""
        return sum(len(c) for c in self._future_commits.values())

    # Height and round transitions -----------------------------------------------------------
    def _enter_height(self, chain: ChainState, last_votes: HeightVoteSet | None = None) -> None:
        past = {h: v for h, v in self.past_validators.items() if h >= chain.height - MAX_CATCHUP_HEIGHTS}
        if chain.last_validators is not None:
            past[chain.height - 1] = chain.last_validators
        self.past_validators = past
        # Late votes of the decided height: checked for equivocation, and its late precommits for the
        # decided block go into the last commit of the block this node proposes (`_last_commit`).
        self.last_votes = last_votes
        self.chain = chain
        self.height = chain.height
        self.round = 0
        self.step = NEW_HEIGHT
        self.votes = HeightVoteSet(chain.chain_id, chain.height, chain.validators)
        self.proposals: dict[int, ProposalMessage] = {}
        self.validity: dict[bytes, bool] = {}
        self.locked_round, self.locked_block = -1, None
        self.valid_round, self.valid_block = -1, None
        self.decision: tuple[Block, Commit] | None = None
        self._proposers: dict[int, Validator] = {}
        self._validation_requested: set[bytes] = set()
        self._done: set[tuple[object, ...]] = set()  # "for the first time" guards of the paper's rules
        self._own: list[Message] = []
        self._future: list[MessageReceived] = []
        self._future_bytes = 0
        self._catchup_sent: set[str] = set()  # peers answered this round: one catch-up each
        self.pending_evidence = {k: e for k, e in self.pending_evidence.items() if self._may_carry(e)}

    def _may_carry(self, evidence: DuplicateVoteEvidence, block_time_ms: int | None = None) -> bool:
        """A block of this height (at `block_time_ms`) may still carry `evidence`."""
        try:
            verify_evidence(self.chain, evidence, self.history, block_time_ms)
        except ConsensusError:
            return False
        return True

    def _start_round(self, round: int) -> None:
        self.round, self.step = round, PROPOSE
        self._catchup_sent.clear()
        if round > 0:
            self._rebroadcast()
        proposer = self._proposer(round).address
        self._schedule(PROPOSE, self.config.propose_timeout(round, proposer in self.absent_proposers))
        if proposer != self.address:
            return
        if self.valid_block is not None:
            self._propose(self.valid_block, self.valid_round)
        else:
            self._emit(RequestTxs(self.height, round))

    def _rebroadcast(self) -> None:
        """Re-send what peers may have lost, so progress does not depend on one delivery."""
        for message in self._own:
            self._emit(Broadcast(message))
        if self.valid_block is not None and self.valid_round in self.proposals:
            self._emit(Broadcast(self.proposals[self.valid_round]))
            for vote in self.votes.prevotes(self.valid_round).votes_for(self.valid_block.block_id):
                self._emit(Broadcast(VoteMessage(vote)))

    def _proposer(self, round: int) -> Validator:
        proposer = self._proposers.get(round)
        if proposer is None:
            proposer = self._proposers[round] = proposer_for_round(self.chain.validators, round)
        return proposer

    # Emitting -------------------------------------------------------------------------------
    def _emit(self, effect: Effect) -> None:
        self._effects.append(effect)

    def _schedule(self, step: int, duration_ms: int) -> None:
        self._emit(ScheduleTimeout(self.height, self.round, step, duration_ms))

    def _propose(self, block: Block, pol_round: int) -> None:
        self._done.add(("propose", self.round))
        pol_votes = self.votes.prevotes(pol_round).votes_for(block.block_id) if pol_round >= 0 else ()
        proposal = Proposal(self.height, self.round, pol_round, block.block_id, block.header.time_ms)
        self._emit(SignProposal(proposal, block, pol_votes))

    def _vote(self, type: int, block: Block | None) -> None:
        index = None if self.address is None else self.chain.validators.index_of(self.address)
        if index is None:
            return
        block_id = None if block is None else block.block_id
        # Vote times must exceed the voted block's time so BFT time stays monotonic.
        min_time = (block.header.time_ms if block is not None else self.chain.last_block_time_ms) + 1
        vote = Vote(type, self.height, self.round, block_id, 0, self.address, index)
        self._emit(SignVote(vote, min_time))

    # Unlike the paper, the step timeout starts on entering the step, not on +2/3 votes: with
    # lossy links those votes may never come, and the next round's re-broadcast heals the loss.
    def _prevote(self, block: Block | None) -> None:
        self._vote(PREVOTE, block)
        self.step = PREVOTE_STEP
        self._schedule_once(PREVOTE_STEP, self.config.prevote_timeout(self.round))

    def _precommit(self, block: Block | None) -> None:
        self._vote(PRECOMMIT, block)
        self.step = PRECOMMIT_STEP
        self._schedule_once(PRECOMMIT_STEP, self.config.precommit_timeout(self.round))

    def _schedule_once(self, step: int, duration_ms: int) -> bool:
        if ("timeout", step, self.round) in self._done:
            return False
        self._done.add(("timeout", step, self.round))
        self._schedule(step, duration_ms)
        return True

    def _decide(self, block: Block, commit: Commit) -> None:
        self.decision = (block, commit)
        self.step = COMMIT
        self._emit(Decide(block, commit))

    # Dispatch -------------------------------------------------------------------------------
    def _dispatch(self, event: Event) -> None:
        match event:
            case MessageReceived():
                try:
                    self._on_message(event)
                except (ConsensusError, CodecError):
                    return  # malformed or invalid input is dropped; nothing changed
            case TimeoutFired():
                self._on_timeout(event)
            case TxsReady():
                self._on_txs_ready(event)
            case BlockValidated(height=height, block_hash=block_hash, valid=valid):
                if height == self.height:
                    self.validity[block_hash] = valid
            case Committed():
                self._on_committed(event)
                return
        self._apply_rules()

    def _on_message(self, event: MessageReceived) -> None:
        message = event.message
        height = message_height(message)
        if isinstance(message, EvidenceMessage):
            self._add_evidence(message.evidence)
            return
        if height < self.height:
            self._on_lower_height(event, height)
            return
        if height > self.height:
            if isinstance(message, CommitMessage):
                self._hold_future_commit(event, message, height)
            elif height == self.height + 1:
                self._buffer_next_height(event)
            return
        if self.decision is not None:
            if isinstance(message, VoteMessage):
                self._add_vote(message.vote)  # a late precommit still joins the next block's last commit
            return
        accepted = False
        match message:
            case ProposalMessage():
                accepted = self._on_proposal(message)
            case VoteMessage(vote=vote):
                accepted = self._add_vote(vote)
            case CommitMessage():
                self._on_commit(message)  # self-certifying, and decided at once: no WAL record needed
        if accepted and event.peer:
            self._emit(Persist(message, event.peer))

    def _on_lower_height(self, event: MessageReceived, height: int) -> None:
        """A verified message of a decided height comes from a lagging validator: answer it (once
        a round; the shell rate-limits per peer). Anything unverified costs us no reply."""
        message = event.message
        if isinstance(message, CommitMessage):
            return
        if verify_message(message, self.chain, self.round, self.past_validators) is not Verdict.VERIFIED:
            return
        if isinstance(message, VoteMessage) and self.last_votes is not None and height == self.last_votes.height:
            self._add_vote_to(self.last_votes, message.vote)
            if self._signs_last_block(message.vote):
                return  # a late precommit: its signer has the block, and the precommits reach it by gossip
        if event.peer and event.peer not in self._catchup_sent:
            self._catchup_sent.add(event.peer)
            self._emit(SendCommit(height, event.peer))

    def _hold_future_commit(self, event: MessageReceived, message: CommitMessage, height: int) -> None:
        """Keep a few catch-up blocks per height ahead, each signed by +2/3 of the newest validator
        set known (exact for H+1; a later change of the set only costs a re-fetch by block sync)."""
        if height > self.height + MAX_CATCHUP_HEIGHTS:
            return
        candidates = self._future_commits.get(height, [])
        if len(candidates) >= MAX_COMMIT_CANDIDATES or any(c.message == message for c in candidates):
            return
        if check_commit(self.chain.chain_id, self.chain.next_validators, message) is Verdict.VERIFIED:
            self._future_commits.setdefault(height, []).append(event)

    def _buffer_next_height(self, event: MessageReceived) -> None:
        """Hold verified next-height messages, bounded by count and bytes."""
        size = len(encode_message(event.message))
        if len(self._future) >= MAX_BUFFERED or self._future_bytes + size > MAX_BUFFERED_BYTES:
            return
        if verify_message(event.message, self.chain, self.round) is Verdict.VERIFIED:
            self._future.append(event)
            self._future_bytes += size

    def _on_proposal(self, message: ProposalMessage) -> bool:
        """True if `message` is this round's new proposal (now held)."""
        p = message.proposal
        if p.round in self.proposals or p.round > self.round + MAX_FUTURE_ROUNDS:
            return False
        # Verify the proposer of the round signed it and the block is the one it names.
        proposer = self._proposer(p.round)
        if not verify_signature(proposer.pub_key, p.sign_bytes(self.chain.chain_id), p.signature):
            raise InvalidBlockError(f"proposal for round {p.round} is not signed by its proposer")
        if message.block.hash() != p.block_id.hash:
            raise InvalidBlockError("proposal block hash does not match its block")
        validate_block(self.chain, message.block, self.config.max_block_bytes, self.history)
        for vote in message.pol_votes:
            if vote.type == PREVOTE and vote.round == p.pol_round and vote.block_id == p.block_id:
                self._add_vote_quietly(vote)
        self.proposals[p.round] = message
        self.absent_proposers.discard(proposer.address)
        if proposer.address == self.address:
            self._own.append(message)
        block_hash = p.block_id.hash
        if block_hash not in self.validity and block_hash not in self._validation_requested:
            self._validation_requested.add(block_hash)
            self._emit(ValidateBlock(self.height, message.block))
        return True

    def _add_vote_quietly(self, vote: Vote) -> None:
        try:
            self._add_vote(vote)
        except ConsensusError:
            pass  # one bad vote in a bundle must not hide the good ones

    def _add_vote(self, vote: Vote) -> bool:
        """True if `vote` is new to this height's tallies."""
        if vote.round > self.round + MAX_FUTURE_ROUNDS or not self._add_vote_to(self.votes, vote):
            return False
        if vote.validator_address == self.address:
            self._own.append(VoteMessage(vote))
        return True

    def _add_vote_to(self, votes: HeightVoteSet, vote: Vote) -> bool:
        known_evidence = len(votes.evidence)
        if not votes.add(vote):
            return False
        for evidence in votes.evidence[known_evidence:]:
            self._add_evidence(evidence)
        return True

    def _add_evidence(self, evidence: DuplicateVoteEvidence) -> None:
        key = evidence.hash()
        if key in self.pending_evidence:
            return
        verify_evidence(self.chain, evidence, self.history)
        self.pending_evidence[key] = evidence
        self._emit(Broadcast(EvidenceMessage(evidence)))

    def _on_commit(self, message: CommitMessage) -> None:
        commit, block = message.commit, message.block
        if block.hash() != commit.block_id.hash:
            raise InvalidBlockError("catch-up block does not match its commit")
        verify_commit(self.chain.chain_id, self.chain.validators, commit.block_id, self.height, commit)
        validate_block(self.chain, block, self.config.max_block_bytes, self.history)
        self._decide(block, commit)

    def _on_timeout(self, t: TimeoutFired) -> None:
        if t.height != self.height or self.decision is not None:
            return
        if t.step == NEW_HEIGHT and self.step == NEW_HEIGHT:
            self._start_round(0)
        elif t.round != self.round:
            return
        elif t.step == PROPOSE and self.step == PROPOSE:
            self._prevote(None)
        elif t.step == PREVOTE_STEP and self.step == PREVOTE_STEP:
            self._precommit(None)
        elif t.step == PRECOMMIT_STEP and self.step != NEW_HEIGHT:
            self._start_round(self.round + 1)

    def _on_txs_ready(self, event: TxsReady) -> None:
        if (event.height, event.round) != (self.height, self.round) or self.step != PROPOSE:
            return
        if self._proposer(self.round).address != self.address or ("propose", self.round) in self._done:
            return
        last_commit = self._last_commit()
        block_time = expected_time(self.chain, last_commit)
        carried = (e for e in self.pending_evidence.values() if self._may_carry(e, block_time))
        evidence = tuple(sorted(carried, key=lambda e: e.hash()))[:MAX_EVIDENCE_PER_BLOCK]
        self._propose(make_block(self.chain, event.txs, evidence, self.address, event.seed_proof, last_commit), -1)

    def _signs_last_block(self, vote: Vote) -> bool:
        """`vote` is a precommit for the last decided block in the round it was decided in."""
        commit = self.chain.last_commit
        return (commit is not None and vote.type == PRECOMMIT and vote.height == commit.height
                and vote.round == commit.round and vote.block_id == commit.block_id)

    def _last_commit(self) -> Commit | None:
        """The commit the last block was decided by, its absent slots filled with the precommits
        for that block that arrived since (CometBFT's LastCommit): a validator slower than the
        first +2/3 is still credited for signing (uptime, rewards)."""
        commit = self.chain.last_commit
        if commit is None or self.last_votes is None or self.last_votes.height != commit.height:
            return commit
        late = self.last_votes.precommits(commit.round).by_block.get(commit.block_id, {})
        signatures = tuple(
            CommitSig(FLAG_COMMIT, late[i].validator_address, late[i].timestamp_ms, late[i].signature)
            if sig.flag == FLAG_ABSENT and i in late else sig
            for i, sig in enumerate(commit.signatures)
        )
        return Commit(commit.height, commit.round, commit.block_id, signatures)

    def _on_committed(self, event: Committed) -> None:
        if self.decision is None or event.height != self.height:
            return
        block, commit = self.decision
        future = self._future
        self._note_absent_proposers(commit.round)
        self._enter_height(next_state(self.chain, block, commit, event.app_hash, event.validator_updates), self.votes)
        self._schedule(NEW_HEIGHT, self.config.timeout_commit_ms)
        self._future_commits = {h: e for h, e in self._future_commits.items() if h >= self.height}
        for buffered in self._future_commits.pop(self.height, []) + future:
            self._dispatch(buffered)
        self._apply_rules()

    def _note_absent_proposers(self, decided_round: int) -> None:
        """Proposers of the rounds before the deciding one missed their turn, unless their
        proposal reached us; the deciding round's proposer is live."""
        for round in range(min(decided_round, MAX_ABSENT_ROUNDS_NOTED)):
            if round not in self.proposals:
                self.absent_proposers.add(self._proposer(round).address)
        if decided_round < MAX_ABSENT_ROUNDS_NOTED:
            self.absent_proposers.discard(self._proposer(decided_round).address)

    # The upon-rules of Algorithm 1, re-checked until none fires ------------------------------
    def _apply_rules(self) -> None:
        rules = (
            self._rule_decide,
            self._rule_skip_round,
            self._rule_prevote_fresh_proposal,
            self._rule_prevote_pol_proposal,
            self._rule_polka_for_proposal,
            self._rule_learn_valid_block,
            self._rule_polka_nil,
            self._rule_polka_any,
            self._rule_precommit_nil,
            self._rule_precommit_any,
        )
        while self.decision is None and any(rule() for rule in rules):
            pass

    def _is_valid(self, message: ProposalMessage) -> bool | None:
        return self.validity.get(message.proposal.block_id.hash)

    def _matches_lock(self, block_id: BlockID) -> bool:
        return self.locked_block is not None and self.locked_block.block_id == block_id

    def _rule_decide(self) -> bool:
        """L49: a proposal of any round with +2/3 precommits for it is decided."""
        for round, message in self.proposals.items():
            block_id = message.proposal.block_id
            if self.votes.precommits(round).has_two_thirds_for(block_id):
                self._decide(message.block, self._make_commit(round, block_id))
                return True
        return False

    def _rule_skip_round(self) -> bool:
        """L55: f+1 voting power is already in a higher round."""
        for round in self.votes.rounds():
            if round > self.round and self.votes.has_one_third_any(round):
                self._start_round(round)
                return True
        return False

    def _rule_prevote_fresh_proposal(self) -> bool:
        """L22: a new proposal (pol_round -1) in the propose step."""
        message = self.proposals.get(self.round)
        if self.step != PROPOSE or message is None or message.proposal.pol_round != -1:
            return False
        valid = self._is_valid(message)
        if valid is None:
            return False
        ok = valid and (self.locked_round == -1 or self._matches_lock(message.proposal.block_id))
        self._prevote(message.block if ok else None)
        return True

    def _rule_prevote_pol_proposal(self) -> bool:
        """L28: a re-proposal justified by +2/3 prevotes of its pol_round."""
        message = self.proposals.get(self.round)
        if self.step != PROPOSE or message is None or message.proposal.pol_round < 0:
            return False
        p = message.proposal
        valid = self._is_valid(message)
        if valid is None or not self.votes.prevotes(p.pol_round).has_two_thirds_for(p.block_id):
            return False
        ok = valid and (self.locked_round <= p.pol_round or self._matches_lock(p.block_id))
        self._prevote(message.block if ok else None)
        return True

    def _rule_polka_for_proposal(self) -> bool:
        """L36: +2/3 prevotes for this round's valid proposal: lock and precommit it."""
        message = self.proposals.get(self.round)
        if self.step not in (PREVOTE_STEP, PRECOMMIT_STEP) or message is None or ("polka", self.round) in self._done:
            return False
        if not self._is_valid(message) or not self.votes.prevotes(self.round).has_two_thirds_for(message.proposal.block_id):
            return False
        self._done.add(("polka", self.round))
        if self.step == PREVOTE_STEP:
            self.locked_round, self.locked_block = self.round, message.block
            self._precommit(message.block)
        self.valid_round, self.valid_block = self.round, message.block
        return True

    def _rule_learn_valid_block(self) -> bool:
        """A polka from an earlier round newer than valid_round updates the valid block only."""
        for round, message in self.proposals.items():
            if self.valid_round < round < self.round and self._is_valid(message):
                if self.votes.prevotes(round).has_two_thirds_for(message.proposal.block_id):
                    self.valid_round, self.valid_block = round, message.block
                    return True
        return False

    def _rule_polka_nil(self) -> bool:
        """L44: +2/3 prevotes for nil."""
        if self.step != PREVOTE_STEP or not self.votes.prevotes(self.round).has_two_thirds_for(None):
            return False
        self._precommit(None)
        return True

    def _rule_polka_any(self) -> bool:
        """L34: +2/3 prevotes for anything: start the prevote timeout once."""
        if self.step != PREVOTE_STEP or not self.votes.prevotes(self.round).has_two_thirds_any():
            return False
        return self._schedule_once(PREVOTE_STEP, self.config.prevote_timeout(self.round))

    def _rule_precommit_nil(self) -> bool:
        """+2/3 precommits for nil: this round cannot decide, so go to the next one at once
        (as CometBFT; the paper waits out the precommit timeout)."""
        if self.step == NEW_HEIGHT or not self.votes.precommits(self.round).has_two_thirds_for(None):
            return False
        self._start_round(self.round + 1)
        return True

    def _rule_precommit_any(self) -> bool:
        """L47: +2/3 precommits for anything: start the precommit timeout once."""
        if self.step == NEW_HEIGHT or not self.votes.precommits(self.round).has_two_thirds_any():
            return False
        return self._schedule_once(PRECOMMIT_STEP, self.config.precommit_timeout(self.round))

    def _make_commit(self, round: int, block_id: BlockID) -> Commit:
        precommits = self.votes.precommits(round)
        for_block = precommits.by_block.get(block_id, {})
        sigs = []
        for i in range(len(self.chain.validators)):
            vote = for_block.get(i)
            flag = FLAG_COMMIT
            if vote is None:
                vote, flag = precommits.by_block.get(None, {}).get(i), FLAG_NIL
            if vote is None:
                sigs.append(CommitSig(FLAG_ABSENT, b"", 0, b""))
            else:
                sigs.append(CommitSig(flag, vote.validator_address, vote.timestamp_ms, vote.signature))
        return Commit(self.height, round, block_id, tuple(sigs))
