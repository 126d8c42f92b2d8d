"""Benchmark: one node on 127.0.0.1 under a steady load of transfers over HTTP.

Prints committed tx/s, latency from submit to commit (p50/p99), the node's RSS, and the raw
ed25519 verify rate of this machine measured in the same run. Txs are pre-signed by many senders
and submitted in batches (`POST /txs` with {"txs": [...]}, `?wait=commit`), several batches in
flight, at a fixed offered rate; a batch's latency is the time from its submit to its answer.

    .venv/bin/python -m bench.node [--rate 1500] [--seconds 20] [--batch 100] [--senders 60]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import nacl.signing
import psutil
import trio

from akechain.client.keystore import Keystore
from akechain.chain.modules.auth.params import PARAMS as AUTH_PARAMS
from bench.baseline import measure_verify_rate
from bench.load import fund_senders, offer_load, presign, report_load
from tests.node_process import NodeProcess, free_port, run_cli

PASSPHRASE = "bench"
CHAIN_ID = "ake-bench-1"


def start_node(root: Path) -> NodeProcess:
    home = root / "node"
    (root / "pass").write_text(PASSPHRASE)
    rpc_port = free_port()
    run_cli("init", "--home", str(home), "--chain-id", CHAIN_ID, "--moniker", "bench",
            "--rpc-port", str(rpc_port), "--p2p-port", str(free_port()), "--passphrase-file", str(root / "pass"))
    return NodeProcess(home, rpc_port).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1500, help="offered tx/s")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--senders", type=int, default=60)
    args = parser.parse_args()

    verify_rate = measure_verify_rate()
    per_sender = max(args.batch, int(args.rate * args.seconds) // args.senders // args.batch * args.batch)
    with tempfile.TemporaryDirectory(prefix="akebench-") as tmp:
        node = start_node(Path(tmp))
        try:
            fee_params = AUTH_PARAMS.from_json(node.get("/params").json()["auth"])
            senders = [nacl.signing.SigningKey.generate() for _ in range(args.senders)]
            fund_senders(node.url, Keystore(node.home / "keyring").load("validator", PASSPHRASE), CHAIN_ID, senders, fee_params)
            batches = presign(senders, CHAIN_ID, per_sender, args.batch, fee_params)
            start_height = node.status()["height"]
            load = trio.run(offer_load, [node.url], batches, args.rate)
            blocks = node.status()["height"] - start_height
            rss = psutil.Process(node.proc.pid).memory_info().rss  # type: ignore[union-attr]
        finally:
            node.stop()
    print(f"machine: {psutil.cpu_count()} cores; raw ed25519 verify (pynacl, 1 core): {verify_rate:,.0f}/s")
    report_load(sum(map(len, batches)), args.rate, args.batch, args.senders, load, verify_rate)
    print(f"{blocks} blocks; node RSS at end: {rss / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
