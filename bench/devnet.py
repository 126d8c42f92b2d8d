"""Benchmark: a 4-validator devnet on this machine under a steady load of transfers over HTTP.

Batches go to every node's API (each sender always to the same node); prints committed tx/s,
latency submit->commit p50/p99, mean block interval, CPU and peak RSS per node, beside the raw
ed25519 verify rate measured in the same run.

`--overload` first finds the saturation rate (the most committed tx/s over short runs at each
`--probe-rates`, or `--saturation` when given), then offers twice that for `--seconds` and prints
committed tx/s against the saturation rate, the share of txs answered busy (HTTP 503/429) and
p50/p99 submit->commit latency of the accepted txs (targets: >= 90% of saturation, p99 <= 3 s).
There every batch has its own sender, so a busy answer leaves no nonce gap for later batches.

    .venv/bin/python -m bench.devnet [--validators 4] [--rate 1000] [--seconds 20] [--batch 100]
    .venv/bin/python -m bench.devnet --overload [--probe-rates 1200,1600,2000] [--saturation RATE]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import httpx
import nacl.signing
import psutil
import trio

from akechain.client.keystore import Keystore
from akechain.chain.modules.auth.params import PARAMS as AUTH_PARAMS
from bench.baseline import measure_verify_rate
from bench.load import LoadResult, fund_senders, offer_load, percentile, presign, report_load
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


PROBE_SECONDS = 10.0


def batch_count(rate: float, seconds: float, batch: int, multiple: int) -> int:
    """Batches for `rate` tx/s over `seconds`, rounded up to a multiple of the node count."""
    return max(multiple, -(-int(rate * seconds) // batch // multiple) * multiple)


def overload(urls: list[str], batches: list[list[bytes]], args: argparse.Namespace) -> tuple[float, LoadResult, float]:
    """(saturation tx/s, the run at twice it, the offered rate): probes first unless --saturation."""
    saturation = args.saturation
    used = 0
    for rate in ([] if saturation else args.probe_rates):
        count = batch_count(rate, PROBE_SECONDS, args.batch, len(urls))
        probe = trio.run(offer_load, urls, batches[used:used + count], rate)
        used += count
        print(f"probe at {rate:,.0f} tx/s offered: {probe.committed / probe.elapsed:,.0f} tx/s committed, "
              f"{probe.busy} busy, {probe.failed} unanswered, p99 {percentile(probe.latencies, 99) if probe.latencies else 0:.2f} s")
        saturation = max(saturation or 0, probe.committed / probe.elapsed)
    offered = 2 * saturation
    count = batch_count(offered, args.seconds, args.batch, len(urls))
    if used + count > len(batches):
        raise SystemExit(f"saturation {saturation:,.0f} tx/s needs more pre-signed txs; pass --max-rate")
    return saturation, trio.run(offer_load, urls, batches[used:used + count], offered), offered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--validators", type=int, default=4)
    parser.add_argument("--rate", type=float, default=1000, help="offered tx/s over all nodes")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--senders", type=int, default=40, help="a multiple of --validators")
    parser.add_argument("--overload", action="store_true", help="offer twice the saturation rate")
    parser.add_argument("--probe-rates", type=lambda text: [float(r) for r in text.split(",")],
                        default=[1200.0, 1600.0, 2000.0], help="offered tx/s of the saturation probes")
    parser.add_argument("--saturation", type=float, default=None, help="skip the probes: this is saturation")
    parser.add_argument("--max-rate", type=float, default=5000, help="the most --overload may offer (pre-signing)")
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
            fee_params = AUTH_PARAMS.from_json(httpx.get(f"{urls[0]}/params").json()["auth"])
            if args.overload:  # one sender per batch, enough for the probes and twice --max-rate
                probes = sum(batch_count(r, PROBE_SECONDS, args.batch, len(urls)) for r in args.probe_rates)
                args.senders = probes + batch_count(args.max_rate, args.seconds, args.batch, len(urls))
                per_sender = args.batch
            senders = [nacl.signing.SigningKey.generate() for _ in range(args.senders)]
            fund_senders(urls[0], faucet, chain_id, senders, fee_params)
            batches = presign(senders, chain_id, per_sender, args.batch, fee_params)
            start = httpx.get(f"{urls[0]}/status").json()
            sampled = time.monotonic()
            with ResourceSampler([node["pid"] for node in doc["nodes"]]) as sampler:
                if args.overload:
                    saturation, load, rate = overload(urls, batches, args)
                else:
                    load, rate = trio.run(offer_load, urls, batches, args.rate), args.rate
            sampled = time.monotonic() - sampled
            end = httpx.get(f"{urls[0]}/status").json()
        finally:
            run_cli("devnet", "stop", "--home", str(root), check=False)
    blocks = end["height"] - start["height"]
    offered = int(rate * args.seconds) if args.overload else sum(map(len, batches))
    print(f"machine: {psutil.cpu_count()} cores; raw ed25519 verify (pynacl, 1 core): {verify_rate:,.0f}/s")
    print(f"devnet: {args.validators} validators, all on this machine")
    report_load(offered, rate, args.batch, args.senders, load, verify_rate)
    if args.overload:
        committed = load.committed / load.elapsed
        p99 = percentile(load.latencies, 99) if load.latencies else float("inf")
        print(f"overload: saturation {saturation:,.0f} tx/s, offered {rate:,.0f} tx/s; committed {committed:,.0f} tx/s "
              f"= {committed / saturation:.0%} of saturation (target >= 90%), p99 {p99:.2f} s (target <= 3 s)")
    if blocks:
        print(f"{blocks} blocks, mean block interval {(end['block_time'] - start['block_time']) / blocks / 1000:.2f} s")
    for name, cpu, rss in zip((n["name"] for n in doc["nodes"]), sampler.cpu_used, sampler.peak_rss):
        print(f"  {name}: CPU {cpu / sampled * 100:.0f}% of a core, peak RSS {rss / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
