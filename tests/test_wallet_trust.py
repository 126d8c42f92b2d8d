"""A wallet that does not trust its node: the chain id comes from the home, the fee is capped."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

from akechain.chain.modules.auth.params import DEFAULT_PARAMS, PARAMS, compute_required_fee
from akechain.chain.registry import DEFAULT_REGISTRY
from akechain.chain.tx import decode_tx
from akechain.cli import main

RECIPIENT = "ake1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqfw3dql"


class LyingNode:
    """An HTTP stub on a free 127.0.0.1 port answering with whatever chain id and min fee it is told."""

    def __init__(self, chain_id: str, min_fee: int) -> None:
        self.chain_id, self.min_fee = chain_id, min_fee
        self.submitted: list[bytes] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def answer(self, doc: Any) -> None:
                body = json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path.startswith("/status"):
                    self.answer({"chain_id": stub.chain_id, "height": 1})
                elif self.path.startswith("/params"):
                    self.answer({"auth": {**PARAMS.to_json(DEFAULT_PARAMS), "min_fee": stub.min_fee}})
                else:
                    self.answer({"nonce": 0, "balance": 0})

            def do_POST(self) -> None:
                stub.submitted.append(bytes.fromhex(self.rfile.read(int(self.headers["Content-Length"])).decode()))
                self.answer({"hash": "00" * 32, "check": {"code": 0, "log": ""}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wallet")
    (root / "pass").write_text("pw\n")
    result = CliRunner().invoke(main, ["init", "--home", str(root / "h"), "--chain-id", "ake-home-1", "--moniker", "n0",
                                       "--passphrase-file", str(root / "pass")])
    assert result.exit_code == 0, result.output
    return root / "h"


@pytest.fixture
def node_factory() -> Iterator[Any]:
    nodes: list[LyingNode] = []

    def make(chain_id: str = "ake-home-1", min_fee: int = 1_000) -> LyingNode:
        nodes.append(LyingNode(chain_id, min_fee))
        return nodes[-1]

    yield make
    for node in nodes:
        node.close()


def send(home: Path, node: LyingNode, *extra: str) -> tuple[int, str]:
    args = ["tx", "bank", "send", "validator", RECIPIENT, "5", "--home", str(home), "--node", node.url,
            "--passphrase-file", str(home.parent / "pass"), "--no-wait", *extra]
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.output


def test_a_node_on_another_chain_is_refused_before_signing(home: Path, node_factory: Any) -> None:
    node = node_factory(chain_id="ake-evil-1")
    code, out = send(home, node)
    assert code == 1
    assert "'ake-evil-1'" in out and "'ake-home-1'" in out and "another chain" in out
    assert node.submitted == []


def test_an_explicit_chain_id_overrides_the_home_and_is_checked_too(home: Path, node_factory: Any) -> None:
    code, out = send(home, node_factory(chain_id="ake-home-1"), "--chain-id", "ake-other-1")
    assert code == 1 and "'ake-other-1'" in out
    node = node_factory(chain_id="ake-other-1")
    code, out = send(home, node, "--chain-id", "ake-other-1")
    assert code == 0, out
    assert decode_tx(node.submitted[0], 1 << 20).body.chain_id == "ake-other-1"


def test_a_node_asking_a_huge_fee_is_refused_and_max_fee_raises_the_cap(home: Path, node_factory: Any) -> None:
    # the default cap is 10x the fee the home's genesis (min fee 1,000 uake) requires of this tx
    node = node_factory(min_fee=20_000)
    code, out = send(home, node)
    assert code == 1 and "above the max fee" in out
    assert node.submitted == []
    code, out = send(home, node, "--fee", "30000")
    assert code == 1 and "fee 30000" in out
    code, out = send(home, node, "--max-fee", "30000")
    assert code == 0, out
    raw = node.submitted[0]
    signed = decode_tx(raw, 1 << 20)
    required = compute_required_fee(PARAMS.from_json({**PARAMS.to_json(DEFAULT_PARAMS), "min_fee": 20_000}), 1, len(raw),
                                    DEFAULT_REGISTRY.compute_tx_work(signed.body.msgs))
    assert signed.body.chain_id == "ake-home-1" and signed.body.fee == required


def test_sign_only_takes_the_chain_id_from_the_home(home: Path, node_factory: Any) -> None:
    node = node_factory()
    code, out = send(home, node, "--sign-only", "--nonce", "3", "--fee", "1000")
    assert code == 0, out
    assert decode_tx(bytes.fromhex(out.strip()), 1 << 20).body.chain_id == "ake-home-1"


def test_a_home_without_genesis_needs_a_chain_id(tmp_path: Path, node_factory: Any) -> None:
    (tmp_path / "pass").write_text("pw")
    bare = tmp_path / "bare"
    CliRunner().invoke(main, ["keys", "add", "validator", "--home", str(bare), "--passphrase-file", str(tmp_path / "pass")])
    code, out = send(bare, node_factory())
    assert code == 1 and "pass --chain-id" in out
