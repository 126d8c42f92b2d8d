"""Benchmark: one node on 127.0.0.1 under a steady load of transfers over HTTP.

Prints committed tx/s, latency from submit to commit (p50/p99), the node's RSS, and the raw
ed25519 verify rate of this machine measured in the same run. Txs are pre-signed by many senders
and submitted in batches (`POST /txs` with {"txs": [...]}, `?wait=commit`), several batches in
flight, at a fixed offered rate; a batch's latency is the time from its submit to its answer.

    python -m bench.node [--rate 1500] [--seconds 20] [--batch 100] [--senders 60]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import nacl.signing
import psutil
import trio

from akechain.crypto import get_address
from akechain.keystore import Keystore
from akechain.tx import build_multi_send_tx, build_send_tx
from bench.baseline import measure_verify_rate
from tests.node_process import NodeProcess, free_port, run_cli

PASSPHRASE = "bench"


def start_node(root: Path) -> NodeProcess:
    home = root / "node"
    (root / "pass").write_text(PASSPHRASE)
    rpc_port = free_port()
    run_cli("init", "--home", str(home), "--chain-id", "ake-bench-1", "--moniker", "bench",
            "--rpc-port", str(rpc_port), "--p2p-port", str(free_port()), "--passphrase-file", str(root / "pass"))
    return NodeProcess(home, rpc_port).start()


def fund_senders(node: NodeProcess, senders: list[nacl.signing.SigningKey], fee: int) -> None:
    operator = Keystore(node.home / "keyring").load("validator", PASSPHRASE)
    outputs = [(get_address(key), 10**10) for key in senders]
    for start in range(0, len(outputs), 100):
        nonce = node.get(f"/accounts/{Keystore(node.home / 'keyring').show('validator').address}").json()["nonce"]
        tx = build_multi_send_tx(operator, "ake-bench-1", nonce, outputs[start:start + 100], fee)
        answer = httpx.post(f"{node.url}/txs", content=tx.hex(), params={"wait": "commit"}, timeout=60).json()
        if answer.get("result") is None or answer["result"]["code"] != 0:
            raise SystemExit(f"funding failed: {answer}")


def presign(senders: list[nacl.signing.SigningKey], per_sender: int, batch: int, fee: int) -> list[list[bytes]]:
    """Batches of `batch` txs; each batch holds consecutive nonces of one sender."""
    sink = get_address(nacl.signing.SigningKey.generate())
    batches = []
    for key in senders:
        txs = [build_send_tx(key, "ake-bench-1", nonce, sink, 1, fee) for nonce in range(per_sender)]
        batches.extend(txs[i:i + batch] for i in range(0, per_sender, batch))
    # Interleave senders so consecutive batches come from different accounts.
    by_sender = len(batches) // len(senders)
    return [batches[s * by_sender + i] for i in range(by_sender) for s in range(len(senders))]


async def offer_load(url: str, batches: list[list[bytes]], rate: float) -> tuple[list[float], int, float]:
    """Submit batches at `rate` tx/s; returns per-tx latencies, committed count, elapsed seconds."""
    latencies: list[float] = []
    committed = 0
    interval = len(batches[0]) / rate
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=64)) as client:
        start = time.monotonic()

        async def submit(batch: list[bytes]) -> None:
            nonlocal committed
            sent = time.monotonic()
            response = await client.post(f"{url}/txs", json={"txs": [t.hex() for t in batch]},
                                         params={"wait": "commit", "timeout": "60"})
            done = time.monotonic()
            for answer in response.json()["results"]:
                if answer.get("result") and answer["result"]["code"] == 0:
                    committed += 1
                    latencies.append(done - sent)

        async with trio.open_nursery() as nursery:
            for i, batch in enumerate(batches):
                await trio.sleep_until(start + i * interval)
                nursery.start_soon(submit, batch)
        return latencies, committed, time.monotonic() - start


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=1500, help="offered tx/s")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--senders", type=int, default=60)
    args = parser.parse_args()

    verify_rate = measure_verify_rate()
    total = int(args.rate * args.seconds)
    per_sender = max(args.batch, (total // args.senders // args.batch) * args.batch)
    with tempfile.TemporaryDirectory(prefix="akebench-") as tmp:
        node = start_node(Path(tmp))
        try:
            fee = node.get("/params").json()["auth"]["min_fee"]
            senders = [nacl.signing.SigningKey.generate() for _ in range(args.senders)]
            fund_senders(node, senders, fee)
            batches = presign(senders, per_sender, args.batch, fee)
            start_height = node.status()["height"]
            latencies, committed, elapsed = trio.run(offer_load, node.url, batches, args.rate)
            end_height = node.status()["height"]
            rss = psutil.Process(node.proc.pid).memory_info().rss  # type: ignore[union-attr]
        finally:
            node.stop()
    offered = sum(len(b) for b in batches)
    print(f"machine: {psutil.cpu_count()} cores; raw ed25519 verify (pynacl, 1 core): {verify_rate:,.0f}/s")
    print(f"offered {offered} txs at {args.rate:,.0f} tx/s in batches of {args.batch} from {args.senders} senders")
    print(f"committed {committed} txs in {elapsed:.1f} s: {committed / elapsed:,.0f} tx/s "
          f"({committed / elapsed / verify_rate:.2f} x raw verify rate), {end_height - start_height} blocks")
    if latencies:
        print(f"latency submit->commit: p50 {percentile(latencies, 50):.2f} s, p99 {percentile(latencies, 99):.2f} s")
    print(f"node RSS at end: {rss / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
