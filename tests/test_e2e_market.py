"""End to end on a 4-validator devnet: provider agents bid on jobs posted with `market run-job`,
the cheaper one wins and is paid, and in a 2-of-3 redundancy job a lying agent is slashed."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from akechain.client.http import NodeClient
from akechain.client.keystore import Keystore
from akechain.chain.modules.bank.msgs import MsgMultiSend, Output
from akechain.chain.crypto import format_address, parse_address
import akechain.chain.registry  # noqa: F401  every module's msgs, so decode_tx reads market txs too
from akechain.chain.tx import decode_tx, get_sender
from akechain.client.wallet import Wallet
from tests.conftest import Devnet, running_devnet
from tests.node_process import AKECHAIN, run_cli

pytestmark = pytest.mark.slow
FAST_MARKET = {"challenge_window_blocks": 2, "grace_blocks": 2, "reputation_min_lease_value": 0}
AGENTS = {"p1": ["--price-policy", "fixed:30"], "p2": ["--price-policy", "fixed:60"],
          "liar": ["--price-policy", "fixed:70", "--lie"]}
COLLATERAL = 5_000_000


@pytest.fixture
def market_devnet(tmp_path: Path):
    params = tmp_path / "market.json"
    params.write_text(json.dumps(FAST_MARKET))
    with running_devnet(tmp_path / "devnet", "--market-params", str(params)) as net:
        yield net


def keyed(net: Devnet, key: str) -> list[str]:
    return ["--home", str(net.root), "--key", key, "--passphrase-file", str(net.root / "passphrase")]


def start_agent(net: Devnet, key: str, node: int, extra: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*AKECHAIN, "provider", "run", *keyed(net, key), "--node", net.nodes[node].url, "--poll", "0.3",
         "--hardware", "cpu_cores=2,memory_mb=1024", "--collateral", str(COLLATERAL), *extra],
        stdout=log.open("w"), stderr=subprocess.STDOUT)


def run_job(net: Devnet, *args: str) -> dict:
    out = run_cli("market", "run-job", *keyed(net, "consumer"), "--node", net.nodes[0].url,
                  "--cmd", "python3 -c 'print(6*7)'", "--budget", "1000000", "--max-price", "100",
                  "--bid-window", "6", "--duration", "30", "--timeout", "90", "--verify-locally", *args).stdout
    return json.loads(out)


def test_agents_win_serve_get_paid_and_a_liar_is_slashed(market_devnet: Devnet, tmp_path: Path) -> None:
    net = market_devnet
    keys = Keystore(net.root / "keyring")
    names = ["consumer", *AGENTS]
    address = {name: keys.add(name, net.passphrase).address for name in names}
    client = NodeClient(net.nodes[0].url)
    faucet = Wallet(client, keys.load("faucet", net.passphrase))
    faucet.send([MsgMultiSend(tuple(Output(parse_address(address[n]), 100_000_000) for n in names))])
    agents = {name: start_agent(net, name, i + 1, extra, tmp_path / f"{name}.log")
              for i, (name, extra) in enumerate(AGENTS.items())}
    try:
        wait_registered(client, address, agents, tmp_path)
        first = client.status()["height"] + 1
        before = client.account(address["consumer"])["balance"]
        single = run_job(net)
        assert single["state"] == "completed" and single["verified_locally"], single
        assert [w["provider"] for w in single["winners"]] == [address["p1"]]  # the cheapest bid
        assert single["winners"][0]["close_reason"] == "settled" and 0 < single["paid"] < 30 * 30
        assert single["paid"] + single["refunded"] == 1_000_000
        fee = fees_paid(client, {address["consumer"]}, first)
        assert client.account(address["consumer"])["balance"] == before - fee - single["paid"]
        p1 = client.reputation(address["p1"])
        assert p1["settled"] == 1 and p1["score_bps"] > 5_000

        redundant = run_job(net, "--redundancy", "2/3")
        assert redundant["state"] == "completed" and redundant["verified_locally"], redundant
        reasons = {w["provider"]: w["close_reason"] for w in redundant["winners"]}
        assert reasons == {address["p1"]: "settled", address["p2"]: "settled", address["liar"]: "dissent"}
        liar = client.provider(address["liar"])
        assert liar["collateral"] < COLLATERAL
        reputation = client.reputation(address["liar"])
        assert reputation["slashes"] == 1 and reputation["score_bps"] < 5_000
        assert client.reputation(address["p2"])["score_bps"] > 5_000
    finally:
        for agent in agents.values():
            agent.terminate()
        codes = {name: agent.wait(timeout=20) for name, agent in agents.items()}
        client.close()
    assert codes == {name: 0 for name in AGENTS}, "agents must stop cleanly on SIGTERM"


def fees_paid(client: NodeClient, senders: set[str], first: int) -> int:
    """The fees `senders` paid in blocks `first`..now: a fee depends on its tx's size and messages."""
    total = 0
    for height in range(first, client.status()["height"] + 1):
        for raw in client.block(height)["txs"]:
            tx = decode_tx(bytes.fromhex(raw), 1 << 20)
            total += tx.body.fee if format_address(get_sender(tx)) in senders else 0
    return total


def wait_registered(client: NodeClient, address: dict[str, str], agents: dict, logs: Path) -> None:
    from tests.node_process import wait_until

    def registered() -> bool:
        for name, agent in agents.items():
            assert agent.poll() is None, (logs / f"{name}.log").read_text()
        return {p["address"] for p in client.providers()} == {address[name] for name in agents}

    wait_until(registered, 60, "every agent to register")
