"""The market's HTTP endpoints on a real single node: providers, jobs, leases, escrow, reputation,
params; bech32 addresses and hex hashes out, 4xx JSON errors for bad input."""
from __future__ import annotations

from akechain.client import http
from akechain.client.http import NodeClient
from akechain.node.rpc import market as rpc_market
from akechain.client.keystore import Keystore
from akechain.chain.crypto import parse_address
from akechain.client.market import build_policy, encode_workload, parse_resources
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.chain.modules.market.msgs import (
    MsgBid,
    MsgCreateJob,
    MsgRegisterProvider,
    MsgRevealReceipt,
    MsgSubmitReceipt,
    compute_commitment,
)
from akechain.client.wallet import Wallet, find_event
from tests.conftest import PASSPHRASE
from tests.node_process import NodeProcess, wait_until

SALT = b"\x5a" * 32
HASH = bytes(range(32))
WORKLOAD = encode_workload(["echo", "hi"])


def test_market_endpoints_follow_a_job_from_bid_to_receipt(single_node: NodeProcess) -> None:
    keys = Keystore(single_node.home / "keyring")
    alice_info = keys.add("alice", PASSPHRASE)
    with NodeClient(single_node.url) as client:
        provider = Wallet(client, keys.load("validator", PASSPHRASE))
        consumer = Wallet(client, keys.load("alice", PASSPHRASE))
        assert client.providers() == [] and client.jobs() == []
        assert client.market_params()["challenge_window_blocks"] == 20
        provider.send([MsgSend(to=parse_address(alice_info.address), amount=50_000_000)])
        hardware = parse_resources("cpu_cores=4,memory_mb=4096")
        provider.send([MsgRegisterProvider(hardware, "eu", ("tier=gold",), "https://p", 5_000_000)])
        created = consumer.send([MsgCreateJob(parse_resources("cpu_cores=1"), 5, "", (), 1_000_000, 100, 3, 40,
                                              build_policy(None, None), (), (), WORKLOAD)])
        job_id = int(find_event(created, "job_created")["job_id"])
        provider.send([MsgBid(job_id, 60, 20, parse_resources("cpu_cores=1"))])

        listed = client.providers()
        assert [p["address"] for p in listed] == [provider.address]
        assert listed[0]["collateral"] == 5_000_000 and listed[0]["hardware"]["cpu_cores"] == 4
        assert client.provider(provider.address)["attributes"] == ["tier=gold"]
        job = client.job(job_id)
        assert job["consumer"] == consumer.address and job["bid_count"] == 1
        assert job["state"] == "bidding" and job["policy"]["name"] == "none"
        assert job["workload"] == WORKLOAD.hex()

        lease = wait_until(lambda: client.leases(job_id=job_id), 30, "the bid window to close")[0]
        assert lease["provider"] == provider.address and lease["state"] == "running" and lease["price"] == 60
        assert client.leases(provider=provider.address) == [lease]
        assert client.leases(job_id=job_id, provider=consumer.address) == []
        commitment = compute_commitment(HASH, SALT, parse_address(provider.address), lease["id"])
        provider.send([MsgSubmitReceipt(lease["id"], commitment, parse_resources("cpu_cores=1"), 10_000, 20)])
        committed = client.leases(job_id=job_id)[0]
        assert committed["state"] == "committed" and committed["commitment"] == commitment.hex()
        assert committed["receipt"]["output_hash"] == "" and committed["reveal_from"] > 0
        provider.send([MsgRevealReceipt(lease["id"], HASH, SALT)])
        receipt = client.leases(job_id=job_id)[0]["receipt"]
        assert receipt["output_hash"] == HASH.hex()
        escrow = client.escrow(job_id)
        assert escrow["deposited"] == 1_000_000 and escrow["depositors"][0]["depositor"] == consumer.address
        assert escrow["earned"] > 0 and escrow["streams"][0]["state"] == "stopped"
        assert escrow["run_out_height"] is None  # nothing accrues any more
        assert client.job(job_id)["state"] == "active"
        assert [j["id"] for j in client.jobs(include_closed=True)] == [job_id]
        assert client.reputation(provider.address)["score_bps"] == 5_000


def test_bad_ids_and_addresses_are_4xx_json_errors(single_node: NodeProcess) -> None:
    unknown = "ake1" + "q" * 38
    cases = {
        "/jobs/abc": 400, "/jobs/-1": 400, "/jobs/999": 404, "/escrow/999": 404, "/escrow/1x": 400,
        "/providers/ake1bad": 400, "/reputation/nope": 400, "/leases?provider=zzz": 400, "/leases?job=x": 400,
        "/jobs?limit=0": 400, "/jobs?limit=1001": 400, "/jobs?limit=x": 400, "/jobs?cursor=-3": 400,
        "/leases?cursor=abc": 400, "/providers?cursor=ake1bad": 400, "/challenges?limit=99999999999": 400,
    }
    for path, status in cases.items():
        response = single_node.get(path)
        assert response.status_code == status, (path, response.text)
        assert "error" in response.json(), path
    valid = single_node.get("/accounts/" + Keystore(single_node.home / "keyring").show("validator").address)
    assert valid.status_code == 200
    assert single_node.get(f"/providers/{valid.json()['address']}").status_code == 404
    assert single_node.get(f"/providers/{unknown}").status_code == 400  # bad checksum



def test_list_endpoints_come_in_pages_that_a_cursor_walks(single_node: NodeProcess) -> None:
    keys = Keystore(single_node.home / "keyring")
    with NodeClient(single_node.url) as client:
        consumer = Wallet(client, keys.load("validator", PASSPHRASE))
        job = MsgCreateJob(parse_resources("cpu_cores=1"), 5, "", (), 10_000, 100, 30, 60, build_policy(None, None),
                           (), (), WORKLOAD)
        created = consumer.send([job] * 5)
        ids = [int(e["attributes"]["job_id"]) for e in created["events"] if e["type"] == "job_created"]
        assert len(ids) == 5
        seen, cursor, pages = [], None, 0
        while True:
            response = single_node.get("/jobs?limit=2" + ("" if cursor is None else f"&cursor={cursor}"))
            assert response.status_code == 200 and len(response.json()) <= 2
            seen += [j["id"] for j in response.json()]
            pages += 1
            cursor = response.headers.get("x-next-cursor")
            if cursor is None:
                break
        assert seen == ids and pages == 3
        assert [j["id"] for j in client.jobs()] == ids  # the client follows the cursors itself
        assert http.NEXT_CURSOR_HEADER == rpc_market.NEXT_CURSOR_HEADER
        assert len(single_node.get("/jobs").json()) == 5 and "x-next-cursor" not in single_node.get("/jobs").headers
