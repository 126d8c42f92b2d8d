"""One trio program that wires state, app, mempool, consensus and the HTTP API of a node home.

`Node` is also the `NodeAPI` the HTTP layer serves: it turns storage records into JSON views and
maps every client mistake to a typed error, so nothing a client sends can stop the node.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import trio

from akechain.chain.app import App
from akechain.chain.modules.upgrade.errors import UpgradeHaltError
from akechain.chain.registry import DEFAULT_REGISTRY, Registry
from akechain.chain.upgrades import UpgradePluginError, build_registry
from akechain.node.config import Config, Home, load_config
from akechain.chain.crypto import format_address, parse_address, CryptoError
from akechain.chain.genesis import encode_app_state
from akechain.node.genesis_file import load_genesis
from akechain.node.logs import configure_logging
from akechain.node.mempool import Mempool, MempoolError, MempoolFullError
from akechain.node.network import (
    TX_BATCH_MAX_BYTES,
    ConsensusTransport,
    TxGossip,
    consensus_validator,
    is_valid_notice,
    topic_names,
    tx_batch_validator,
)
from akechain.node.rpc import bridge as bridge_json
from akechain.node.rpc import distribution as distribution_json
from akechain.node.rpc import gov as gov_json
from akechain.node.rpc import market as market_json
from akechain.node.rpc import staking as staking_json
from akechain.node.rpc import upgrade as upgrade_json
from akechain.node.rpc.events import ChainEvent, EventLog, block_events
from akechain.node.rpc.metrics import NodeMetrics
from akechain.node.rpc.supply import get_supply_json
from akechain.node.rpc.render import events_to_json, record_to_json, tx_to_json
from akechain.node.rpc.server import build_app, serve_http
from akechain.node.signature_pool import SignaturePool
from akechain.chain.tx import compute_tx_hash, decode_tx
from consensus.abci import TxResult, decode_results
from consensus.driver import Driver, HandshakeError
from consensus.precheck import Precheck
from consensus.wal import WALCorruptError
from consensus.genesis import EvidenceParams, Genesis
from consensus.privval import DoubleSignError, FilePV, Signer
from consensus.remote_signer import RemoteSigner, load_secret
from consensus import sync
from consensus.types import Block, encode_message
from p2p.errors import BadRequest
from p2p.gossip import MAX_GOSSIP_PAYLOAD
from p2p.scores import Offence
from p2p.host import Host
from p2p.identity import load_or_create_node_key
from state.blockstore import BlockStore
from state.codec import decode, encode
from state.kv import LevelKV
from state.store import CommitStore

log = logging.getLogger("akechain.node")
RECENT_RESULTS = 200_000


class NodeStartError(Exception):
    """The home cannot be started (missing files, a locked database, a bad genesis)."""


def consensus_genesis(genesis: dict[str, Any]) -> Genesis:
    """The engine's genesis. It names no validators: the app's `init_chain` answers the set that the
    staking gentxs bond, so the set is declared once, in staking genesis."""
    return Genesis(
        genesis_time_ms=genesis["genesis_time_ms"],
        validators=(),
        initial_height=genesis["initial_height"],
        app_state=encode_app_state(genesis["app_state"]),
        evidence=evidence_params(genesis.get("consensus_params", {})),
    )


def evidence_params(consensus_params: dict[str, int]) -> EvidenceParams:
    """genesis.json's optional `consensus_params` (checked by load_genesis) over the engine's defaults."""
    defaults = EvidenceParams()
    return EvidenceParams(consensus_params.get("evidence_max_age_blocks", defaults.max_age_blocks),
                          consensus_params.get("evidence_max_age_ms", defaults.max_age_ms))


class Node:
    """The components of a running node, opened from a home directory."""

    def __init__(self, home: Home, config: Config, remote_signer: Signer | None = None,
                 registry: Registry = DEFAULT_REGISTRY) -> None:
        """`registry`: the chain's modules and the upgrades this node handles (`build_registry`)."""
        self.home = home
        self.config = config
        genesis = load_genesis(home.genesis_file)
        self.chain_id: str = genesis["chain_id"]
        home.data_dir.mkdir(parents=True, exist_ok=True)
        home.wal_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._state_kv = LevelKV(home.data_dir / "state.db")
            self._blocks_kv = LevelKV(home.data_dir / "blockstore.db")
            self._consensus_kv = LevelKV(home.data_dir / "consensus.db")
        except Exception as exc:  # plyvel raises IOError subclasses for a lock held by another process
            raise NodeStartError(f"cannot open the databases under {home.data_dir}: {exc}") from exc
        self.signatures = SignaturePool()
        self.app = App(CommitStore(self._state_kv), registry, verify_batch=self.signatures.verify)
        self.mempool = Mempool(self.app, max_txs=config.mempool.max_txs, max_bytes=config.mempool.max_bytes,
                               max_per_sender=config.mempool.max_per_sender, max_wait_ms=config.mempool.max_wait_ms,
                               max_backlog_ms=config.mempool.max_backlog_ms)
        self.blocks = BlockStore(self._blocks_kv, genesis["initial_height"])
        signer = remote_signer or (FilePV.load(home.validator_key_file, home.validator_state_file)
                                   if home.validator_key_file.exists() else None)
        self.host = Host(load_or_create_node_key(home.node_key_file), port=config.p2p.port,
                         listen_host=config.p2p.host, persistent_peers=config.p2p.persistent_peers)
        tx_topic, consensus_topic, notice_topic = topic_names(self.chain_id)
        # One precheck for the consensus topic's validator and the driver: each message verified once.
        precheck = Precheck(config.consensus.max_message_bytes)
        validate_txs = tx_batch_validator(self.app.verify_tx, self.catching_up)
        self.host.gossip.add_topic(tx_topic, TX_BATCH_MAX_BYTES + 1024, validate_txs, in_thread=True)
        validate_consensus = consensus_validator(precheck)
        self.host.gossip.add_topic(consensus_topic, MAX_GOSSIP_PAYLOAD, validate_consensus)
        self.host.gossip.add_topic(notice_topic, 256, is_valid_notice)
        self.transport = ConsensusTransport(self.host, consensus_topic, notice_topic,
                                           config.consensus.max_message_bytes, validate_consensus)
        self.host.reqresp.add_protocol(sync.PROTOCOL_ID, self._serve_sync, max_request=sync.MAX_REQUEST_BYTES,
                                       max_response=sync.MAX_RESPONSE_BYTES)
        self.driver = Driver(
            chain_id=self.chain_id,
            genesis=consensus_genesis(genesis),
            app=self.app,
            mempool=self.mempool,
            block_store=self.blocks,
            state_kv=self._consensus_kv,
            signer=signer,
            wal_path=home.wal_file,
            transport=self.transport,
            config=config.consensus,
            app_lock=self.mempool.lock,
            precheck=precheck,
        )
        self.block_sync = sync.BlockSync(
            peers=self.host.connected_peers,
            request=lambda peer, payload: self.host.reqresp.request(peer, sync.PROTOCOL_ID, payload, timeout=10),
            deliver=lambda message, peer: self.transport.inject(encode_message(message), peer),
            committed_height=lambda: self.driver.committed_height,
            report=self._report_peer,
            prepare=self._verify_fetched,
        )
        self.tx_gossip = TxGossip(self.host, tx_topic, self.mempool, self.driver.notify_txs_available)
        self._commit_signal = trio.Event()
        self.metrics = NodeMetrics(self.status, lambda: self.host.gossip.verdicts)
        self.driver.on_wal_fsync = self.metrics.wal_fsync.observe
        self.events = EventLog(self._chain_events)
        # Results of recently committed txs by hash, so `?wait=commit` answers without decoding blocks.
        # Kept as TxResult and rendered when asked: rendering every synced tx's events cost the loop more than the lookup.
        self._recent_results: OrderedDict[bytes, tuple[int, int, TxResult]] = OrderedDict()

    def close(self) -> None:
        self.signatures.close()
        for kv in (self._state_kv, self._blocks_kv, self._consensus_kv):
            kv.close()

    async def run(self, shutdown: trio.Event, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Run consensus and the HTTP API until `shutdown` is set."""
        async with trio.open_nursery() as nursery:
            await nursery.start(self.host.run)
            nursery.start_soon(self.transport.run)
            await nursery.start(self.driver.run)
            self.events.publish(self.driver.committed_height)
            nursery.start_soon(self.block_sync.run)
            nursery.start_soon(self.tx_gossip.run)
            nursery.start_soon(self._relay_commits)
            await nursery.start(serve_http, build_app(self, self.metrics, self.events), self.config.rpc.host, self.config.rpc.port, shutdown)
            log.info("node %s serving http://%s:%d at height %d; p2p %s", self.config.moniker, self.config.rpc.host,
                     self.config.rpc.port, self.driver.committed_height, self.host.listen_addr)
            task_status.started()
            await shutdown.wait()
            nursery.cancel_scope.cancel()

    async def _relay_commits(self) -> None:
        """Wake every waiter on each commit (a fresh Event per block: no waiter misses one)."""
        async for committed in self.driver.subscribe(buffer=1024):
            log.info("committed height %d (%d txs) app_hash=%s", committed.height, len(committed.block.txs),
                     committed.app_hash.hex()[:16])
            self._remember_results(committed.height, committed.block.txs, committed.results.tx_results)
            self.metrics.observe_commit(len(committed.block.txs), committed.block.header.time_ms)
            self.events.publish(committed.height)
            committed_signal, self._commit_signal = self._commit_signal, trio.Event()
            committed_signal.set()

    async def _serve_sync(self, request: bytes, peer: str) -> bytes:
        try:
            return sync.serve(self.blocks, request)
        except sync.SyncProtocolError as exc:
            raise BadRequest(str(exc)) from None

    async def _verify_fetched(self, blocks: tuple[sync.DecidedBlock, ...]) -> None:
        """Signature-check synced blocks' txs ahead of their execution: decoded in a worker thread,
        checked in the signature pool's worker process, so execution finds the verdicts cached."""
        await trio.to_thread.run_sync(self.app.verify_txs, [tx for decided in blocks for tx in decided.block.txs])

    def _chain_events(self, height: int) -> tuple[ChainEvent, ...]:
        """A stored block's `/events`, from the block store (only when a stream reads them)."""
        block = self._load_block(height)
        raw_results = self.blocks.results(height)
        results = None if raw_results is None else decode_results(raw_results)
        txs = [{**tx_to_json(raw, decode_tx(raw, max_tx_bytes=len(raw))), "code": result.code, "log": result.log,
                "events": events_to_json(result.events)} for raw, result in zip(block.txs, results.tx_results if results else ())]
        return block_events(height, block.hash().hex(), block.header.time_ms, block.header.proposer_address.hex(), txs,
                            events_to_json(results.events) if results else [])

    def _report_peer(self, peer: str, reason: str) -> None:
        log.warning("peer %s misbehaved in block sync: %s", peer, reason)
        self.host.scores.penalize(peer, Offence.INVALID_RESPONSE)

    def _remember_results(self, height: int, txs: tuple[bytes, ...], results: tuple[TxResult, ...]) -> None:
        for index, (raw, result) in enumerate(zip(txs, results)):
            self._recent_results[compute_tx_hash(raw)] = (height, index, result)
        while len(self._recent_results) > RECENT_RESULTS:
            self._recent_results.popitem(last=False)

    # -- NodeAPI ------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        st = self.driver.status()
        height = self.driver.committed_height
        block_hash = self.blocks.block_hash(height) if height else None
        return {
            "chain_id": self.chain_id,
            "moniker": self.config.moniker,
            "height": height,
            "app_hash": self.app.info().last_app_hash.hex(),
            "block_time": st.last_block_time_ms,
            "latest_block_hash": block_hash.hex() if block_hash else "",
            "round": st.round,
            "step": st.step,
            "mempool_size": len(self.mempool),
            "mempool_bytes": self.mempool.size_bytes,
            "validator_address": st.validator_address.hex() if st.validator_address else None,
            "voting_power": st.voting_power,
            "validators": len(st.validators),
            "node_id": self.host.peer_id,
            "peers": len(self.host.connected_peers()),
            "sync_target_height": self.block_sync.target_height,
            "catching_up": self.catching_up(),
        }

    def catching_up(self) -> bool:
        """Block sync is more than a block behind the highest height a peer claimed."""
        return self.block_sync.target_height > self.driver.committed_height + 1

    def params(self) -> dict[str, Any]:
        return self.app.get_params()

    async def submit_txs(self, raws: Sequence[bytes]) -> list[dict[str, Any] | MempoolFullError]:
        answers: list[dict[str, Any] | MempoolFullError] = []
        for raw, outcome in zip(raws, await self.mempool.admit(raws, from_client=True)):
            match outcome:
                case MempoolFullError():
                    answers.append(outcome)
                case MempoolError():
                    answers.append({"hash": None, "check": {"code": 1, "log": str(outcome)}})
                case (tx_hash, result):
                    if result.ok:
                        self.tx_gossip.queue(raw)
                        self.driver.notify_txs_available()
                    answers.append({"hash": tx_hash.hex(), "check": {"code": result.code, "log": result.log}})
        return answers

    async def wait_for_tx(self, tx_hash: bytes, timeout: float) -> dict[str, Any] | None:
        with trio.move_on_after(timeout):
            while True:
                next_commit = self._commit_signal
                recent = self._recent_results.get(tx_hash)
                found = None if recent is None else render_result(*recent)
                if found is None and self.blocks.tx_location(tx_hash) is not None:
                    found = self.tx(tx_hash)  # committed before this node started
                if found is not None:
                    return found
                await next_commit.wait()
        return None

    def tx(self, tx_hash: bytes) -> dict[str, Any] | None:
        location = self.blocks.tx_location(tx_hash)
        if location is None:
            return None
        height, index = location
        block = self._load_block(height)
        raw_results = self.blocks.results(height)
        raw = block.txs[index]
        doc = tx_to_json(raw, decode_tx(raw, max_tx_bytes=len(raw)))
        doc.update(height=height, index=index, tx=raw.hex())
        if raw_results is not None:
            result = decode_results(raw_results).tx_results[index]
            doc.update(code=result.code, log=result.log, events=events_to_json(result.events))
        return doc

    def _load_block(self, height: int) -> Block:
        raw = self.blocks.block(height)
        if raw is None:
            raise LookupError(f"block {height} is indexed but missing from the block store")
        return decode(Block, raw, max_size=self.config.consensus.max_message_bytes)

    def block(self, height: int | None) -> dict[str, Any] | None:
        height = self.blocks.height if height is None else height
        if height < self.blocks.initial_height or height > self.blocks.height:
            return None
        block = self._load_block(height)
        header = record_to_json(block.header)
        header["proposer_address"] = block.header.proposer_address.hex()
        return {
            "height": height,
            "hash": block.hash().hex(),
            "header": header,
            "txs": [raw.hex() for raw in block.txs],
            "evidence": record_to_json(block.evidence),
            "last_commit": record_to_json(block.last_commit),
        }

    def account(self, address: str, prove: bool) -> dict[str, Any]:
        raw_address = parse_address_arg(address)
        info = self.app.get_account(raw_address)
        doc: dict[str, Any] = {"address": format_address(raw_address), "balance": info.balance, "nonce": info.nonce,
                               "pub_key": info.pub_key.hex()}  # "" until the account's first tx
        if prove:
            proof = self.app.prove_account(raw_address)
            doc["proof"] = record_to_json(proof)
            doc["proof_bytes"] = encode(proof).hex()
        return doc

    def providers(self, cursor: str | None, limit: int) -> market_json.Page:
        return market_json.get_providers(self.app.get_state_view()[0], cursor, limit)

    def provider(self, address: str) -> dict[str, Any] | None:
        return market_json.get_provider(self.app.get_state_view()[0], parse_address_arg(address))

    def jobs(self, include_closed: bool, cursor: str | None, limit: int) -> market_json.Page:
        return market_json.get_jobs(self.app.get_state_view()[0], include_closed, cursor, limit)

    def job(self, job_id: int) -> dict[str, Any] | None:
        return market_json.get_job(self.app.get_state_view()[0], job_id)

    def leases(self, job_id: int | None, provider: str | None, cursor: str | None, limit: int) -> market_json.Page:
        raw_provider = None if provider is None else parse_address_arg(provider)
        return market_json.get_leases(self.app.get_state_view()[0], job_id, raw_provider, cursor, limit)

    def challenges(self, referee: str | None, open_only: bool, cursor: str | None, limit: int) -> market_json.Page:
        raw_referee = None if referee is None else parse_address_arg(referee)
        return market_json.get_challenges(self.app.get_state_view()[0], raw_referee, open_only, cursor, limit)

    def escrow(self, job_id: int) -> dict[str, Any] | None:
        return market_json.get_escrow(*self.app.get_state_view(), job_id)

    def reputation(self, address: str) -> dict[str, Any]:
        return market_json.get_reputation(self.app.get_state_view()[0], parse_address_arg(address))

    def market_params(self) -> dict[str, Any]:
        return market_json.get_params(self.app.get_state_view()[0])

    def validators(self) -> list[dict[str, Any]]:
        return staking_json.get_validators(self.app.get_state_view()[0])

    def supply(self) -> dict[str, Any]:
        return get_supply_json(self.app.get_state_view()[0])

    def validator(self, address: str) -> dict[str, Any] | None:
        return staking_json.get_validator(self.app.get_state_view()[0], parse_address_arg(address))

    def delegations(self, address: str) -> list[dict[str, Any]]:
        return staking_json.get_delegations(self.app.get_state_view()[0], parse_address_arg(address))

    def unbonding(self, address: str) -> dict[str, Any]:
        return staking_json.get_unbonding(self.app.get_state_view()[0], parse_address_arg(address))

    def signing_info(self, address: str) -> dict[str, Any] | None:
        return staking_json.get_signing_info(self.app.get_state_view()[0], parse_address_arg(address))

    def rewards(self, address: str) -> dict[str, Any]:
        return distribution_json.get_rewards(self.app.get_state_view()[0], parse_address_arg(address))

    def proposals(self, cursor: str | None, limit: int) -> market_json.Page:
        return gov_json.get_proposals(self.app.get_state_view()[0], cursor, limit)

    def proposal(self, proposal_id: int) -> dict[str, Any] | None:
        return gov_json.get_proposal(self.app.get_state_view()[0], proposal_id)

    def proposal_votes(self, proposal_id: int) -> list[dict[str, Any]] | None:
        return gov_json.get_votes(self.app.get_state_view()[0], proposal_id)

    def proposal_tally(self, proposal_id: int) -> dict[str, Any] | None:
        return gov_json.get_tally(self.app.get_state_view()[0], proposal_id)

    def treasury(self) -> dict[str, Any]:
        return gov_json.get_treasury(self.app.get_state_view()[0])

    def guardian(self) -> dict[str, Any]:
        return gov_json.get_guardian_json(self.app.get_state_view()[0])

    def kpi(self) -> dict[str, Any]:
        return gov_json.get_kpi_json(self.app.get_state_view()[0])

    def grants(self, owner: str) -> dict[str, Any]:
        return gov_json.get_grants(self.app.get_state_view()[0], parse_address_arg(owner))

    def upgrade(self, view: str) -> dict[str, Any]:
        return upgrade_json.get_view(self.app.get_state_view()[0], view)

    def bridge(self, view: str, address: str | None) -> Any:
        store = self.app.get_state_view()[0]
        if address is not None:
            return bridge_json.get_orchestrator(store, parse_address_arg(address))
        return bridge_json.get_view(store, view)


def parse_address_arg(address: str) -> bytes:
    """A client-supplied bech32 address; a bad one is the client's mistake (ValueError → 400)."""
    try:
        return parse_address(address)
    except CryptoError as exc:
        raise ValueError(str(exc)) from None


def render_result(height: int, index: int, result: TxResult) -> dict[str, Any]:
    return {"height": height, "index": index, "code": result.code, "log": result.log,
            "events": events_to_json(result.events)}


async def serve_until_signal(node: Node) -> None:
    shutdown = trio.Event()
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            await nursery.start(node.run, shutdown)

            async def watch_signals() -> None:
                async for signum in signals:
                    log.info("received %s, stopping", signal.Signals(signum).name)
                    shutdown.set()
                    return

            nursery.start_soon(watch_signals)
            await shutdown.wait()


def leaf_exceptions(group: BaseExceptionGroup) -> list[BaseException]:
    return [leaf for exc in group.exceptions
            for leaf in (leaf_exceptions(exc) if isinstance(exc, BaseExceptionGroup) else [exc])]


def open_remote_signer(home: Home, address: str | None, secret_file: Path | None) -> RemoteSigner | None:
    if address is None:
        return None
    if home.validator_key_file.exists():
        raise NodeStartError(f"{home.validator_key_file} exists: with --signer the node must not hold the validator "
                             "key (move it, with priv_validator_state.json, to the signer's home)")
    try:
        secret = None if secret_file is None else load_secret(secret_file)
        return RemoteSigner(address, load_genesis(home.genesis_file)["chain_id"], secret)
    except (ValueError, OSError, DoubleSignError) as exc:
        raise NodeStartError(f"remote signer {address}: {exc}") from None


def run_node(home_path: Path, log_format: str = "text", signer_address: str | None = None,
             signer_secret_file: Path | None = None, upgrade_plugins: Sequence[str] = ()) -> None:
    """Blocking entry point of `akechain start`; with `signer_address`, votes and proposals are
    signed by `akechain signer run` there and the home must hold no validator key. `upgrade_plugins`
    (MODULE:ATTR specs) add upgrades this node handles. A block it must not apply (an upgrade plan
    it lacks, or one not due yet) stops it with NodeStartError, the block unapplied."""
    configure_logging(log_format)
    # py-libp2p logs every failed dial to a peer that is down at ERROR; p2p/ reports what matters.
    logging.getLogger("libp2p").setLevel(logging.CRITICAL)
    home = Home(home_path)
    config = load_config(home.config_file)
    if not home.genesis_file.exists():
        raise NodeStartError(f"{home.genesis_file} not found: run `akechain init --home {home_path}` first")
    try:
        registry = build_registry(upgrade_plugins)
    except UpgradePluginError as exc:
        raise NodeStartError(str(exc)) from None
    node = Node(home, config, open_remote_signer(home, signer_address, signer_secret_file), registry)
    try:
        trio.run(serve_until_signal, node)
    except BaseExceptionGroup as group:
        halt = group.subgroup(UpgradeHaltError)
        if halt is not None:
            message = "; ".join(str(exc) for exc in leaf_exceptions(halt))
            log.error("%s", message)
            raise NodeStartError(message) from None
        fatal = group.subgroup((WALCorruptError, HandshakeError))
        if fatal is None:
            raise
        raise NodeStartError("; ".join(str(exc) for exc in leaf_exceptions(fatal))) from None
    finally:
        node.close()
    log.info("stopped cleanly")
