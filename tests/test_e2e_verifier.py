"""End to end on a 4-validator devnet: a lying provider agent wins a spot-check job, the devnet's
verifier agents (`akechain verifier run`) catch the wrong receipt, one challenges, the other (drawn
as referee: the challenger is never its own referee) rules, and the liar is slashed while the
consumer and the challenger are paid their shares of the slash."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from akechain.client.http import NodeClient
from akechain.chain.crypto import parse_address
from akechain.client.keystore import Keystore
from akechain.chain.modules.bank.msgs import MsgMultiSend, Output
from akechain.client.wallet import Wallet
from tests.conftest import Devnet, running_devnet
from tests.node_process import AKECHAIN, run_cli
from tests.test_e2e_market import COLLATERAL, fees_paid, keyed, start_agent, wait_registered

pytestmark = pytest.mark.slow
# Every receipt is spot-checked; the challenge window leaves time to re-execute and judge.
FAST_MARKET = {"challenge_window_blocks": 12, "grace_blocks": 2, "spot_check_rate_cap_bps": 10_000}
BPS = 10_000


def test_verifier_catches_a_lying_provider_and_the_referee_slashes_it(tmp_path: Path) -> None:
    params_file = tmp_path / "market.json"
    params_file.write_text(json.dumps(FAST_MARKET))
    with running_devnet(tmp_path / "devnet", "--market-params", str(params_file)) as net:
        check_a_liar_is_caught(net, tmp_path)


def check_a_liar_is_caught(net: Devnet, tmp_path: Path) -> None:
    verifiers = {v["key"]: v["address"] for v in net.doc["verifiers"]}
    assert net.doc["verifier"] == net.doc["verifiers"][0] and len(verifiers) == 2
    client = NodeClient(net.nodes[0].url)
    params = client.market_params()
    assert set(params["verifiers"]) == set(verifiers.values())
    keys = Keystore(net.root / "keyring")
    address = {name: keys.add(name, net.passphrase).address for name in ("consumer", "liar")}
    faucet = Wallet(client, keys.load("faucet", net.passphrase))
    faucet.send([MsgMultiSend(tuple(Output(parse_address(a), 100_000_000) for a in address.values()))])
    liar = start_agent(net, "liar", 1, ["--price-policy", "fixed:30", "--lie"], tmp_path / "liar.log")
    checkers = {name: subprocess.Popen(
        [*AKECHAIN, "verifier", "run", *keyed(net, name), "--node", net.nodes[2 + i].url, "--poll", "0.3"],
        stdout=subprocess.PIPE, stderr=(tmp_path / f"{name}.log").open("w"))
        for i, name in enumerate(verifiers)}
    try:
        wait_registered(client, {"liar": address["liar"]}, {"liar": liar}, tmp_path)
        first = client.status()["height"] + 1
        consumer_before = client.account(address["consumer"])["balance"]
        verifiers_before = sum(client.account(a)["balance"] for a in verifiers.values())

        out = run_cli("market", "run-job", *keyed(net, "consumer"), "--node", net.nodes[0].url,
                      "--cmd", "python3 -c 'print(6*7)'", "--budget", "1000000", "--max-price", "100",
                      "--bid-window", "4", "--duration", "10", "--timeout", "90", "--spot-check", "10000").stdout
        report = json.loads(out)
        assert report["state"] == "completed", report
        [winner] = report["winners"]
        assert winner["provider"] == address["liar"] and winner["close_reason"] == "slashed", report

        [lease] = client.leases(job_id=report["job_id"])
        assert lease["spot_checked"] and lease["verifier"] in verifiers.values() and lease["challenge_id"]
        slashed = lease["locked_collateral"] * params["slash_bps"] // BPS
        to_consumer = slashed * params["slash_consumer_bps"] // BPS
        to_challenger = slashed * params["slash_challenger_bps"] // BPS
        assert client.provider(address["liar"])["collateral"] == COLLATERAL - slashed
        reputation = client.reputation(address["liar"])
        assert reputation["slashes"] == 1 and reputation["score_bps"] < 5_000
        # consumer: the budget minus what the liar withdrew before the check, plus its share of the slash
        assert report["paid"] + report["refunded"] == 1_000_000
        fee = fees_paid(client, {address["consumer"]}, first)
        assert client.account(address["consumer"])["balance"] == consumer_before - fee - report["paid"] + to_consumer
        # verifiers: one challenge (bond back, reward) and one verdict, a fee each
        fees = fees_paid(client, set(verifiers.values()), first)
        assert sum(client.account(a)["balance"] for a in verifiers.values()) == verifiers_before - fees + to_challenger
    finally:
        for proc in (liar, *checkers.values()):
            proc.terminate()
        codes = {name: proc.wait(timeout=20) for name, proc in {"liar": liar, **checkers}.items()}
        client.close()
    assert codes == {name: 0 for name in ("liar", *verifiers)}, "agents must stop cleanly on SIGTERM"
    counts = [json.loads(proc.stdout.read()) for proc in checkers.values()]
    assert sum(c["challenged"] for c in counts) == 1 and sum(c["judged"] for c in counts) == 1, counts
