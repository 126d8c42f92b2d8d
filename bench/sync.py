"""Benchmark: blocks per second a fresh node syncs from a peer, on blocks of ~100 transfers.

A one-validator node builds a chain whose blocks hold --txs-per-block transfers (the block byte
cap is set to fit that many), then a fresh non-validator node with the same genesis and that
node as its only peer syncs it. Prints blocks/s and tx/s of the sync beside the raw ed25519
verify rate measured in the same run (every synced tx is verified again by the syncing node).

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

from akechain.node.config import load_config, save_config
from akechain.client.keystore import Keystore
from bench.baseline import measure_verify_rate
from bench.load import fund_senders, presign
from tests.node_process import NodeProcess, free_port, run_cli, wait_until

PASSPHRASE = "bench"
CHAIN_ID = "ake-bench-sync"
SENDERS = 20


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
    fee = source.get("/params").json()["auth"]["min_fee"]
    senders = [nacl.signing.SigningKey.generate() for _ in range(SENDERS)]
    fund_senders(source.url, Keystore(source.home / "keyring").load("validator", PASSPHRASE), CHAIN_ID, senders, fee)
    per_sender = blocks * txs_per_block // SENDERS
    batches = presign(senders, CHAIN_ID, per_sender, 100, fee)
    for batch in batches:
        httpx.post(f"{source.url}/txs", json={"txs": [t.hex() for t in batch]}, timeout=60).raise_for_status()
    wait_until(lambda: source.status()["mempool_size"] == 0, 600, "the chain to include every tx")
    return source.status()["height"]


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
        set_config(source.home, consensus__max_block_bytes=args.txs_per_block * tx_bytes,
                   consensus__timeout_commit_ms=150)
        source.start()
        fresh = init_home(root, "fresh")
        try:
            height = build_chain(source, args.blocks, args.txs_per_block)
            txs = sum(len(source.get(f"/blocks/{h}").json()["txs"]) for h in range(1, height + 1))
            (fresh.home / "genesis.json").write_text((source.home / "genesis.json").read_text())
            peer = json.loads(httpx.get(f"{source.url}/status").text)["node_id"]
            p2p_port = load_config(source.home / "config.toml").p2p.port
            set_config(fresh.home, p2p__persistent_peers=[f"/ip4/127.0.0.1/tcp/{p2p_port}/p2p/{peer}"])
            launched = time.monotonic()
            fresh.start()
            serving, first_height = time.monotonic(), fresh.status()["height"]
            fresh.wait_for_height(height, timeout=1200)
            finished = time.monotonic()
            steady = (height - first_height) / (finished - serving)
            rss = psutil.Process(fresh.proc.pid).memory_info().rss  # type: ignore[union-attr]
        finally:
            fresh.stop()
            source.stop()
    print(f"machine: {psutil.cpu_count()} cores; raw ed25519 verify (pynacl, 1 core): {verify_rate:,.0f}/s")
    elapsed = finished - launched
    print(f"synced {height} blocks ({txs} txs, {txs / height:.0f} per block) in {elapsed:.1f} s including "
          f"process start: {height / elapsed:,.1f} blocks/s overall, {steady:,.1f} blocks/s once serving "
          f"({steady * txs / height:,.0f} tx/s = {steady * txs / height / verify_rate:.2f} x the raw verify rate); "
          f"syncing node RSS {rss / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
