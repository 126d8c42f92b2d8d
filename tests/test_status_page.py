"""`GET /`: the status page is served by the node, fetches nothing from elsewhere, and reads
endpoints the node serves; in a real browser (Debian's chromium via Playwright) its height moves."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from akechain.node.rpc.events import EventLog
from akechain.node.rpc.server import build_app
from akechain.chain.crypto import parse_address
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.client.http import NodeClient
from akechain.client.keystore import Keystore
from akechain.client.wallet import Wallet
from tests.conftest import PASSPHRASE
from tests.node_process import NodeProcess

CHROMIUM = "/usr/bin/chromium"
READS = ("/status", "/supply", "/validators", "/blocks/", "/events?type=new_block,tx_committed")


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


@pytest.mark.slow
def test_page_in_chromium_shows_the_height_move(single_node: NodeProcess, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        assert os.environ.get("CI") != "true", "chromium is missing in CI: `make system-tools` installs it"
        pytest.skip("chromium not installed (make system-tools)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(single_node.url + "/")
            page.wait_for_function("() => /^[0-9]+$/.test(document.getElementById('height').textContent)")
            first = int(page.text_content("#height") or "0")
            page.wait_for_function(f"() => Number(document.getElementById('height').textContent) >= {first + 2}",
                                   timeout=30_000)
            assert page.text_content("#chain-id") == "ake-e2e-1"
            assert page.locator("#validators tr").count() == 1
            heights = [int(h) for h in page.locator("#blocks tr td:first-child").all_text_contents()]
            assert len(heights) >= 2 and heights == list(range(heights[0], heights[0] - len(heights), -1)), heights
            assert page.text_content("#error") == ""
            treasury = single_node.get("/params").json()["bank"]["treasury"]
            with NodeClient(single_node.url) as client:
                wallet = Wallet(client, Keystore(single_node.home / "keyring").load("validator", PASSPHRASE))
                sent = wallet.send([MsgSend(to=parse_address(treasury), amount=1)])
            page.wait_for_function("hash => document.getElementById('txs').textContent.includes(hash)",
                                   arg=sent["hash"][:16], timeout=30_000)
            page.screenshot(path=str(tmp_path / "status-page.png"))
            assert (tmp_path / "status-page.png").stat().st_size > 0
        finally:
            browser.close()
