"""`akechain tx market …`, `query market …`, `provider run` and `market run-job` against a real node."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from akechain.cli import main
from akechain.client.keystore import Keystore
from akechain.client.market import Workload, decode_workload
from tests.conftest import PASSPHRASE
from tests.node_process import AKECHAIN, NodeProcess


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def signer(node: NodeProcess, key: str = "validator") -> list[str]:
    return ["--key", key, "--home", str(node.home), "--node", node.url,
            "--passphrase-file", str(node.home.parent / "pass")]


def test_tx_and_query_market_commands(single_node: NodeProcess) -> None:
    code, out = invoke("tx", "market", "register-provider", "--hardware", "cpu_cores=4,memory_mb=2048",
                       "--region", "eu", "--attribute", "tier=gold", "--collateral", "3000000", *signer(single_node))
    assert code == 0, out
    assert json.loads(out)["code"] == 0
    address = Keystore(single_node.home / "keyring").show("validator").address
    code, out = invoke("query", "market", "provider", address, "--node", single_node.url)
    assert code == 0 and json.loads(out)["collateral"] == 3_000_000
    code, out = invoke("tx", "market", "create-job", "--budget", "500000", "--max-price", "50",
                       "--cmd", "python3 -c 'print(1)'", "--resources", "cpu_cores=1", *signer(single_node))
    assert code == 0, out
    code, out = invoke("query", "market", "jobs", "--node", single_node.url)
    job = json.loads(out)[0]
    assert job["state"] == "bidding" and job["attributes"] == []
    assert decode_workload(bytes.fromhex(job["workload"])) == Workload(("python3", "-c", "print(1)"), "")
    code, out = invoke("tx", "market", "cancel-job", str(job["id"]), *signer(single_node))
    assert code == 0, out
    code, out = invoke("query", "market", "escrow", str(job["id"]), "--node", single_node.url)
    assert json.loads(out)["refunded"] == 500_000
    code, out = invoke("tx", "market", "deposit-collateral", "1000", *signer(single_node))
    assert code == 0, out
    code, out = invoke("query", "market", "reputation", address, "--node", single_node.url)
    assert json.loads(out)["score_bps"] == 5_000
    code, out = invoke("query", "market", "params", "--node", single_node.url)
    assert json.loads(out)["take_rate_bps"] == 500
    # a failing tx (nothing to withdraw from an unknown lease) exits 1 with the chain's log
    code, out = invoke("tx", "market", "withdraw-earnings", "77", *signer(single_node))
    assert code == 1 and "lease" in out.lower()
    code, out = invoke("query", "market", "job", "999", "--node", single_node.url)
    assert code == 1 and "not found" in out


def test_sign_only_works_offline_and_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "pass").write_text("pw")
    offline = ["--home", str(tmp_path), "--passphrase-file", str(tmp_path / "pass"), "--node", "http://127.0.0.1:1"]
    invoke("keys", "add", "k", *offline[:4])
    sign = ["--sign-only", "--chain-id", "ake-x-1", "--nonce", "0", "--fee", "1000", "--key", "k", *offline]
    code, out = invoke("tx", "market", "bid", "3", "--price", "10", *sign)
    assert code == 0, out
    assert len(bytes.fromhex(out.strip())) > 64
    code, out = invoke("tx", "market", "submit-receipt", "1", "--commitment", "ab", *sign)
    assert code == 2 and "32 bytes" in out
    code, out = invoke("tx", "market", "create-job", "--budget", "5", "--max-price", "1", "--redundancy", "1/3", *sign)
    assert code == 1 and "majority" in out
    code, out = invoke("tx", "market", "register-provider", "--hardware", "cpus=4", *sign)
    assert code == 2 and "unknown field" in out


def test_provider_agent_serves_a_job_posted_with_run_job(single_node: NodeProcess, tmp_path: Path) -> None:
    keys = Keystore(single_node.home / "keyring")
    keys.add("consumer", PASSPHRASE)
    code, out = invoke("tx", "bank", "send", "validator", keys.show("consumer").address, "100000000",
                       *signer(single_node)[2:])
    assert code == 0, out
    log = open(tmp_path / "agent.log", "w")
    agent = subprocess.Popen([*AKECHAIN, "provider", "run", *signer(single_node), "--hardware", "cpu_cores=2,memory_mb=1024",
                              "--collateral", "5000000", "--price-policy", "fixed:40", "--poll", "0.2", "--once"],
                             stdout=log, stderr=subprocess.STDOUT)
    try:
        code, out = invoke("market", "run-job", *signer(single_node, "consumer"), "--cmd", "python3 -c 'print(6*7)'",
                           "--budget", "200000", "--max-price", "100", "--bid-window", "8", "--duration", "20",
                           "--timeout", "90", "--verify-locally")
        assert code == 0, out + (tmp_path / "agent.log").read_text()
        report = json.loads(out[out.index("{"):])
        assert report["state"] == "completed" and report["verified_locally"]
        assert report["winners"][0]["provider"] == keys.show("validator").address
        assert report["winners"][0]["close_reason"] == "settled"
        assert 0 < report["paid"] < 20 * 40 and report["paid"] + report["refunded"] == 200_000
        assert agent.wait(timeout=30) == 0
    finally:
        agent.terminate()
        agent.wait(timeout=10)


@pytest.mark.slow
def test_the_consumer_fetches_decrypts_and_checks_the_output(single_node: NodeProcess, tmp_path: Path) -> None:
    """A provider agent runs a job and serves its output sealed to the consumer; `market run-job --out`
    and `market fetch-output` write exactly the job's stdout, and the account JSON names the key."""
    keys = Keystore(single_node.home / "keyring")
    keys.add("consumer", PASSPHRASE)
    code, out = invoke("tx", "bank", "send", "validator", keys.show("consumer").address, "100000000",
                       *signer(single_node)[2:])
    assert code == 0, out
    log = open(tmp_path / "agent.log", "w")
    agent = subprocess.Popen([*AKECHAIN, "provider", "run", *signer(single_node), "--hardware", "cpu_cores=2,memory_mb=1024",
                              "--collateral", "5000000", "--price-policy", "fixed:40", "--poll", "0.2"],
                             stdout=log, stderr=subprocess.STDOUT)
    try:
        code, out = invoke("market", "run-job", *signer(single_node, "consumer"), "--cmd", "python3 -c 'print(6*7)'",
                           "--budget", "200000", "--max-price", "100", "--bid-window", "8", "--duration", "20",
                           "--timeout", "90", "--out", str(tmp_path / "run-job.out"))
        assert code == 0, out + (tmp_path / "agent.log").read_text()
        report = json.loads(out[out.index("{"):])
        assert report["state"] == "completed" and report["output_bytes"] == 3
        assert (tmp_path / "run-job.out").read_bytes() == b"42\n"
        code, out = invoke("market", "fetch-output", str(report["job_id"]), *signer(single_node, "consumer"),
                           "--out", str(tmp_path / "fetched.out"))
        assert code == 0, out
        assert (tmp_path / "fetched.out").read_bytes() == b"42\n"
        assert json.loads(out)["output_hash"] == report["output_hash"]
        # the output is sealed to the consumer: the validator's key cannot open it
        code, out = invoke("market", "fetch-output", str(report["job_id"]), *signer(single_node),
                           "--out", str(tmp_path / "not-mine.out"))
        assert code == 1 and "sealed to that key" in out and not (tmp_path / "not-mine.out").exists()
        account = json.loads(invoke("query", "account", keys.show("consumer").address, "--node", single_node.url)[1])
        assert account["pub_key"] == keys.show("consumer").pub_key.hex()
    finally:
        agent.terminate()
        assert agent.wait(timeout=20) == 0, (tmp_path / "agent.log").read_text()


