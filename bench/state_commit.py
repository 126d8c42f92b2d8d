"""Commit cost of the authenticated state on LevelDB: SMT updates/s, block commit time, memory.

    .venv/bin/python bench/state_commit.py [--keys 1000000] [--changed 5000] [--blocks 7]

Builds a store of `--keys` accounts in a temporary LevelDB, then commits `--blocks` blocks of
`--changed` keys (90% updates, 5% inserts, 5% deletes, as transfers and account churn would) and
prints medians. The temporary directory is removed at the end.
"""
from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from state import smt  # noqa: E402
from state.kv import LevelKV  # noqa: E402
from state.store import CommitStore  # noqa: E402

BUILD_CHUNK = 50_000


def account_key(i: int) -> bytes:
    return b"bank/balance/" + i.to_bytes(20, "big")


def balance(rng: random.Random) -> bytes:
    return rng.randbytes(40)


def build(store: CommitStore, keys: int, rng: random.Random) -> float:
    """Commit `keys` accounts in chunks; returns the seconds taken."""
    started = time.perf_counter()
    for first in range(0, keys, BUILD_CHUNK):
        chunk = {account_key(i): balance(rng) for i in range(first, min(first + BUILD_CHUNK, keys))}
        store.commit(store.version + 1, chunk)
    return time.perf_counter() - started


def block_changes(live: list[int], next_id: int, changed: int, rng: random.Random) -> tuple[dict, int]:
    """A block's changes; `live` (ids present) is updated in place; returns (changes, next id)."""
    changes: dict[bytes, bytes | None] = {}
    inserts = deletes = changed // 20
    for _ in range(inserts):
        live.append(next_id)
        changes[account_key(next_id)] = balance(rng)
        next_id += 1
    for _ in range(deletes):
        at = rng.randrange(len(live))
        live[at], live[-1] = live[-1], live[at]
        changes[account_key(live.pop())] = None
    while len(changes) < changed:
        changes[account_key(live[rng.randrange(len(live))])] = balance(rng)
    return changes, next_id


def measure_proofs(store: CommitStore, live: list[int], rng: random.Random, count: int = 2000) -> tuple[float, float, int]:
    """Averages over `count` live keys: (ms per proof, ms per verify, bytes per proof)."""
    keys = [account_key(live[rng.randrange(len(live))]) for _ in range(count)]
    started = time.perf_counter()
    proofs = [store.prove(key) for key in keys]
    proving = time.perf_counter() - started
    root = store.root()
    values = [store.get(key) for key in keys]
    started = time.perf_counter()
    if not all(smt.verify_proof(root, k, v, p) for k, v, p in zip(keys, values, proofs)):
        raise RuntimeError("a proof failed to verify")
    verifying = time.perf_counter() - started
    size = sum(32 * len(p.siblings) + 64 for p in proofs) // count
    return proving / count * 1e3, verifying / count * 1e3, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--changed", type=int, default=5_000)
    parser.add_argument("--blocks", type=int, default=7)
    parser.add_argument("--cache-levels", type=int, default=20, help="tree levels cached in memory")
    args = parser.parse_args()
    rng = random.Random(7)
    workdir = tempfile.mkdtemp(prefix="ake-bench-state-")
    try:
        kv = LevelKV(workdir)
        store = CommitStore(kv, cache_levels=args.cache_levels)
        seconds = build(store, args.keys, rng)
        print(f"built {args.keys:,} keys in {seconds:.1f} s ({args.keys / seconds:,.0f} keys/s)")
        live, next_id = list(range(args.keys)), args.keys
        times, cpu_times = [], []
        for _ in range(args.blocks):
            changes, next_id = block_changes(live, next_id, args.changed, rng)
            started, cpu_started = time.perf_counter(), time.process_time()
            store.commit(store.version + 1, changes)
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu_started)
        median, cpu_median = statistics.median(times), statistics.median(cpu_times)
        print(
            f"blocks of {args.changed:,} changed keys: commit median {median * 1e3:.0f} ms wall "
            f"(min {min(times) * 1e3:.0f}, max {max(times) * 1e3:.0f}), {cpu_median * 1e3:.0f} ms CPU "
            f"-> {args.changed / median:,.0f} SMT updates/s wall, {args.changed / cpu_median:,.0f} per CPU-second"
        )
        prove_ms, verify_ms, size = measure_proofs(store, live, rng)
        print(f"proofs: generate {prove_ms:.3f} ms, verify {verify_ms:.3f} ms, ~{size} B")
        kv.close()
        rss = psutil.Process().memory_info().rss
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        disk = sum(f.stat().st_size for f in Path(workdir).iterdir())
        print(f"memory: RSS {rss / 2**20:.0f} MiB, peak RSS {peak_kb / 1024:.0f} MiB; LevelDB on disk {disk / 2**20:.0f} MiB")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
