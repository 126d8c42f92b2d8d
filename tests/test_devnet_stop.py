"""Stopping devnet processes: all at once, not fooled by zombies, SIGKILL after the grace period;
and end to end, Ctrl-C of `akechain devnet` returns within 5 s with no node left running."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from akechain.cli.processes import is_running, stop_all
from tests.node_process import AKECHAIN, free_ports, wait_until

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
# Ignores SIGTERM, and says so once the handler is installed.
STUBBORN = [sys.executable, "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); "
            "time.sleep(60)"]


def test_exited_unreaped_child_counts_as_stopped() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    wait_until(lambda: Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z", 10,
               "the child to become a zombie")
    assert not is_running(child.pid)


def test_stop_all_stops_every_process_at_once_and_kills_the_stubborn() -> None:
    sleepers = [subprocess.Popen(SLEEPER) for _ in range(4)]
    stubborn = subprocess.Popen(STUBBORN, stdout=subprocess.PIPE)
    assert stubborn.stdout is not None and stubborn.stdout.readline() == b"ready\n"
    pids = [p.pid for p in sleepers] + [stubborn.pid]
    assert stop_all(pids, grace=2.0) == set(pids)
    assert not any(is_running(pid) for pid in pids)  # the stubborn one too: it ignores SIGTERM
    assert stop_all(pids, grace=2.0) == set()  # already gone: nothing to stop


def test_stop_all_does_not_wait_out_the_grace_for_exiting_children() -> None:
    """The bug this replaces: `os.kill(pid, 0)` succeeds on a zombie, so each node cost the full timeout."""
    children = [subprocess.Popen(SLEEPER) for _ in range(4)]
    started = time.monotonic()
    stop_all([c.pid for c in children], grace=30.0)
    assert time.monotonic() - started < 10.0


@pytest.mark.slow
def test_ctrl_c_of_devnet_stops_every_node_without_waiting_out_a_grace(tmp_path: Path) -> None:
    """Each node stops in about a second; the bug waited a 20 s grace per node (over a minute for
    four). The bound is below one grace, with room for a loaded machine."""
    root = tmp_path / "devnet"
    devnet = subprocess.Popen([*AKECHAIN, "devnet", "--home", str(root), "--base-port", str(free_ports(8))],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        doc = wait_until(lambda: (root / "devnet.json").exists() and json.loads((root / "devnet.json").read_text()),
                         120, "devnet.json")
    except AssertionError:
        devnet.kill()
        raise AssertionError(devnet.communicate(timeout=10)[1].decode(errors="replace")) from None
    pids = [node["pid"] for node in doc["nodes"]]
    try:
        time.sleep(2)  # let the nodes connect and commit, so they stop from a busy state
        started = time.monotonic()
        devnet.send_signal(signal.SIGINT)
        devnet.wait(timeout=30)
        elapsed = time.monotonic() - started
        assert elapsed < 15.0, f"Ctrl-C took {elapsed:.1f} s"
        assert not any(is_running(pid) for pid in pids)
        assert not (root / "devnet.json").exists()
    finally:
        stop_all(pids, grace=1.0)