def test_provider_agent_serves_with_a_fundless_hot_key_for_its_owner(single_node: NodeProcess, tmp_path: Path) -> None:
    """`provider run --key HOT --granter OWNER`: the owner registered itself and granted the hot key
    bids and receipts only, with a fee allowance; the agent's every tx is an authz exec for the owner,
    the lease is the owner's, and the hot key never holds a uake."""
    keys = Keystore(single_node.home / "keyring")
    owner = keys.show("validator").address
    hot = keys.add("hot", PASSPHRASE).address
    consumer = keys.add("consumer", PASSPHRASE).address
    assert invoke("tx", "bank", "send", "validator", consumer, "100000000", *signer(single_node)[2:])[0] == 0
    assert invoke("tx", "market", "register-provider", "--hardware", "cpu_cores=2,memory_mb=1024",
                  "--collateral", "5000000", *signer(single_node))[0] == 0
    grant = ["--msg-type", "market/bid", "--msg-type", "market/submit_receipt", "--msg-type", "market/reveal_receipt"]
    code, out = invoke("tx", "authz", "grant", hot, *grant, "--expiration-ms", str(2**62), *signer(single_node))
    assert code == 0, out
    assert invoke("tx", "feegrant", "grant", hot, "1000000", *signer(single_node))[0] == 0
    log = open(tmp_path / "agent.log", "w")
    agent = subprocess.Popen([*AKECHAIN, "provider", "run", *signer(single_node, "hot"), "--granter", owner,
                              "--hardware", "cpu_cores=2,memory_mb=1024", "--price-policy", "fixed:40", "--poll", "0.2",
                              "--once"], stdout=log, stderr=subprocess.STDOUT)
    try:
        code, out = invoke("market", "run-job", *signer(single_node, "consumer"), "--cmd", "python3 -c 'print(6*7)'",
                           "--budget", "200000", "--max-price", "100", "--bid-window", "8", "--duration", "20",
                           "--timeout", "90")
        assert code == 0, out + (tmp_path / "agent.log").read_text()
        report = json.loads(out[out.index("{"):])
        assert report["state"] == "completed" and report["winners"][0]["provider"] == owner
        assert report["winners"][0]["close_reason"] == "settled"
        assert agent.wait(timeout=30) == 0, (tmp_path / "agent.log").read_text()
    finally:
        agent.terminate()
        agent.wait(timeout=10)
    assert json.loads(invoke("query", "account", hot, "--node", single_node.url)[1])["balance"] == 0
    allowance = json.loads(invoke("query", "authz", "grants", hot, "--node", single_node.url)[1])["fee_allowance"]
    assert allowance["granter"] == owner and allowance["remaining"] < 1_000_000  # the owner paid its fees
