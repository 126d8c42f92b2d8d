"""Fixtures shared by the end-to-end tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.node_process import NodeProcess, free_port, run_cli

PASSPHRASE = "e2e passphrase"


def init_single_node(tmp_path: Path) -> NodeProcess:
    """`akechain init` a one-validator home with free ports and a short commit pause."""
    home = tmp_path / "n0"
    passphrase_file = tmp_path / "pass"
    passphrase_file.write_text(PASSPHRASE + "\n")
    rpc_port = free_port()
    run_cli("init", "--home", str(home), "--chain-id", "ake-e2e-1", "--moniker", "n0",
            "--rpc-port", str(rpc_port), "--p2p-port", str(free_port()), "--passphrase-file", str(passphrase_file))
    config = home / "config.toml"
    config.write_text(config.read_text().replace("timeout_commit_ms = 500", "timeout_commit_ms = 200"))
    return NodeProcess(home, rpc_port)


@pytest.fixture
def single_node(tmp_path: Path):
    process = init_single_node(tmp_path).start()
    yield process
    assert process.stop() == 0, process.log_tail()
