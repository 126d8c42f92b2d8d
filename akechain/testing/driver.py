"""`SimDriver`: signs drafted txs with the keys it holds, runs them in blocks on a `SimChain`, checks
after every block that every registered invariant holds and no tx hit an internal error, and keeps
what it ran, so a failure comes with a replay document (`akechain simulate --replay FILE`).

The replay document (JSON) is the kit's counterexample format:
    {"akechain_replay": 1, "chain_id": str, "registry": "package.module:attr" or null,
     "governed": bool, "app_state": {...genesis app_state...},
     "failure": {"height": int, "invariant": str, "message": str} or null,
     "blocks": [{"height": int, "time_ms": int, "absent": [hex consensus address], (optional)
                "misbehavior": [{"address": hex, "height": int, "time_ms": int, "power": int}], (optional)
                 "txs": [{"tx": hex wire bytes, "sender": "ake1…", "msgs": ["bank/send {...}"],
                          "fault": "" or "nonce" | "signature" | "chain" | "fee", "code": int}]}]}
Only `chain_id`, `registry`, `governed`, `app_state` and each block's `time_ms`, `absent`,
`misbehavior` and `tx` are read back; the rest is there for the reader.
"""
from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Collection, Iterable, Sequence

import nacl.signing

from akechain.chain.codec import AppError, InternalError, Msg
from akechain.chain.crypto import SIGNATURE_LENGTH, Address, format_address, get_address, get_pub_key, sign, signing_key_from_seed
from akechain.chain.module import InvariantBrokenError
from akechain.chain.modules.auth.params import PARAMS as AUTH_PARAMS
from akechain.chain.modules.auth.params import Params as AuthParams
from akechain.chain.modules.auth.params import compute_tx_fee
from akechain.chain.modules.gov.params import DEFAULT_PARAMS as GOV_DEFAULTS
from akechain.chain.modules.market.params import DEFAULT_PARAMS as MARKET_DEFAULTS
from akechain.chain.registry import DEFAULT_REGISTRY, Registry
from akechain.chain.tx import Tx, TxBody, compute_sign_bytes
from akechain.testing.governor import with_governor
from akechain.testing.sim import SimChain, SimChainError
from akechain.testing.strategies import TxDraft, make_app_state
from consensus.abci import FinalizeResult, Misbehavior
from state.codec import encode

REPLAY_VERSION = 1
SIM_CHAIN_ID = "ake-sim-1"
SIM_BALANCE = 10**9
INTERNAL_ERROR = "app/no-internal-error"  # the pseudo-invariant: a tx never fails with an untyped error
DETERMINISM = "app/determinism"  # the pseudo-invariant: a replay reaches the same app hash at every height


def make_sim_keys(count: int) -> list[nacl.signing.SigningKey]:
    """The simulation's accounts, the same on every run (key i from a hash of i)."""
    return [signing_key_from_seed(hashlib.sha256(b"akechain/sim/%d" % i).digest()) for i in range(count)]


def make_sim_app_state(addresses: Sequence[Address], registry: Registry = DEFAULT_REGISTRY,
                       authority: Address | None = None, **params: Any) -> dict:
    """A genesis for simulations: every address funded, cheap fees, short market windows and gov
    periods, the last three addresses as verifiers; `params` replaces a module's record (e.g. `market=...`);
    `authority` (with a governed registry) may change params."""
    defaults = {
        "auth": AuthParams(min_fee=10, fee_per_msg=0, fee_per_byte=0, max_tx_bytes=16 * 1024, max_memo_length=32, fee_per_work=0),
        "market": replace(MARKET_DEFAULTS, challenge_window_blocks=3, grace_blocks=2, challenge_bond=5_000, checkpoint_blocks=2,
                          verifiers=tuple(sorted(addresses[-3:]))),
        # periods of seconds, so proposals end (and execute) within a run
        "gov": replace(GOV_DEFAULTS, min_deposit=1_000, deposit_period_ms=5_000, voting_period_ms=10_000,
                       expedited_min_deposit=2_000, expedited_voting_period_ms=3_000),
    }
    app_state = make_app_state({a: SIM_BALANCE for a in addresses}, {**defaults, **params}, registry)
    if authority is not None:
        app_state["governor"] = {"authority": format_address(authority)}
    return app_state


