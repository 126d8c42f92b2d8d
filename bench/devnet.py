"""Benchmark: a 4-validator devnet on this machine under a steady load of transfers over HTTP.

Batches go to every node's API (each sender always to the same node); prints committed tx/s,
latency submit->commit p50/p99, mean block interval, CPU and peak RSS per node, beside the raw
ed25519 verify rate measured in the same run.

    .venv/bin/python -m bench.devnet [--validators 4] [--rate 1000] [--seconds 20] [--batch 100]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import threading
from pathlib import Path

import httpx
import nacl.signing
import psutil
import trio

from akechain.client.keystore import Keystore
from bench.baseline import measure_verify_rate
from bench.load import fund_senders, offer_load, presign, report_load
from tests.node_process import free_ports, run_cli


class ResourceSampler:
    """Samples each node process's RSS every 0.5 s (peak kept) and its CPU time over the run."""

    def __init__(self, pids: list[int]) -> None:
        self.processes = [psutil.Process(pid) for pid in pids]
        self.peak_rss = [0] * len(pids)
        self.cpu_start = [sum(p.cpu_times()[:2]) for p in self.processes]
        self.cpu_used = [0.0] * len(pids)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            for i, process in enumerate(self.processes):
                self.peak_rss[i] = max(self.peak_rss[i], process.memory_info().rss)

    def __enter__(self) -> "ResourceSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu_used = [sum(p.cpu_times()[:2]) - start for p, start in zip(self.processes, self.cpu_start)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--validators", type=int, default=4)
    parser.add_argument("--rate", type=float, default=1000, help="offered tx/s over all nodes")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--senders", type=int, default=40, help="a multiple of --validators")
    args = parser.parse_args()

    verify_rate = measure_verify_rate()
    per_sender = max(args.batch, int(args.rate * args.seconds) // args.senders // args.batch * args.batch)
    with tempfile.TemporaryDirectory(prefix="akebench-devnet-") as tmp:
        root = Path(tmp) / "devnet"
        run_cli("devnet", "--detach", "--home", str(root), "--validators", str(args.validators),
                "--base-port", str(free_ports(2 * args.validators)))
        try:
            doc = json.loads((root / "devnet.json").read_text())
            urls = [node["rpc"] for node in doc["nodes"]]
            chain_id = doc["chain_id"]
            passphrase = (root / "passphrase").read_text().strip()
            faucet = Keystore(root / "keyring").load("faucet", passphrase)
            fee = httpx.get(f"{urls[0]}/params").json()["auth"]["min_fee"]
            senders = [nacl.signing.SigningKey.generate() for _ in range(args.senders)]
            fund_senders(urls[0], faucet, chain_id, senders, fee)
            batches = presign(senders, chain_id, per_sender, args.batch, fee)
            start = httpx.get(f"{urls[0]}/status").json()
            with ResourceSampler([node["pid"] for node in doc["nodes"]]) as sampler:
                latencies, committed, elapsed = trio.run(offer_load, urls, batches, args.rate)
            end = httpx.get(f"{urls[0]}/status").json()
        finally:
            run_cli("devnet", "stop", "--home", str(root), check=False)
    blocks = end["height"] - start["height"]
    print(f"machine: {psutil.cpu_count()} cores; raw ed25519 verify (pynacl, 1 core): {verify_rate:,.0f}/s")
    print(f"devnet: {args.validators} validators, all on this machine")
    report_load(sum(map(len, batches)), args.rate, args.batch, args.senders, committed, elapsed, latencies, verify_rate)
    if blocks:
        print(f"{blocks} blocks, mean block interval {(end['block_time'] - start['block_time']) / blocks / 1000:.2f} s")
    for name, cpu, rss in zip((n["name"] for n in doc["nodes"]), sampler.cpu_used, sampler.peak_rss):
        print(f"  {name}: CPU {cpu / elapsed * 100:.0f}% of a core, peak RSS {rss / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
