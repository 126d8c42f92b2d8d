"""The AKE state machine behind the consensus interface (`consensus.abci.Application`).

State lives in a `CommitStore`; each block runs in a `Journal` (typed write-through cache) that
`commit` encodes once and persists as version = height. Each tx takes a snapshot after its fee and
nonce are charged, so a failing message reverts to that point: fee and nonce stay, nothing else.
Admission (`check_tx`) runs the same ante checks in a second Journal stacked on committed state,
which is how several txs from one account (nonces n, n+1, …) are admitted before a block commits.
Only the block (height, BFT time, the previous commit hash as randomness) and its txs feed the
transition, through a frozen `BlockContext` given to every handler and end-of-block hook: no wall
clock, no `random`, no floats. After the txs, the end-of-block hooks run the work queued for this
height (market: bid windows, escrow run-outs, settlements, deadlines, staking's matured unbondings),
then the validator set's source (staking) returns the changes of the active set for consensus.
At genesis, the signed txs genesis sections carry (staking's gentxs) run like a block's txs, and
`init_chain` answers the validator set they bonded.
"""
from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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
from akechain.chain.codec import AppError, GenesisError, InternalError, InvalidMsgError
from akechain.chain.crypto import SignatureCheck, format_address, verify_signatures
from akechain.chain.genesis import export_app_state, get_genesis_txs, init_app_state
from akechain.chain.ante import process_ante
from akechain.chain.modules.auth.keeper import get_account, get_account_key
from akechain.chain.modules.auth.params import PARAMS as AUTH_PARAMS
from akechain.chain.modules.bank.keeper import Supply, get_balance, get_balance_key, get_supply
from akechain.chain.modules.upgrade.errors import UpgradeHaltError
from akechain.chain.modules.upgrade.preblock import process_pre_block
from akechain.chain.registry import DEFAULT_REGISTRY, Registry
from akechain.chain.store import BlockContext, Event, Journal, StoreView
from akechain.chain.tx import Tx, compute_tx_hash, decode_tx, get_sender, signature_check, verify_chain_id, verify_signature
from state import smt
from state.kv import MemoryKV
from state.store import CommitStore

CHAIN_ID_META = b"chain_id"
MAX_VERIFIED_TXS = 100_000  # well above a full mempool, so admitted txs are not verified twice
log = logging.getLogger(__name__)


class AppStateError(RuntimeError):
    """The engine called the app out of order (a bug in the caller, not a bad tx)."""


@dataclass(frozen=True, slots=True)
class AccountInfo:
    address: str
    balance: int
    nonce: int
    pub_key: bytes


@dataclass(frozen=True, slots=True)
class AccountProof:
    """Proofs of an account's record and balance against the app hash of `height`."""

    height: int
    root: bytes
    account_key: bytes
    account_value: bytes | None
    account_proof: smt.Proof
    balance_key: bytes
    balance_value: bytes | None
    balance_proof: smt.Proof


def compute_genesis_root(journal: Journal) -> bytes:
    """The root of the genesis state, computed in a scratch store: genesis is committed together
    with block 1 as version 1, and the root depends only on the key/values, not on the version."""
    return CommitStore(MemoryKV()).commit(1, journal.changes())


