"""Shared pieces of the HTTP load benchmarks: fund senders, pre-sign transfers, offer a steady load."""
from __future__ import annotations

import statistics
from dataclasses import dataclass

import httpx
import nacl.signing
import trio

from akechain.chain.crypto import format_address, get_address
from akechain.chain.modules.auth.params import Params as AuthParams
from akechain.chain.modules.bank.msgs import MsgMultiSend, MsgSend, Output
from akechain.chain.tx import build_tx_paying_fee

SENDER_FUNDS = 10**10


def fund_senders(url: str, funder: nacl.signing.SigningKey, chain_id: str,
                 senders: list[nacl.signing.SigningKey], fee_params: AuthParams) -> None:
    """Multi-sends from `funder` to every sender, each waited for until committed."""
    outputs = [(get_address(key), SENDER_FUNDS) for key in senders]
    funder_address = format_address(get_address(funder))
    for start in range(0, len(outputs), 100):
        nonce = httpx.get(f"{url}/accounts/{funder_address}", timeout=10).json()["nonce"]
        msg = MsgMultiSend(tuple(Output(to, amount) for to, amount in outputs[start:start + 100]))
        tx = build_tx_paying_fee(funder, chain_id, nonce, [msg], fee_params)
        answer = httpx.post(f"{url}/txs", content=tx.hex(), params={"wait": "commit"}, timeout=60).json()
        if answer.get("result") is None or answer["result"]["code"] != 0:
            raise SystemExit(f"funding failed: {answer}")


def presign(senders: list[nacl.signing.SigningKey], chain_id: str, per_sender: int, batch: int,
            fee_params: AuthParams) -> list[list[bytes]]:
    """Batches of `batch` txs, each of consecutive nonces of one sender, senders interleaved:
    batch i belongs to sender i % len(senders)."""
    sink = get_address(nacl.signing.SigningKey.generate())
    by_sender = []
    for key in senders:
        txs = [build_tx_paying_fee(key, chain_id, nonce, [MsgSend(sink, 1)], fee_params) for nonce in range(per_sender)]
        by_sender.append([txs[i:i + batch] for i in range(0, per_sender, batch)])
    return [batches[i] for i in range(len(by_sender[0])) for batches in by_sender]


@dataclass(frozen=True, slots=True)
class LoadResult:
    latencies: list[float]  # per committed tx, submit to commit (seconds)
    committed: int
    busy: int  # txs answered busy (HTTP 503/429, or a batch entry marked busy)
    failed: int  # txs whose request got no answer (connection reset or closed)
    elapsed: float


async def offer_load(urls: list[str], batches: list[list[bytes]], rate: float) -> LoadResult:
    """Submit batches at `rate` tx/s, batch i to urls[i % len(urls)]: with `presign`'s order and
    len(urls) dividing the sender count, each sender always talks to one node, so its nonces
    arrive in order. The client's connection pool is larger than the node's in-flight cap, so an
    overloaded node answers busy instead of the client queueing."""
    latencies: list[float] = []
    committed = busy = failed = 0
    interval = len(batches[0]) / rate
    # Idle connections are dropped before the node's 5 s keep-alive timeout, so a request never
    # races the server closing the connection it was sent on.
    limits = httpx.Limits(max_connections=1024, keepalive_expiry=2.0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        start = trio.current_time()

        async def submit(url: str, batch: list[bytes]) -> None:
            nonlocal committed, busy, failed
            sent = trio.current_time()
            try:
                response = await client.post(f"{url}/txs", json={"txs": [t.hex() for t in batch]},
                                             params={"wait": "commit", "timeout": "60"})
            except httpx.TransportError:
                failed += len(batch)
                return
            done = trio.current_time()
            if response.status_code in (429, 503):
                busy += len(batch)
                return
            for answer in response.json()["results"]:
                busy += bool(answer.get("busy"))
                if answer.get("result") and answer["result"]["code"] == 0:
                    committed += 1
                    latencies.append(done - sent)

        async with trio.open_nursery() as nursery:
            for i, batch in enumerate(batches):
                await trio.sleep_until(start + i * interval)
                nursery.start_soon(submit, urls[i % len(urls)], batch)
        return LoadResult(latencies, committed, busy, failed, trio.current_time() - start)


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def report_load(offered: int, rate: float, batch: int, senders: int, load: LoadResult, verify_rate: float) -> None:
    print(f"offered {offered} txs at {rate:,.0f} tx/s in batches of {batch} from {senders} senders")
    print(f"committed {load.committed} txs in {load.elapsed:.1f} s: {load.committed / load.elapsed:,.0f} tx/s "
          f"({load.committed / load.elapsed / verify_rate:.2f} x the raw verify rate); "
          f"{load.busy / offered:.1%} of submitted txs answered busy, {load.failed} got no answer")
    if load.latencies:
        print(f"latency submit->commit of accepted txs: p50 {percentile(load.latencies, 50):.2f} s, "
              f"p99 {percentile(load.latencies, 99):.2f} s")
