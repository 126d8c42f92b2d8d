"""Governance on a real single node with gov periods of seconds: `akechain tx gov submit-proposal
FILE` (a param change of the market and a treasury spend), `tx gov vote`, the live tally on
`/proposals/{id}/tally` while voting runs, the proposal passing and its messages applied (the
market's take rate, the recipient paid, `/treasury`), `/proposals`, `/proposals/{id}/votes`, a
param out of bounds refused at submission, 4xx JSON for bad ids, and the query commands."""
from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from akechain.client.keystore import Keystore
from tests.conftest import PASSPHRASE, init_single_node
from tests.node_process import NodeProcess, run_cli, wait_until

SHORT = {"deposit_period_ms": 4_000, "voting_period_ms": 4_000, "expedited_voting_period_ms": 2_000}


@pytest.fixture
def gov_node(tmp_path: Path):
    process = init_single_node(tmp_path)
    genesis_file = process.home / "genesis.json"
    genesis = json.loads(genesis_file.read_text())
    genesis["app_state"]["gov"]["params"].update(SHORT)
    genesis_file.write_text(json.dumps(genesis))
    process.start()
    yield process
    assert process.stop() == 0, process.log_tail()


def test_a_proposal_is_submitted_voted_and_executed_over_cli_and_http(gov_node: NodeProcess, tmp_path: Path) -> None:
    url = gov_node.url
    signer = ["--key", "validator", "--home", str(gov_node.home), "--node", url, "--passphrase-file",
              str(gov_node.home.parent / "pass")]
    recipient = Keystore(gov_node.home / "keyring").add("grantee", PASSPHRASE).address
    min_deposit = httpx.get(f"{url}/params/gov").json()["min_deposit"]
    take_rate = httpx.get(f"{url}/params/market").json()["take_rate_bps"]
    proposal_file = tmp_path / "proposal.json"
    proposal_file.write_text(json.dumps({
        "title": "Lower the take rate, fund an audit", "summary": "", "deposit": min_deposit,
        "messages": [{"type": "gov/update_params", "module": "market",
                      "changes": json.dumps({"take_rate_bps": take_rate // 2})},
                     {"type": "gov/treasury_spend", "recipient": recipient, "amount": 1_000}]}))
    answer = json.loads(run_cli("tx", "gov", "submit-proposal", str(proposal_file), *signer).stdout)
    assert answer["code"] == 0
    (proposal,) = httpx.get(f"{url}/proposals").json()
    assert proposal["status"] == "voting_period" and proposal["messages"][1]["recipient"] == recipient
    pid = proposal["id"]

    assert json.loads(run_cli("tx", "gov", "vote", str(pid), "yes", *signer).stdout)["code"] == 0
    tally = httpx.get(f"{url}/proposals/{pid}/tally").json()
    if tally["live"]:  # the period may already be over on a slow machine
        assert tally["yes"] == tally["bonded"] > 0 and tally["turnout_bps"] == 10_000
    votes = httpx.get(f"{url}/proposals/{pid}/votes").json()
    assert votes == [{"voter": proposal["proposer"], "options": [{"option": "yes", "weight_bps": 10_000}]}]

    wait_until(lambda: httpx.get(f"{url}/proposals/{pid}").json()["status"] == "passed", 30, "the proposal to pass")
    assert httpx.get(f"{url}/params/market").json()["take_rate_bps"] == take_rate // 2
    assert httpx.get(f"{url}/accounts/{recipient}").json()["balance"] == 1_000
    assert httpx.get(f"{url}/treasury").json()["spent"] == 1_000
    final = json.loads(run_cli("query", "gov", "tally", str(pid), "--node", url).stdout)
    assert final["live"] is False and final["yes"] > 0

    proposal_file.write_text(json.dumps({"title": "too far", "deposit": min_deposit, "messages": [
        {"type": "gov/update_params", "module": "market", "changes": json.dumps({"take_rate_bps": 10**6})}]}))
    refused = run_cli("tx", "gov", "submit-proposal", str(proposal_file), *signer, check=False)
    assert refused.returncode == 1 and "take_rate_bps" in refused.stdout + refused.stderr
    assert len(json.loads(run_cli("query", "gov", "proposals", "--node", url).stdout)) == 1

    assert httpx.get(f"{url}/guardian").json() == {"guardian": None, "powers": [], "paused": [], "retired": False}
    assert json.loads(run_cli("query", "gov", "guardian", "--node", url).stdout)["guardian"] is None
    assert httpx.get(f"{url}/proposals/99").status_code == 404
    bad = httpx.get(f"{url}/proposals/abc/tally")
    assert bad.status_code == 400 and "error" in bad.json()


def test_a_hot_key_without_funds_sends_for_its_owner_over_cli_and_http(single_node: NodeProcess, tmp_path: Path) -> None:
    url, home = single_node.url, single_node.home
    common = ["--home", str(home), "--node", url, "--passphrase-file", str(home.parent / "pass")]
    keys = Keystore(home / "keyring")
    owner = keys.show("validator").address
    hot = keys.add("hot", PASSPHRASE).address
    friend = keys.add("friend", PASSPHRASE).address
    expiry = str(2**62)  # block time in ms: far off
    assert json.loads(run_cli("tx", "authz", "grant", hot, "--msg-type", "bank/send", "--spend-limit", "1000",
                              "--expiration-ms", expiry, "--key", "validator", *common).stdout)["code"] == 0
    assert json.loads(run_cli("tx", "feegrant", "grant", hot, "100000", "--key", "validator", *common).stdout)["code"] == 0
    unsigned = tmp_path / "send.json"
    unsigned.write_text(run_cli("tx", "bank", "send", "validator", friend, "700", "--generate-only", *common).stdout)
    answer = json.loads(run_cli("tx", "authz", "exec", str(unsigned), "--granter", owner, "--key", "hot", *common).stdout)
    assert answer["code"] == 0
    assert httpx.get(f"{url}/accounts/{friend}").json()["balance"] == 700
    assert httpx.get(f"{url}/accounts/{hot}").json()["balance"] == 0  # its fee came from the allowance
    grants = httpx.get(f"{url}/grants/{owner}").json()
    assert [(g["grantee"], g["msg_types"], g["spent"]) for g in grants["grants"]] == [(hot, ["bank/send"], 700)]
    assert httpx.get(f"{url}/grants/{hot}").json()["fee_allowance"]["granter"] == owner
    over = run_cli("tx", "authz", "exec", str(unsigned), "--granter", owner, "--key", "hot", *common, check=False)
    assert over.returncode == 1 and "spend limit" in over.stdout + over.stderr  # 700 + 700 > 1000
    assert httpx.get(f"{url}/accounts/{friend}").json()["balance"] == 700
    listed = json.loads(run_cli("query", "authz", "grants", owner, "--node", url).stdout)
    assert listed == grants


KPI_FIELDS = {"index", "start_height", "end_height", "open", "total_supply", "bonded_supply", "burned", "emitted",
              "treasury_balance", "treasury_outflows", "fees", "jobs", "leases", "paid", "utilisation_bps", "providers",
              "active_providers", "mean_reputation_bps", "proposals", "proposals_tallied", "turnout_bps"}


def test_network_kpis_per_period_over_cli_and_http(tmp_path: Path) -> None:
    process = init_single_node(tmp_path)
    genesis_file = process.home / "genesis.json"
    genesis = json.loads(genesis_file.read_text())
    genesis["app_state"]["kpi"]["params"].update(period_blocks=2, kept_periods=3)
    genesis_file.write_text(json.dumps(genesis))
    process.start()
    try:
        url, home = process.url, process.home
        friend = Keystore(home / "keyring").add("friend", PASSPHRASE).address
        run_cli("tx", "bank", "send", "validator", friend, "1000", "--home", str(home), "--node", url,
                "--passphrase-file", str(home.parent / "pass"))
        wait_until(lambda: len(httpx.get(f"{url}/kpi").json()["periods"]) == 4, 30, "three closed periods")  # 3 kept + the open one
        doc = httpx.get(f"{url}/kpi").json()
        assert (doc["period_blocks"], doc["kept_periods"]) == (2, 3)
        assert all(set(period) == KPI_FIELDS for period in doc["periods"])
        closed, current = doc["periods"][:-1], doc["periods"][-1]
        assert [p["end_height"] - p["start_height"] for p in closed] == [1, 1, 1] and current["open"]
        assert [p["index"] for p in doc["periods"]] == list(range(current["index"] - 3, current["index"] + 1))
        assert all(p["total_supply"] > 0 and p["bonded_supply"] > 0 for p in doc["periods"])
        cli = json.loads(run_cli("query", "kpi", "--node", url).stdout)
        assert cli["period_blocks"] == 2 and len(cli["periods"]) == 4
    finally:
        assert process.stop() == 0, process.log_tail()
