"""`akechain watch`: SSE parsing and the run-out arithmetic alone, then against a real node: a
consumer watching its address sees its job's tx, is warned, once, before the lease's escrow runs
out, and sees the lease pause when it does."""
from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path
from queue import Empty, Queue

import pytest

from akechain.cli.watch import RunOutWatch, SSEvent, compute_run_out_height, parse_sse
from tests.node_process import AKECHAIN, NodeProcess, run_cli, wait_until


def escrow(height: int, left: int, *streams: tuple[int, str]) -> dict:
    return {"height": height, "left": left, "closed": False,
            "streams": [{"lease_id": i + 1, "rate": rate, "state": state} for i, (rate, state) in enumerate(streams)]}


def test_sse_frames_are_parsed_with_ids_types_and_multiline_data() -> None:
    lines = ["retry: 2000", "", ": keepalive", "", "id: 5.0", "event: new_block", 'data: {"height":', "data: 5}", "",
             "id: 5.1", "event: tx_committed", 'data: {"hash": "ab"}', ""]
    events = list(parse_sse(iter(lines)))
    assert [(e.id, e.type, e.data) for e in events] == [("5.0", "new_block", {"height": 5}),
                                                         ("5.1", "tx_committed", {"hash": "ab"})]


def test_run_out_height_counts_only_accruing_streams() -> None:
    assert compute_run_out_height(escrow(100, 95, (10, "accruing"), (5, "accruing"), (7, "paused"))) == 106
    assert compute_run_out_height(escrow(100, 95, (7, "stopped"))) is None
    assert compute_run_out_height({**escrow(100, 95, (10, "accruing")), "closed": True}) is None


def test_a_run_out_is_warned_once_within_the_window_and_again_after_a_top_up() -> None:
    watch = RunOutWatch(warn_blocks=20, jobs={7})
    assert watch.check(100, 7, escrow(100, 300, (10, "accruing"))) is None  # 30 blocks left: not yet
    warning = watch.check(110, 7, escrow(110, 200, (10, "accruing")))
    assert warning is not None and (warning["run_out_height"], warning["blocks_left"], warning["lease_ids"]) == (130, 20, [1])
    assert watch.check(111, 7, escrow(111, 190, (10, "accruing"))) is None  # the same run-out: once
    assert watch.check(112, 7, escrow(112, 180, (10, "accruing"))) is None
    topped = watch.check(125, 7, escrow(125, 150, (10, "accruing")))  # a top-up moved it to 140
    assert topped is not None and topped["run_out_height"] == 140


def test_a_run_out_the_chain_announced_is_not_warned_again() -> None:
    watch = RunOutWatch(warn_blocks=20, jobs={7})
    watch.note_chain_warning(SSEvent("98.3", "lease_running_out", {"job_id": "7", "lease_id": "1", "run_out_height": "130"}))
    assert watch.check(110, 7, escrow(110, 200, (10, "accruing"))) is None  # the chain warned of 130 already
    assert watch.check(125, 7, escrow(125, 150, (10, "accruing")))["run_out_height"] == 140


def read_lines(proc: subprocess.Popen[str], into: Queue) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        into.put(line)


def read_until(lines: Queue, kind: str, timeout: float = 60) -> list[dict]:
    """The JSON lines printed until one of type `kind` (or the timeout)."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not any(d["type"] == kind for d in seen):
        try:
            seen.append(json.loads(lines.get(timeout=1)))
        except Empty:
            continue
    return seen


@pytest.mark.slow
def test_watch_shows_the_consumers_job_and_warns_before_its_escrow_runs_out(single_node: NodeProcess,
                                                                           tmp_path: Path) -> None:
    home, node = str(single_node.home), single_node.url
    pass_file = str(single_node.home.parent / "pass")
    signing = ["--home", home, "--node", node, "--passphrase-file", pass_file]
    alice = json.loads(run_cli("keys", "add", "alice", "--home", home, "--passphrase-file", pass_file).stdout)["address"]
    run_cli("tx", "bank", "send", "validator", alice, "10000000", *signing)
    run_cli("tx", "market", "register-provider", "--hardware", "cpu_cores=4,memory_mb=2048", "--region", "eu",
            "--collateral", "3000000", "--key", "validator", *signing)
    watcher = subprocess.Popen([*AKECHAIN, "watch", "--node", node, "--address", alice, "--warn-blocks", "40", "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: Queue = Queue()
    threading.Thread(target=read_lines, args=(watcher, lines), daemon=True).start()
    try:
        time.sleep(1.0)  # the stream starts at the next block
        run_cli("tx", "market", "create-job", "--budget", "100", "--max-price", "10", "--duration", "1000",
                "--bid-window", "8", "--cmd", "python3 -c 'print(1)'", "--resources", "cpu_cores=1", "--key", "alice",
                *signing)
        job = wait_until(lambda: [j for j in single_node.get("/jobs").json() if j["consumer"] == alice], 20, "the job")[0]
        run_cli("tx", "market", "bid", str(job["id"]), "--price", "10", "--resources", "cpu_cores=1", "--key", "validator",
                *signing)
        seen = read_until(lines, "lease_running_out")
        created = [d for d in seen if d["type"] == "tx_committed" and any(e["type"] == "job_created" for e in d["events"])]
        assert created and created[0]["sender"] == alice
        assert all(d["type"] != "new_block" for d in seen)  # --address keeps the txs naming it
        warning = next(d for d in seen if d["type"] == "lease_running_out")
        assert warning["job_id"] == job["id"] and warning["rate"] == 10 and 0 < warning["blocks_left"] <= 30
        assert warning["run_out_height"] == warning["height"] + warning["left"] // 10
        later = read_until(lines, "lease_paused")
        assert all(d["type"] != "lease_running_out" for d in later)  # the same run-out is warned once
        paused = next(d for d in later if d["type"] == "lease_paused")  # the job's lease event, by its job
        assert paused["job_id"] == str(job["id"]) and paused["tx"] is None
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)
