"""`GET /`: the status page is served by the node, fetches nothing from elsewhere, and reads
endpoints the node serves; in a real browser (Debian's chromium via Playwright) its height moves."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from akechain.node.rpc.events import EventLog
from akechain.node.rpc.server import build_app
from akechain.chain.crypto import format_address, parse_address
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.client.http import NodeClient
from akechain.client.keystore import Keystore
from akechain.client.wallet import Wallet
from tests.conftest import Devnet
from tests.node_process import run_cli, wait_until

CHROMIUM = "/usr/bin/chromium"
READS = ("/status", "/supply", "/validators", "/blocks/", "/jobs?limit=", "/escrow/", "/events?type=new_block,tx_committed")


def test_page_is_self_contained_and_names_the_endpoints_it_reads() -> None:
    app = build_app(None, events=EventLog(lambda height: ()))  # type: ignore[arg-type]  # the page never reaches the node
    answer = TestClient(app).get("/")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    page = answer.text
    assert not re.search(r"https?://", page), "the page names an external URL"
    assert not re.search(r"""(src|href)\s*=\s*["']?(?!#)[^"'\s>]""", page), "the page loads an external asset"
    served = {route.path for route in app.routes if isinstance(route, Route)}
    for path in READS:
        assert f'"{path}' in page, path
        assert path.split("?")[0].rstrip("/") in {p.split("{")[0].rstrip("/") for p in served}, path


def require_chromium() -> None:
    """In CI the browser test must run: a missing chromium fails there, and only skips elsewhere."""
    if Path(CHROMIUM).exists() and shutil.which("chromium") is not None:
        return
    assert os.environ.get("CI") != "true", "chromium is missing in CI: `make system-tools` installs it"
    pytest.skip("chromium not installed (make system-tools installs it; in CI this test fails instead)")


def open_paying_lease(devnet: Devnet) -> int:
    """A job of a fresh consumer with one lease accruing 10 uake per block; its id."""
    node = devnet.nodes[0]
    home, pass_file = str(devnet.root), str(devnet.root / "passphrase")
    signing = ["--home", home, "--node", node.url, "--passphrase-file", pass_file]
    consumer = json.loads(run_cli("keys", "add", "page-consumer", "--home", home, "--passphrase-file", pass_file).stdout)
    run_cli("tx", "bank", "send", "faucet", consumer["address"], "10000000", *signing)
    run_cli("tx", "market", "register-provider", "--hardware", "cpu_cores=4,memory_mb=2048", "--region", "eu",
            "--collateral", "3000000", "--key", "faucet", *signing)
    run_cli("tx", "market", "create-job", "--budget", "100000", "--max-price", "10", "--duration", "5000",
            "--bid-window", "8", "--cmd", "true", "--resources", "cpu_cores=1", "--key", "page-consumer", *signing)
    job = wait_until(lambda: [j for j in node.get("/jobs").json() if j["consumer"] == consumer["address"]], 30, "the job")[0]
    run_cli("tx", "market", "bid", str(job["id"]), "--price", "10", "--resources", "cpu_cores=1", "--key", "faucet",
            *signing)
    wait_until(lambda: node.get(f"/escrow/{job['id']}").json()["run_out_height"], 60, "the lease accruing")
    return job["id"]


@pytest.mark.slow
def test_page_in_chromium_on_a_devnet_shows_the_chain_move_and_a_leases_run_out(devnet: Devnet, tmp_path: Path) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    node = devnet.nodes[0]
    job_id = open_paying_lease(devnet)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(node.url + "/")
            page.wait_for_function("() => /^[0-9]+$/.test(document.getElementById('height').textContent)")
            first = int(page.text_content("#height") or "0")
            page.wait_for_function(f"() => Number(document.getElementById('height').textContent) >= {first + 2}",
                                   timeout=30_000)
            assert page.text_content("#chain-id") == devnet.chain_id
            assert page.locator("#validators tr").count() == 4
            heights = [int(h) for h in page.locator("#blocks tr td:first-child").all_text_contents()]
            assert len(heights) >= 2 and heights == list(range(heights[0], heights[0] - len(heights), -1)), heights
            page.wait_for_function("() => document.querySelectorAll('#jobs tr').length > 0", timeout=30_000)
            row = page.locator("#jobs tr").first.locator("td").all_text_contents()
            escrow = node.get(f"/escrow/{job_id}").json()
            assert row[0] == str(job_id) and row[5] == "10" and row[6] == str(escrow["run_out_height"]), row
            assert page.text_content("#error") == ""
            recipient = format_address(bytes(range(20)))
            with NodeClient(node.url) as client:
                wallet = Wallet(client, Keystore(devnet.root / "keyring").load("faucet", devnet.passphrase))
                sent = wallet.send([MsgSend(to=parse_address(recipient), amount=1)])
            page.wait_for_function("hash => document.getElementById('txs').textContent.includes(hash)",
                                   arg=sent["hash"][:16], timeout=30_000)
            page.screenshot(path=str(tmp_path / "status-page.png"))
            assert (tmp_path / "status-page.png").stat().st_size > 0
        finally:
            browser.close()
