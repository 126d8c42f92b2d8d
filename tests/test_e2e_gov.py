"""End to end on one real 4-validator devnet with gov periods of seconds and a 2-of-3 guardian:
the guardian pauses job creation; proposals voted by the validators lower the market's take rate
(the next settlement pays the new take), spend the treasury, fund a continuous grant (paid every
block until a later proposal cancels it) and retire the guardian, after which it can pause nothing;
a proposal below quorum fails and changes nothing; a provider agent serves a job with a fundless
hot key limited to bids and receipts, its owner paying its fees."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from akechain.chain.crypto import format_address, get_pub_key, parse_address, sign, signing_key_from_seed
from akechain.chain.modules.auth.params import PARAMS as AUTH_PARAMS
from akechain.chain.modules.auth.params import compute_tx_fee
from akechain.chain.registry import DEFAULT_REGISTRY
from akechain.chain.modules.authz.msgs import MsgGrant
from akechain.chain.modules.bank.msgs import MsgMultiSend, Output
from akechain.chain.modules.escrow.keeper import compute_payment
from akechain.chain.modules.feegrant.msgs import MsgGrantAllowance
from akechain.chain.modules.gov import errors as ge
from akechain.chain.modules.gov.msgs import (
    MsgCancelGrant,
    MsgCreateGrant,
    MsgGuardianPause,
    MsgRetireGuardian,
    MsgSubmitProposal,
    MsgTreasurySpend,
    MsgUpdateParams,
    MsgVote,
)
from akechain.chain.modules.gov.records import YES
from akechain.chain.modules.market.msgs import MsgRegisterProvider, Resources
from akechain.chain.multisig import compute_account_address, encode_multisig_key, encode_multisig_signature
from akechain.chain.tx import Tx, TxBody, compute_sign_bytes
from akechain.client.http import NodeClient
from akechain.client.keystore import Keystore
from akechain.client.wallet import TxFailedError, Wallet
from state.codec import encode
from tests.conftest import Devnet, running_devnet
from tests.node_process import AKECHAIN, run_cli, wait_until
from test_market_support import job_msg

pytestmark = pytest.mark.slow

PARAMS = {"gov": {"deposit_period_ms": 4_000, "voting_period_ms": 5_000, "expedited_voting_period_ms": 2_000},
          "market": {"challenge_window_blocks": 2, "grace_blocks": 2, "reputation_min_lease_value": 0}}
MEMBERS = [signing_key_from_seed(bytes([0x60 + i]) * 32) for i in range(3)]
GUARDIAN_KEY = encode_multisig_key(2, [get_pub_key(k) for k in MEMBERS])
GUARDIAN = compute_account_address(GUARDIAN_KEY)
NEW_TAKE_RATE = 2_500
SPEND, PER_BLOCK = 2_000_000, 1_000
RECEIPTS = ("market/bid", "market/reveal_receipt", "market/submit_receipt")


@pytest.fixture
def gov_devnet(tmp_path: Path):
    params = tmp_path / "params.json"
    params.write_text(json.dumps(PARAMS))
    with running_devnet(tmp_path / "devnet", "--params", str(params), "--guardian", GUARDIAN_KEY.hex()) as net:
        yield net


def send_as_guardian(client: NodeClient, *msgs) -> int:
    """A tx of the guardian signed by two of its three members; its result code."""
    nonce = int(client.account(format_address(GUARDIAN))["nonce"])
    fee_params = AUTH_PARAMS.from_json(client.params()["auth"])
    chain_id = client.status()["chain_id"]

    def build(fee: int) -> bytes:
        body = TxBody(chain_id=chain_id, pub_key=GUARDIAN_KEY, nonce=nonce, fee=fee, memo="", msgs=msgs)
        ordered = sorted(get_pub_key(k) for k in MEMBERS)
        signatures = {ordered.index(get_pub_key(k)): sign(k, compute_sign_bytes(body)) for k in MEMBERS[:2]}
        return encode(Tx(body=body, signature=encode_multisig_signature(signatures)))

    answer = client.submit(build(compute_tx_fee(fee_params, len(msgs), DEFAULT_REGISTRY.compute_tx_work(msgs), lambda fee: len(build(fee)))), wait_commit=True)
    return answer["check"]["code"] or answer["result"]["code"]


def code_of(wallet: Wallet, *msgs) -> int:
    try:
        wallet.send(list(msgs))
    except TxFailedError as exc:
        return int(str(exc).split("(code ")[1].split(")")[0]) if "(code " in str(exc) else -1
    return 0


def wait_decided(client: NodeClient, ids: list[int]) -> dict[int, dict]:
    def decided() -> dict[int, dict] | None:
        proposals = {i: client.proposal(i) for i in ids}
        return None if any(p["status"] in ("deposit_period", "voting_period") for p in proposals.values()) else proposals
    return wait_until(decided, 60, f"proposals {ids} decided")


def test_governance_runs_the_network_end_to_end(gov_devnet: Devnet, tmp_path: Path) -> None:
    net = gov_devnet
    keys = Keystore(net.root / "keyring")
    names = ("owner", "consumer", "recipient", "grantee", "hot")
    address = {name: keys.add(name, net.passphrase).address for name in names}
    client = NodeClient(net.nodes[0].url)
    wallet = {name: Wallet(client, keys.load(name, net.passphrase)) for name in ("faucet", "owner", "consumer")}
    validators = [Wallet(client, Keystore(Path(n.home) / "keyring").load("validator", net.passphrase)) for n in net.nodes]
    wallet["faucet"].send([MsgMultiSend(tuple(Output(parse_address(address[n]), 200_000_000)
                                              for n in ("owner", "consumer")))])
    # the owner registers itself, then lets a fundless hot key bid and send receipts for it, paying its fees
    hot = parse_address(address["hot"])
    wallet["owner"].send([MsgRegisterProvider(Resources(2, "", 0, 1024, 0, 0), "", (), "", 5_000_000),
                          MsgGrant(hot, RECEIPTS, 0, 24 * 3600 * 1000, 2**62), MsgGrantAllowance(hot, 10_000_000)])

    # the guardian pauses job creation
    assert send_as_guardian(client, MsgGuardianPause("pause_market_jobs", True)) == 0
    assert code_of(wallet["consumer"], job_msg()) == ge.PausedError.code

    market_before = client.params()["market"]
    treasury_before = client.treasury()
    min_deposit = client.params()["gov"]["min_deposit"]
    recipient, grantee = parse_address(address["recipient"]), parse_address(address["grantee"])
    proposals = [
        (MsgUpdateParams("market", json.dumps({"take_rate_bps": NEW_TAKE_RATE})),),
        (MsgTreasurySpend(recipient, SPEND),),
        (MsgCreateGrant(grantee, PER_BLOCK, 10**9),),
        (MsgRetireGuardian(),),
        (MsgUpdateParams("market", json.dumps({"challenge_window_blocks": 7})),),  # below quorum
    ]
    wallet["faucet"].send([MsgSubmitProposal(m, min_deposit, "p", "", False) for m in proposals])
    ids = [p["id"] for p in client.proposals()][-5:]
    take, spend, grant, retire, unpopular = ids
    for v in validators[:3]:  # 3 of 4 equal validators: quorum and threshold met
        v.send([MsgVote(i, YES) for i in (take, spend, grant, retire)])
    validators[3].send([MsgVote(unpopular, YES)])  # 1 of 4: below the 33.4% quorum
    decided = wait_decided(client, ids)
    assert [decided[i]["status"] for i in ids] == ["passed"] * 4 + ["rejected"]
    market = client.params()["market"]
    assert market["take_rate_bps"] == NEW_TAKE_RATE
    assert market["challenge_window_blocks"] == market_before["challenge_window_blocks"], "a rejected proposal changes nothing"
    assert client.account(address["recipient"])["balance"] == SPEND
    assert client.treasury()["spent"] == treasury_before["spent"] + SPEND
    guardian = client.guardian()
    assert guardian["retired"] and guardian["powers"] == [] and guardian["paused"] == []
    assert send_as_guardian(client, MsgGuardianPause("pause_market_jobs", True)) == ge.GuardianPowerError.code

    # the continuous grant pays every block
    [active] = client.treasury()["grants"]
    first = client.account(address["grantee"])["balance"]
    height = client.status()["height"]
    wait_until(lambda: client.status()["height"] >= height + 3, 30, "three blocks")
    paid = client.account(address["grantee"])["balance"] - first
    assert paid >= 3 * PER_BLOCK and paid % PER_BLOCK == 0

    # a later proposal cancels it (voted while the job below runs)
    wallet["faucet"].send([MsgSubmitProposal((MsgCancelGrant(active["id"]),), min_deposit, "stop", "", False)])
    cancel = client.proposals()[-1]["id"]
    for v in validators[:3]:
        v.send([MsgVote(cancel, YES)])

    # the provider agent serves a job with the hot key; the settlement takes the new rate
    log = tmp_path / "agent.log"
    agent = subprocess.Popen([*AKECHAIN, "provider", "run", "--home", str(net.root), "--key", "hot", "--granter",
                              address["owner"], "--passphrase-file", str(net.root / "passphrase"), "--node",
                              net.nodes[1].url, "--poll", "0.3", "--hardware", "cpu_cores=2,memory_mb=1024",
                              "--price-policy", "fixed:40", "--once"], stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        owner_before = client.account(address["owner"])["balance"]
        allowance_before = client.grants(address["hot"])["fee_allowance"]["remaining"]
        out = run_cli("market", "run-job", "--home", str(net.root), "--key", "consumer", "--passphrase-file",
                      str(net.root / "passphrase"), "--node", net.nodes[0].url, "--cmd", "python3 -c 'print(6*7)'",
                      "--budget", "1000000", "--max-price", "100", "--bid-window", "6", "--duration", "30",
                      "--timeout", "90").stdout
        report = json.loads(out[out.index("{"):])
        assert report["state"] == "completed", report
        assert [w["provider"] for w in report["winners"]] == [address["owner"]]
        assert report["winners"][0]["close_reason"] == "settled"
        assert agent.wait(timeout=30) == 0, log.read_text()
    finally:
        agent.terminate()
        agent.wait(timeout=10)
    fees = allowance_before - client.grants(address["hot"])["fee_allowance"]["remaining"]
    assert fees > 0 and client.account(address["hot"])["balance"] == 0, "the owner paid the hot key's fees"
    net_paid = client.account(address["owner"])["balance"] - owner_before + fees
    expected = compute_payment(report["paid"], NEW_TAKE_RATE, market["take_burn_bps"], market["min_take"])
    assert net_paid == expected.net and expected.take > report["paid"] * market_before["take_rate_bps"] // 10_000

    assert wait_decided(client, [cancel])[cancel]["status"] == "passed"
    assert client.treasury()["grants"] == []
    stopped = client.account(address["grantee"])["balance"]
    height = client.status()["height"]
    wait_until(lambda: client.status()["height"] >= height + 2, 30, "two blocks")
    assert client.account(address["grantee"])["balance"] == stopped, "a cancelled grant pays no more"
    kpi = client.kpi()["periods"]
    assert sum(p["proposals"] for p in kpi) == 6 and sum(p["jobs"] for p in kpi) == 1
    client.close()
