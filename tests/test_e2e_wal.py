"""End to end: a node killed mid-write repairs a torn WAL tail; damage inside the WAL stops it
with a message naming the file and the byte offset, never a silent skip."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import init_single_node

pytestmark = pytest.mark.slow


def test_torn_wal_tail_is_repaired_on_restart(tmp_path: Path) -> None:
    node = init_single_node(tmp_path).start()
    node.wait_for_height(3)
    node.kill9()
    wal = node.home / "wal" / "consensus.wal"
    size = wal.stat().st_size
    with wal.open("r+b") as f:
        f.truncate(size - 3)  # the last record loses its tail, as if the kill hit mid-write
    node.start()
    status = node.wait_for_height(5)
    assert status["height"] >= 5
    assert "torn" in node.log_tail(200)
    assert node.stop() == 0


def test_corruption_inside_the_wal_stops_the_node_with_file_and_offset(tmp_path: Path) -> None:
    node = init_single_node(tmp_path).start()
    node.wait_for_height(3)
    node.kill9()
    wal = node.home / "wal" / "consensus.wal"
    data = bytearray(wal.read_bytes())
    middle = len(data) // 2
    data[middle] ^= 0xFF
    wal.write_bytes(bytes(data))
    result = subprocess.run([sys.executable, "-m", "akechain.cli", "start", "--home", str(node.home)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert str(wal) in message and "offset" in message, result.stderr[-2000:]