class ChainFailure(AssertionError):
    """An invariant broke (or a tx hit an internal error, or a replay diverged) at `height`; `replay`
    is the document that reproduces it, and the message lists its blocks as txs."""

    def __init__(self, height: int, invariant: str, message: str, replay: dict) -> None:
        self.height = height
        self.invariant = invariant
        self.replay = replay
        super().__init__(f"{invariant} broken at height {height}: {message}\n{render_replay(replay)}")


def is_valid_basic(msgs: Sequence[Msg]) -> bool:
    try:
        for msg in msgs:
            msg.validate_basic()
    except AppError:
        return False
    return True


def describe_draft(draft: TxDraft | bytes) -> dict:
    """The replay document's reader fields of a tx: its sender, messages and fault."""
    if isinstance(draft, bytes):
        return {"sender": "", "msgs": ["(raw bytes)"], "fault": ""}
    return {"sender": format_address(draft.sender), "msgs": [describe_msg(m) for m in draft.msgs], "fault": draft.fault}


def describe_msg(msg: Msg) -> str:
    """`tag {fields as JSON}`, addresses in bech32 and other bytes in hex: the msg as a reader wants it."""
    return f"{msg.TAG} {json.dumps(to_json(msg), separators=(',', ':'))}"


def to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [to_json(item) for item in value]
    if isinstance(value, bytes):
        return format_address(value) if len(value) == 20 else value.hex()
    return value


def count_txs(replay: dict) -> int:
    return sum(len(block["txs"]) for block in replay["blocks"])


def render_replay(replay: dict) -> str:
    """The counterexample's blocks, one tx a line, then how to run it again."""
    lines = [f"counterexample: {len(replay['blocks'])} blocks, {count_txs(replay)} txs"]
    for block in replay["blocks"]:
        lines.append(f"  block {block['height']} at {block['time_ms']} ms:" + ("" if block["txs"] else " (empty)"))
        for tx in block["txs"]:
            fault = f" [fault: {tx['fault']}]" if tx["fault"] else ""
            lines.append(f"    {tx['sender']} {'; '.join(tx['msgs'])}{fault} -> code {tx['code']}")
    lines.append("reproduce: `akechain simulate --replay FILE`, FILE holding this failure's replay document (JSON)")
    return "\n".join(lines)


def load_registry(spec: str | None, governed: bool = False) -> Registry:
    """`package.module:attr` naming a Registry (None: the chain's own), with the governor if `governed`."""
    registry = DEFAULT_REGISTRY
    if spec is not None:
        module, _, attr = spec.partition(":")
        registry = getattr(importlib.import_module(module), attr)
        if not isinstance(registry, Registry):
            raise TypeError(f"{spec} is not a Registry")
    return with_governor(registry) if governed else registry


@dataclass(frozen=True, slots=True)
class Setup:
    """What a run starts from, as a replay document records it."""

    app_state: dict
    registry_spec: str | None = None
    governed: bool = False
    chain_id: str = SIM_CHAIN_ID


