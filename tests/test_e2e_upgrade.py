"""End to end: a software upgrade on a 4-validator devnet of real processes. A proposal carrying an
upgrade plan passes by vote; at the plan's height all four nodes stop with `UPGRADE "v2" NEEDED`,
the block unapplied; the same binary restarted stops again there (exit 1); the same nodes restarted
with the plan's upgrade (`--upgrade-plugin upgrade_plugin:UPGRADE`, tests/ on PYTHONPATH) run its
migration (the market at consensus version 2, its take rate halved) and continue the chain. Then a
stopped node's state is exported and imported as a new chain at initial_height H + 1 that produces
blocks."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import Devnet, init_single_node, running_devnet
from tests.node_process import NodeProcess, run_cli, wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ["--upgrade-plugin", "upgrade_plugin:UPGRADE"]
SHORT_GOV = {"gov": {"deposit_period_ms": 10_000, "voting_period_ms": 10_000, "expedited_voting_period_ms": 5_000}}


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def signer(net: Devnet, i: int) -> list[str]:
    return ["--key", "validator", "--home", str(net.nodes[i].home), "--node", net.nodes[i].url,
            "--passphrase-file", str(net.root / "passphrase")]


def test_an_upgrade_plan_stops_all_four_nodes_and_the_upgraded_nodes_continue(tmp_path: Path) -> None:
    params_file = tmp_path / "params.json"
    params_file.write_text(json.dumps(SHORT_GOV))
    with running_devnet(tmp_path / "devnet", "--params", str(params_file)) as net:
        node = net.nodes[0]
        take_rate = node.get("/params/market").json()["take_rate_bps"]
        plan_height = max(net.heights()) + 45  # past the 10 s voting period on a slow box
        proposal_file = tmp_path / "proposal.json"
        proposal_file.write_text(json.dumps({
            "title": "Upgrade to v2", "summary": "", "deposit": node.get("/params/gov").json()["min_deposit"],
            "messages": [{"type": "upgrade/software_upgrade", "name": "v2", "height": plan_height,
                          "info": "the v2 release"}]}))
        assert json.loads(run_cli("tx", "gov", "submit-proposal", str(proposal_file), *signer(net, 0)).stdout)["code"] == 0
        (proposal,) = node.get("/proposals").json()
        for i in range(2):  # half the bonded stake: past quorum, all yes
            assert json.loads(run_cli("tx", "gov", "vote", str(proposal["id"]), "yes", *signer(net, i)).stdout)["code"] == 0
        wait_until(lambda: node.get(f"/proposals/{proposal['id']}").json()["status"] == "passed", 30, "the proposal to pass")
        assert node.get("/upgrade/plan").json() == {"plan": {"name": "v2", "height": plan_height, "info": "the v2 release"}}
        assert json.loads(run_cli("query", "upgrade", "plan", "--node", node.url).stdout)["plan"]["name"] == "v2"
        assert max(net.heights()) < plan_height

        # every node stops at the plan's height: height H - 1 committed, the message naming the plan
        wait_until(lambda: not any(is_alive(net.pid(i)) for i in range(4)), 90, "all four nodes to stop at the plan")
        needed = f'UPGRADE "v2" NEEDED at height {plan_height}'
        for n in net.nodes:
            assert needed in (n.home / "node.log").read_text(), n.log_tail()

        # the same binary, restarted, stops again at the same block (exit 1), never past it
        again = NodeProcess(net.nodes[0].home, int(net.nodes[0].url.rsplit(":", 1)[1]))
        again.start(wait=False)
        assert again.proc is not None and again.proc.wait(timeout=60) == 1
        assert again.log_tail(5).count(needed) >= 1

        # the new version: the same homes with the plan's upgrade registered go on past the plan
        env = {**os.environ, "PYTHONPATH": f"{ROOT / 'tests'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        for i, n in enumerate(net.nodes):
            net.nodes[i] = NodeProcess(n.home, int(n.url.rsplit(":", 1)[1])).start(*PLUGIN, env=env)
        net.wait_for_height(plan_height + 3, [0, 1, 2, 3], timeout=90)
        for n in net.nodes:
            assert n.get("/upgrade/applied").json() == {"applied": [{"name": "v2", "height": plan_height}]}
            assert n.get("/upgrade/plan").json() == {"plan": None}
            assert n.get("/upgrade/versions").json()["versions"]["market"] == 2
            assert n.get("/params/market").json()["take_rate_bps"] == take_rate // 2
        for height in (plan_height, plan_height + 1):
            app_hashes = {n.get(f"/blocks/{height}").json()["header"]["app_hash"] for n in net.nodes}
            assert len(app_hashes) == 1, f"app hashes differ at height {height}: {app_hashes}"


def test_an_exported_chain_is_imported_at_the_next_height_and_produces_blocks(tmp_path: Path) -> None:
    node = init_single_node(tmp_path).start()
    try:
        node.wait_for_height(4)
    finally:
        assert node.stop() == 0, node.log_tail()
    exported_file = tmp_path / "exported.json"
    run_cli("export", "--home", str(node.home), "--out", str(exported_file))
    exported = json.loads(exported_file.read_text())
    last = exported["initial_height"] - 1
    assert last >= 4 and exported["chain_id"] == "ake-e2e-1"
    # the same validator on a fresh data directory, from the exported genesis
    shutil.rmtree(node.home / "data")
    shutil.rmtree(node.home / "wal")
    shutil.copy(exported_file, node.home / "genesis.json")
    started = time.monotonic()
    node.start()
    try:
        status = node.wait_for_height(last + 3, timeout=60)
        assert status["height"] >= last + 3 and time.monotonic() - started < 60
        first = node.get(f"/blocks/{last + 1}").json()
        assert first["height"] == last + 1
        assert httpx.get(f"{node.url}/upgrade/versions", timeout=5).json()["versions"]["market"] == 1
    finally:
        assert node.stop() == 0, node.log_tail()
