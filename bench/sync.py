"""Benchmark: blocks per second a fresh node syncs from a peer, on blocks of ~100 transfers.

A one-validator node builds a chain whose blocks hold --txs-per-block transfers (the block byte
cap is set to fit that many), then a fresh non-validator node with the same genesis and that
node as its only peer syncs it (the source restarted first). Prints blocks/s and tx/s of the sync
(overall from the process start, and steady: from its first synced block on) beside, measured in the same
run, the raw ed25519 verify rate and the in-process apply rate of the same blocks (the app's
finalize_block alone, and with its commit to LevelDB, as `bench.tx_apply` measures), and the ratio
of the sync to that apply rate (target >= 0.8).

    .venv/bin/python -m bench.sync [--blocks 200] [--txs-per-block 100]
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time
from pathlib import Path

import httpx
import nacl.signing
import psutil

from akechain.chain.app import App
from akechain.node.config import Home, load_config, save_config
from akechain.node.genesis_file import load_genesis
from akechain.node.node import consensus_genesis
from akechain.client.keystore import Keystore
from akechain.chain.modules.auth.params import PARAMS as AUTH_PARAMS
from bench.baseline import measure_verify_rate
from consensus.abci import GenesisRequest
from consensus.chain import block_request
from consensus.types import Block
from state.blockstore import BlockStore
from state.codec import decode
from state.kv import LevelKV
from state.store import CommitStore
from bench.load import fund_senders, presign
from tests.node_process import NodeProcess, free_port, run_cli, wait_until

PASSPHRASE = "bench"
CHAIN_ID = "ake-bench-sync"
SENDERS = 20
POOL_HIGH_WATER = 2_000  # txs pending at the source while the chain is built


def init_home(root: Path, name: str) -> NodeProcess:
    (root / "pass").write_text(PASSPHRASE)
    rpc_port = free_port()
    run_cli("init", "--home", str(root / name), "--chain-id", CHAIN_ID, "--moniker", name,
            "--rpc-port", str(rpc_port), "--p2p-port", str(free_port()), "--passphrase-file", str(root / "pass"))
    return NodeProcess(root / name, rpc_port)


def set_config(home: Path, **changes: object) -> None:
    """Change `section__key=value` settings in a home's config.toml."""
    config = load_config(home / "config.toml")
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        setattr(config, section, dataclasses.replace(getattr(config, section), **{key: value}))
    save_config(config, home / "config.toml")


def build_chain(source: NodeProcess, blocks: int, txs_per_block: int) -> int:
    fee_params = AUTH_PARAMS.from_json(source.get("/params").json()["auth"])
    senders = [nacl.signing.SigningKey.generate() for _ in range(SENDERS)]
    fund_senders(source.url, Keystore(source.home / "keyring").load("validator", PASSPHRASE), CHAIN_ID, senders, fee_params)
    per_sender = blocks * txs_per_block // SENDERS
    batches = presign(senders, CHAIN_ID, per_sender, 100, fee_params)
    for batch in batches:
        # Held under the pool's per-sender cap (senders interleave), so every tx is taken and the
        # chain is as long as asked; the pool's recheck after each block stays short too.
        wait_until(lambda: source.status()["mempool_size"] < POOL_HIGH_WATER, 600, "the source's pool to drain")
        httpx.post(f"{source.url}/txs", json={"txs": [t.hex() for t in batch]}, timeout=60).raise_for_status()
    wait_until(lambda: source.status()["mempool_size"] == 0, 600, "the chain to include every tx")
    return source.status()["height"]