class SimDriver:
    """A `StrategyContext` over a SimChain: strategies draft txs for its accounts, it signs them with
    the next nonce, and `end_block` runs them and checks the chain."""

    def __init__(self, setup: Setup, keys: Iterable[nacl.signing.SigningKey], registry: Registry | None = None,
                 replay_file: Path | None = None) -> None:
        """`replay_file`: where a failure's replay document is written (None: only on the exception)."""
        self.setup = setup
        self.replay_file = replay_file
        self.registry = registry if registry is not None else load_registry(setup.registry_spec, setup.governed)
        self.chain = SimChain(setup.app_state, setup.chain_id, self.registry)
        self.keys = {get_address(key): key for key in keys}
        self.accounts: tuple[Address, ...] = tuple(self.keys)
        self.nonces = {a: 0 for a in self.accounts}
        self.pending: list[TxDraft | bytes] = []  # drafts, or wire bytes to include as they are
        self.drafts: list[list[TxDraft | bytes]] = []  # of every block run, to run again while shrinking
        self.records: list[dict | Callable[[], dict]] = []  # the replay document's blocks (rendered when asked)
        self.outcomes: Counter[tuple[str, bool]] = Counter()  # (kind, succeeded) -> txs
        self.failure: ChainFailure | None = None
        self.fee_params: AuthParams | None = None  # of committed state; None before genesis: no fee
        self.queries: dict[tuple, Any] = {}
        self.end_block()  # genesis state is committed with block 1: queries read it from then on

    # -- StrategyContext ---------------------------------------------------------------------------

    @property
    def height(self) -> int:
        return self.chain.height

    @property
    def time_ms(self) -> int:
        return self.chain.time_ms

    @property
    def chain_id(self) -> str:
        return self.chain.chain_id

    def query(self, module: str, name: str, *args: object) -> Any:
        """A module query on committed state, cached until the next block (strategies ask the same
        ones for every tx they draft)."""
        key = (module, name, args)
        if key not in self.queries:
            self.queries[key] = self.chain.query(module, name, *args)
        return self.queries[key]

    # -- txs and blocks ----------------------------------------------------------------------------

    def sign(self, draft: TxDraft, advance: bool = True) -> bytes:
        """Wire bytes of `draft` with the sender's next nonce (spent if `advance` and the draft has no
        fault), spoiled as its fault says. Messages are not checked: invalid ones are the point."""
        key = self.keys[draft.sender]
        nonce = self.nonces[draft.sender] + (1 if draft.fault == "nonce" else 0)
        chain_id = self.chain.chain_id + "-other" if draft.fault == "chain" else self.chain.chain_id
        body = TxBody(chain_id=chain_id, pub_key=get_pub_key(key), nonce=nonce, fee=0, memo="", msgs=draft.msgs)
        if self.fee_params is not None:
            fee = compute_tx_fee(self.fee_params, len(draft.msgs), self.registry.compute_tx_work(draft.msgs), lambda f: len(encode(
                Tx(body=replace(body, fee=f), signature=bytes(SIGNATURE_LENGTH)))))
            body = replace(body, fee=fee - 1 if draft.fault == "fee" and fee else fee)
        signature = sign(key, compute_sign_bytes(body))
        if draft.fault == "signature":
            signature = bytes([signature[0] ^ 1]) + signature[1:]
        if advance and not draft.fault and is_valid_basic(draft.msgs):
            self.nonces[draft.sender] += 1  # the tx will pass decoding: the nonce is spent if it pays its fee
        return encode(Tx(body=body, signature=signature))

    def submit(self, draft: TxDraft) -> None:
        """Queue a tx for the next block."""
        self.pending.append(draft)

    def submit_raw(self, tx: bytes) -> None:
        """Queue wire bytes as they are (e.g. a tx already committed: a replay)."""
        self.pending.append(tx)

    def end_block(self, time_ms: int | None = None, absent: Collection[bytes] = (),
                  misbehavior: Sequence[Misbehavior] = ()) -> FinalizeResult:
        """Run the queued txs in the next block, then check it: raises ChainFailure. `absent`: consensus
        addresses missing from its last commit; `misbehavior`: evidence it carries."""
        drafts, self.pending = self.pending, []
        txs = [draft if isinstance(draft, bytes) else self.sign(draft) for draft in drafts]
        result = self.chain.apply_block(txs, time_ms, absent=absent, misbehavior=misbehavior)
        self.queries.clear()
        self.drafts.append(drafts)
        height, time_ms = self.height, self.chain.time_ms
        faults = encode_faults(absent, misbehavior)
        self.records.append(lambda: {"height": height, "time_ms": time_ms, **faults, "txs": [
            {"tx": tx.hex(), "code": r.code, **describe_draft(d)} for d, tx, r in zip(drafts, txs, result.tx_results)]})
        for draft, r in zip(drafts, result.tx_results):
            kind = "raw" if isinstance(draft, bytes) else f"fault/{draft.fault}" if draft.fault else draft.msgs[0].TAG
            self.outcomes[kind, r.code == 0] += 1
        self.nonces = {a: self.chain.app.get_account(a).nonce for a in self.accounts}
        self.fee_params = AUTH_PARAMS.get(self.chain.app.get_state_view()[0])
        self.check_block(result)
        return result

    def check_block(self, result: FinalizeResult) -> None:
        """No tx of the block hit an internal error, and every invariant holds after it."""
        internal = [r.log for r in result.tx_results if r.code == InternalError.code]
        if internal:
            self.fail(INTERNAL_ERROR, internal[0])
        view, _ = self.chain.app.get_state_view()
        for name, check in self.registry.invariants.items():
            try:
                check(view)
            except InvariantBrokenError as exc:
                self.fail(name, str(exc))

    def check_determinism(self) -> None:
        """Replay every block on a fresh chain: the same app hash at every height, or ChainFailure."""
        try:
            self.chain.replay()
        except SimChainError as exc:
            self.fail(DETERMINISM, str(exc))

    def fail(self, invariant: str, message: str) -> None:
        replay = self.replay(invariant, message)
        if self.replay_file is not None:
            self.replay_file.parent.mkdir(parents=True, exist_ok=True)
            self.replay_file.write_text(json.dumps(replay, indent=1, sort_keys=True) + "\n")
            message += f" (replay document: {self.replay_file})"
        self.failure = ChainFailure(self.height, invariant, message, replay)
        raise self.failure

    def replay(self, invariant: str | None = None, message: str = "") -> dict:
        """The replay document of everything run so far (and of the failure, if any)."""
        return {
            "akechain_replay": REPLAY_VERSION,
            "chain_id": self.setup.chain_id,
            "registry": self.setup.registry_spec,
            "governed": self.setup.governed,
            "app_state": self.setup.app_state,
            "failure": None if invariant is None else {"height": self.height, "invariant": invariant, "message": message},
            "blocks": [record if isinstance(record, dict) else record() for record in self.records],
        }