class App:
    def __init__(self, store: CommitStore, registry: Registry = DEFAULT_REGISTRY,
                 verify_batch: Callable[[Sequence[SignatureCheck]], list[bool]] = verify_signatures) -> None:
        """`registry` lists the modules (default: the chain's own; tests add toy modules);
        `verify_batch` runs `verify_txs`' signature checks (the node gives it a worker process)."""
        self._store = store
        self._registry = registry
        self._verify_batch = verify_batch
        chain_id = store.get_meta(CHAIN_ID_META)
        self.chain_id = "" if chain_id is None else chain_id.decode()
        self._block: Journal | None = None  # genesis and/or the finalized block awaiting commit
        self._finalized_height = 0
        self._initial_height = 1  # the first block's height, of a chain imported from an export above 1
        self._check = self._new_committed_journal()
        # tx hash -> decoded tx with a valid signature and chain id. verify_txs fills it from worker
        # threads: only single OrderedDict calls touch it, each atomic under the GIL.
        self._verified: OrderedDict[bytes, Tx] = OrderedDict()

    # -- consensus interface ------------------------------------------------------------------

    def info(self) -> AppInfo:
        version, root = self._store.head()
        return AppInfo(last_height=version, last_app_hash=root if version else b"")

    def init_chain(self, request: GenesisRequest) -> GenesisResponse:
        # Verify the chain is new and starts where the store can
        if self._store.version != 0:
            raise AppStateError(f"init_chain on a store already at height {self._store.version}")
        if request.initial_height < 1:
            raise GenesisError(f"initial_height must be at least 1, got {request.initial_height}")
        try:
            app_state = json.loads(request.app_state)
        except ValueError as exc:
            raise GenesisError(f"app_state is not JSON: {exc}") from exc
        journal = self._new_committed_journal()
        init_app_state(journal, app_state, self._registry)
        journal.forget_undo()
        self.chain_id = request.chain_id
        ctx = BlockContext(height=request.initial_height - 1, time_ms=request.genesis_time_ms, random_seed=b"",
                           hooks=self._registry.hooks, params=self._registry.params,
                           handlers=self._registry.handlers, chain_id=self.chain_id)
        max_tx_bytes = AUTH_PARAMS.get(journal).max_tx_bytes
        for i, tx in enumerate(get_genesis_txs(app_state, self._registry)):
            result = self._process_tx(journal, ctx, tx, max_tx_bytes)
            # Verify every gentx applies: a genesis whose validator cannot bond is not a chain
            if not result.ok:
                raise GenesisError(f"genesis tx {i} failed with code {result.code}: {result.log}")
        validators: tuple[ValidatorUpdate, ...] = ()
        source = self._registry.validator_set
        if source is not None:
            source.updates(journal, ctx)
            validators = tuple(source.current(journal))
        journal.forget_undo()
        self._block = journal
        self._initial_height = request.initial_height
        self._check = Journal(journal.get_bytes, journal.get_keys)
        return GenesisResponse(app_hash=compute_genesis_root(journal), validators=validators)

    def check_tx(self, tx: bytes) -> CheckResult:
        """Admission: stateless checks plus nonce and fee against committed state and the txs
        admitted since; on success the fee and nonce are charged in the admission view only."""
        journal = self._check
        snapshot = journal.snapshot()
        try:
            decoded = self._get_verified_tx(tx, AUTH_PARAMS.get(journal).max_tx_bytes)
            sender = get_sender(decoded)
            process_ante(journal, decoded, sender, len(tx), self._registry.compute_tx_work(decoded.body.msgs))
        except Exception as exc:  # noqa: BLE001  a bad tx is refused, whatever it breaks
            journal.revert(snapshot)
            error = as_app_error(exc)
            return CheckResult(code=error.code, log=str(error))
        journal.forget_undo()
        return CheckResult(code=0, priority=decoded.body.fee, sender=sender, nonce=decoded.body.nonce)

    def verify_tx(self, tx: bytes) -> None:
        """The stateless part of admission (decode, chain id, signature), for gossip validators; the
        verdict is cached, so check_tx of the same bytes does not verify the signature again.
        Raises AppError (InvalidSignatureError for a bad signature)."""
        self._get_verified_tx(tx, AUTH_PARAMS.get(self._current_view()).max_tx_bytes)

    def tx_sender(self, tx: bytes) -> bytes | None:
        """The signer of a tx that decodes and is validly signed for this chain (a cached verdict after
        `verify_txs`), else None; reads no state, so a refusal based on it leaves the admission view alone."""
        try:
            return get_sender(self._get_verified_tx(tx, AUTH_PARAMS.get(self._current_view()).max_tx_bytes))
        except Exception:  # noqa: BLE001  check_tx refuses it with its reason
            return None

    def verify_txs(self, txs: Sequence[bytes]) -> None:
        """`verify_tx` for a batch ahead of check_tx or finalize_block, which then find the verdicts
        cached. Safe in worker threads beside any other call. The txs are decoded here and their
        signatures checked in one `verify_batch` call: in the node a worker process, so the checks
        use the other core without waiting for this process's GIL (a thread calling pynacl per tx
        waits for it after every check while the loop or a commit runs Python). A refused tx is
        refused again, with its reason, when it is checked in order."""
        max_tx_bytes = AUTH_PARAMS.get(self._current_view()).max_tx_bytes
        pending: list[tuple[bytes, Tx]] = []
        checks: list[SignatureCheck] = []
        for tx_bytes in txs:
            tx_hash = compute_tx_hash(tx_bytes)
            if tx_hash in self._verified:
                continue
            try:
                tx = self._decode_for_chain(tx_bytes, max_tx_bytes)
                check = signature_check(tx)
                if check is None:  # a multisig: several checks, rare enough to run here
                    verify_signature(tx)
                    self._remember_verified(tx_hash, tx)
                    continue
            except Exception:  # noqa: BLE001  refused with its reason in check_tx or finalize_block
                continue
            pending.append((tx_hash, tx))
            checks.append(check)
        for (tx_hash, tx), valid in zip(pending, self._verify_batch(checks)):
            if valid:
                self._remember_verified(tx_hash, tx)

    def prepare_proposal(self, txs: list[bytes], max_bytes: int) -> list[bytes]:
        """The mempool's order, within `max_bytes` and `auth.max_block_work`: a tx that does not fit
        is skipped, and so are its sender's later txs (their nonces would have a gap), so a smaller
        tx of another sender can still fill the block. A tx that fails the stateless checks is left out."""
        params = AUTH_PARAMS.get(self._current_view())
        chosen: list[bytes] = []
        total_bytes = total_work = 0
        skipped: set[bytes] = set()
        for tx in txs:
            try:
                decoded = self._get_verified_tx(tx, params.max_tx_bytes)
            except AppError:
                continue
            sender = get_sender(decoded)
            if sender in skipped:
                continue
            work = self._registry.compute_tx_work(decoded.body.msgs)
            if total_bytes + len(tx) > max_bytes or total_work + work > params.max_block_work:
                skipped.add(sender)
                continue
            chosen.append(tx)
            total_bytes += len(tx)
            total_work += work
        return chosen

    def process_proposal(self, block: BlockRequest) -> bool:
        """Accept a block whose txs all pass the stateless checks and whose work stays within
        `auth.max_block_work`; stateful failures (nonce, funds) are legitimate results, since the
        proposer cannot know them all in advance."""
        params = AUTH_PARAMS.get(self._current_view())
        total_work = 0
        try:
            for tx in block.txs:
                total_work += self._registry.compute_tx_work(self._get_verified_tx(tx, params.max_tx_bytes).body.msgs)
        except AppError:
            return False
        return total_work <= params.max_block_work

    def finalize_block(self, block: BlockRequest) -> FinalizeResult:
        # Verify the block is the next height and not finalized twice
        expected = self._next_height()
        if block.height != expected or self._finalized_height == expected:
            raise AppStateError(f"finalize_block({block.height}) but the next height is {expected}")
        journal = self._current_view()
        ctx = BlockContext(height=block.height, time_ms=block.time_ms, random_seed=block.seed,
                           module_accounts=self._registry.module_accounts, last_commit=block.decided_last_commit,
                           misbehavior=block.misbehavior, hooks=self._registry.hooks,
                           params=self._registry.params, handlers=self._registry.handlers, chain_id=self.chain_id)
        max_tx_bytes = AUTH_PARAMS.get(journal).max_tx_bytes
        events: list[Event] = []
        if self._registry.tracks_upgrades:
            # a plan due at this height migrates the modules or stops the node (UpgradeHaltError
            # leaves this call: the block journal is dropped, nothing of the block is applied)
            snapshot = journal.snapshot()
            try:
                events.extend(process_pre_block(journal, ctx, self._registry.modules, self._registry.upgrade_names))
            except UpgradeHaltError:
                journal.revert(snapshot)  # the first block's journal holds genesis: keep it whole
                raise
        for begin_block in self._registry.begin_blockers:
            events.extend(begin_block(journal, ctx))
        journal.forget_undo()
        results = tuple(self._process_tx(journal, ctx, tx, max_tx_bytes) for tx in block.txs)
        for end_block in self._registry.end_blockers:
            events.extend(end_block(journal, ctx))
        source = self._registry.validator_set
        updates = () if source is None else tuple(source.updates(journal, ctx))
        journal.forget_undo()
        self._block = journal
        self._finalized_height = block.height
        return FinalizeResult(tx_results=results, validator_updates=updates, events=tuple(events))

    def commit(self) -> bytes:
        height = self._next_height()
        if self._finalized_height != height or self._block is None:
            raise AppStateError(f"commit before finalize_block({height})")
        root = self._store.commit(height, self._block.changes(), {CHAIN_ID_META: self.chain_id.encode()},
                                  first=height == self._initial_height)
        self._block = None
        self._check = self._new_committed_journal()
        return root

    def _next_height(self) -> int:
        version = self._store.version
        return version + 1 if version else self._initial_height

    # -- the state transition -----------------------------------------------------------------

    def _process_tx(self, journal: Journal, ctx: BlockContext, tx_bytes: bytes, max_tx_bytes: int) -> TxResult:
        """One tx: ante (fee, nonce), then its messages; a failing message reverts to after the ante.
        No exception a tx provokes leaves this method (MemoryError aside: that is the node's, not the tx's)."""
        try:
            tx = self._get_verified_tx(tx_bytes, max_tx_bytes, consume=True)
            sender = get_sender(tx)
            process_ante(journal, tx, sender, len(tx_bytes), self._registry.compute_tx_work(tx.body.msgs))
        except Exception as exc:  # noqa: BLE001
            journal.revert(0)
            error = as_app_error(exc)
            return TxResult(code=error.code, log=str(error))
        journal.forget_undo()
        events: list[Event] = [("tx", (("sender", format_address(sender)), ("fee", str(tx.body.fee))))]
        try:
            for msg in tx.body.msgs:
                events.extend(self._registry.handlers[type(msg)](journal, ctx, sender, msg))
            journal.check_sizes(0)
        except Exception as exc:  # noqa: BLE001
            journal.revert(0)
            error = as_app_error(exc)
            return TxResult(code=error.code, log=str(error), events=tuple(events[:1]))  # only the fee stands
        journal.forget_undo()
        return TxResult(code=0, events=tuple(events))

    def _get_verified_tx(self, tx_bytes: bytes, max_tx_bytes: int, consume: bool = False) -> Tx:
        """Decode and check signature and chain id once per distinct tx bytes (keyed by their hash).
        `consume` takes the verdict out of the cache: a tx is included once, then its nonce is spent."""
        tx_hash = compute_tx_hash(tx_bytes)
        tx = self._verified.pop(tx_hash, None) if consume else self._verified.get(tx_hash)
        if tx is not None and len(tx_bytes) <= max_tx_bytes:
            return tx
        tx = self._decode_for_chain(tx_bytes, max_tx_bytes)
        verify_signature(tx)
        if not consume:
            self._remember_verified(tx_hash, tx)
        return tx

    def _decode_for_chain(self, tx_bytes: bytes, max_tx_bytes: int) -> Tx:
        """The stateless checks but the signature: size, form, messages this chain handles, chain id."""
        tx = decode_tx(tx_bytes, max_tx_bytes)
        for msg in tx.body.msgs:
            if type(msg) not in self._registry.handlers:
                raise InvalidMsgError(f"message {type(msg).__name__} is not handled by this chain's modules")
        verify_chain_id(tx, self.chain_id)
        return tx

    def _remember_verified(self, tx_hash: bytes, tx: Tx) -> None:
        if len(self._verified) >= MAX_VERIFIED_TXS:
            try:
                self._verified.popitem(last=False)
            except KeyError:
                pass  # another thread emptied it meanwhile
        self._verified[tx_hash] = tx

    def _new_committed_journal(self) -> Journal:
        store = self._store
        return Journal(store.get, lambda prefix, start: (key for key, _ in store.iterate(prefix, start)))

    def _current_view(self) -> Journal:
        """Committed state plus genesis when block 1 is not committed yet."""
        block = self._block  # read once: a commit in another thread may clear it meanwhile
        return block if block is not None else self._new_committed_journal()

    # -- queries (committed state) ------------------------------------------------------------

    def get_account(self, address: bytes) -> AccountInfo:
        view = self._new_committed_journal()
        account = get_account(view, address)
        return AccountInfo(
            address=format_address(address),
            balance=get_balance(view, address),
            nonce=0 if account is None else account.nonce,
            pub_key=b"" if account is None else account.pub_key,
        )

    def prove_account(self, address: bytes, height: int | None = None) -> AccountProof:
        version = self._store.version if height is None else height
        account_key, balance_key = get_account_key(address), get_balance_key(address)
        return AccountProof(
            height=version,
            root=self._store.root(version),
            account_key=account_key,
            account_value=self._store.get_at(account_key, version),
            account_proof=self._store.prove(account_key, version),
            balance_key=balance_key,
            balance_value=self._store.get_at(balance_key, version),
            balance_proof=self._store.prove(balance_key, version),
        )

    def get_params(self) -> dict:
        """Every module's params as genesis JSON, by module name (`GET /params`)."""
        view = self._new_committed_journal()
        return {name: params.to_json(params.get(view)) for name, params in self._registry.params.items()}

    def get_supply(self) -> Supply:
        return get_supply(self._new_committed_journal())

    def get_state_view(self) -> tuple[StoreView, int]:
        """Committed state and its height, for module queries that need both (e.g. escrow accrual):
        `view, height = app.get_state_view(); queries.query_escrow_at(view, job_id, height)`."""
        return self._new_committed_journal(), self._store.version

    def query(self, module: str, name: str, *args: object) -> object:
        """A module's declared query on committed state: `app.query("market", "job", 7)`."""
        queries = self._registry.queries.get(module)
        if queries is None or name not in queries:
            raise KeyError(f"no query {module}/{name}")
        return queries[name](self._new_committed_journal(), *args)

    def export_app_state(self) -> dict:
        """The committed state as genesis app_state; re-importing it yields the same app hash."""
        return export_app_state(self._new_committed_journal(), self._registry)

    def check_invariants(self) -> None:
        """Run every module invariant on committed state; raises InvariantBrokenError."""
        view = self._new_committed_journal()
        for check in self._registry.invariants.values():
            check(view)


def as_app_error(exc: Exception) -> AppError:
    """A tx's failure as a typed error: AppErrors as raised, anything else (a bug, a record too large
    to encode, a missing key) as InternalError, logged. MemoryError is re-raised: it stops the node."""
    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, MemoryError):
        raise exc
    log.error("tx failed with an unexpected %s", type(exc).__name__, exc_info=exc)
    return InternalError(f"internal error: {type(exc).__name__}: {exc}")