def measure_apply(source_home: Path, scratch: Path) -> tuple[float, float]:
    """tx/s of the source's blocks executed in this process: finalize_block alone, and with the
    app's commit to a LevelDB store (the source node must be stopped: it holds the DB lock)."""
    genesis = consensus_genesis(load_genesis(source_home / "genesis.json"))
    app = App(CommitStore(LevelKV(scratch)))
    app.init_chain(GenesisRequest(CHAIN_ID, genesis.genesis_time_ms, genesis.initial_height, genesis.app_state,
                                  genesis.validators))
    blocks_kv = LevelKV(Home(source_home).data_dir / "blockstore.db")
    finalize_seconds = commit_seconds = 0.0
    txs = 0
    try:
        store = BlockStore(blocks_kv)
        for height in range(1, store.height + 1):
            request = block_request(decode(Block, store.block(height) or b"", max_size=1 << 26))
            started = time.perf_counter()
            app.finalize_block(request)
            finalized = time.perf_counter()
            app.commit()
            commit_seconds += time.perf_counter() - finalized
            finalize_seconds += finalized - started
            txs += len(request.txs)
    finally:
        blocks_kv.close()
    return txs / finalize_seconds, txs / (finalize_seconds + commit_seconds)


def first_synced_height(node: NodeProcess) -> int:
    """Poll until `node` applied a block: from then on the sync runs at its steady rate."""
    deadline = time.monotonic() + 60
    while (height := node.status()["height"]) == 0:
        if time.monotonic() > deadline:
            raise AssertionError("the fresh node synced no block within 60 s")
        time.sleep(0.01)
    return height


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", type=int, default=200)
    parser.add_argument("--txs-per-block", type=int, default=100)
    args = parser.parse_args()

    verify_rate = measure_verify_rate()
    with tempfile.TemporaryDirectory(prefix="akebench-sync-") as tmp:
        root = Path(tmp)
        source = init_home(root, "source")
        tx_bytes = 190  # a signed transfer; the block cap makes blocks of ~txs_per_block
        # The pool must not answer busy while the chain is built.
        set_config(source.home, consensus__max_block_bytes=args.txs_per_block * tx_bytes,
                   consensus__timeout_commit_ms=150, mempool__max_wait_ms=3_600_000, mempool__max_backlog_ms=0)
        source.start()
        fresh = init_home(root, "fresh")
        try:
            height = build_chain(source, args.blocks, args.txs_per_block)
            txs = sum(len(source.get(f"/blocks/{h}").json()["txs"]) for h in range(1, height + 1))
            # Restarted, so what the build left running (LevelDB compactions, a large heap) does not
            # share the two cores with the sync: the peer is a node serving a settled chain.
            source.stop()
            source.start()
            (fresh.home / "genesis.json").write_text((source.home / "genesis.json").read_text())
            peer = json.loads(httpx.get(f"{source.url}/status").text)["node_id"]
            p2p_port = load_config(source.home / "config.toml").p2p.port
            set_config(fresh.home, p2p__persistent_peers=[f"/ip4/127.0.0.1/tcp/{p2p_port}/p2p/{peer}"])
            launched = time.monotonic()
            fresh.start()
            serving = time.monotonic()
            first_height = first_synced_height(fresh)
            syncing = time.monotonic()
            fresh.wait_for_height(height, timeout=1200)
            finished = time.monotonic()
            steady = (height - first_height) / (finished - syncing)
            rss = psutil.Process(fresh.proc.pid).memory_info().rss  # type: ignore[union-attr]
        finally:
            fresh.stop()
            source.stop()
        apply_rate, apply_commit_rate = measure_apply(source.home, root / "apply.db")
    print(f"machine: {psutil.cpu_count()} cores; raw ed25519 verify (pynacl, 1 core): {verify_rate:,.0f}/s")
    elapsed = finished - launched
    sync_rate = steady * txs / height
    print(f"synced {height} blocks ({txs} txs, {txs / height:.0f} per block) in {elapsed:.1f} s including "
          f"process start: {height / elapsed:,.1f} blocks/s overall, {steady:,.1f} blocks/s from its first synced "
          f"block ({syncing - serving:.2f} s after it served: dial, status, first range) "
          f"({sync_rate:,.0f} tx/s = {sync_rate / verify_rate:.2f} x the raw verify rate); "
          f"syncing node RSS {rss / 2**20:.0f} MiB")
    print(f"in-process apply of the same blocks: {apply_rate:,.0f} tx/s finalize_block, {apply_commit_rate:,.0f} tx/s "
          f"with commit; sync / apply = {sync_rate / apply_rate:.2f} (target >= 0.8), "
          f"sync / apply with commit = {sync_rate / apply_commit_rate:.2f}")


if __name__ == "__main__":
    main()