class ReplayError(ValueError):
    """A replay document that is not one (wrong version, missing fields)."""


def encode_faults(absent: Collection[bytes], misbehavior: Sequence[Misbehavior]) -> dict:
    """A block's validator faults as replay-document fields (none: no fields)."""
    faults: dict[str, Any] = {}
    if absent:
        faults["absent"] = sorted(a.hex() for a in absent)
    if misbehavior:
        faults["misbehavior"] = [{"address": m.validator_address.hex(), "height": m.height, "time_ms": m.time_ms,
                                  "power": m.power} for m in misbehavior]
    return faults


def decode_faults(block: dict) -> tuple[frozenset[bytes], tuple[Misbehavior, ...]]:
    absent = frozenset(bytes.fromhex(a) for a in block.get("absent", ()))
    misbehavior = tuple(Misbehavior(bytes.fromhex(m["address"]), int(m["height"]), int(m["time_ms"]), int(m["power"]))
                        for m in block.get("misbehavior", ()))
    return absent, misbehavior


def run_replay(replay: dict) -> SimDriver:
    """Apply a replay document's blocks exactly (the recorded wire bytes), checking after each block
    and replaying for determinism at the end; raises ChainFailure if it still fails, else returns the driver."""
    if not isinstance(replay, dict) or replay.get("akechain_replay") != REPLAY_VERSION:
        raise ReplayError(f"not an akechain replay document (version {REPLAY_VERSION})")
    try:
        setup = Setup(replay["app_state"], replay["registry"], replay["governed"], replay["chain_id"])
        blocks = [([bytes.fromhex(tx["tx"]) for tx in block["txs"]], block["time_ms"], decode_faults(block), block)
                  for block in replay["blocks"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ReplayError(f"malformed replay document: {exc!r}") from exc
    if not blocks or blocks[0][0]:
        raise ReplayError("a replay starts with block 1, empty (it commits genesis)")
    driver = SimDriver(setup, ())  # runs block 1
    for txs, time_ms, (absent, misbehavior), block in blocks[1:]:
        result = driver.chain.apply_block(txs, time_ms, absent=absent, misbehavior=misbehavior)
        driver.records.append(block)
        driver.check_block(result)
    driver.check_determinism()
    return driver
