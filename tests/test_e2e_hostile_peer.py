"""A hostile peer floods a 4-validator devnet for 30 s (forged lower-height votes and txs, next-height
messages, large-message notices, under fresh identities): every node keeps committing, stays under
300 MB RSS, and its WAL stays under its bound."""
from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import psutil
import pytest
import trio

from akechain.node.config import Home
from consensus.config import Config
from consensus.wal import ROTATE_BYTES
from tests.conftest import Devnet
from tests.hostile_peer import flood

pytestmark = pytest.mark.slow

FLOOD_SECONDS = 30
WINDOW_SECONDS = 10
MAX_RSS = 300 * 1024 * 1024


def test_hostile_peer_flood_leaves_every_node_committing_and_bounded(devnet: Devnet) -> None:
    devnet.wait_for_height(3, [0, 1, 2, 3])
    addresses = [n["p2p"] for n in devnet.doc["nodes"]]
    sent: list[int] = []
    flooder = threading.Thread(target=lambda: sent.append(trio.run(
        flood, addresses, devnet.chain_id, lambda: devnet.nodes[0].status()["height"], FLOOD_SECONDS,
        random.Random(8))), daemon=True)
    flooder.start()
    windows = []
    while flooder.is_alive():
        before = devnet.heights()
        time.sleep(WINDOW_SECONDS)
        windows.append([after - b for after, b in zip(devnet.heights(), before)])
        for i in range(4):
            rss = psutil.Process(devnet.pid(i)).memory_info().rss
            assert rss < MAX_RSS, f"node {i} RSS {rss >> 20} MiB"
    flooder.join(30)
    assert sent and sent[0] > 1000, f"the flood sent {sent}"
    assert all(min(w) >= 1 for w in windows[:-1]), f"blocks per node in each {WINDOW_SECONDS} s: {windows}"
    wal_bound = ROTATE_BYTES + Config().max_wal_bytes_per_height
    for node in devnet.doc["nodes"]:
        wal = Home(Path(node["home"])).wal_file
        assert wal.stat().st_size < wal_bound
    devnet.wait_for_height(max(devnet.heights()) + 2, [0, 1, 2, 3], timeout=60)
