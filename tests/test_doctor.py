"""`akechain doctor`, config.toml validation and `--log-format json`: a healthy home passes, each
kind of breakage fails its own check with a fix, and a running node is recognised as serving."""
from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import pytest

from akechain.node.config import ConfigError, load_config
from akechain.node.logs import configure_logging
from tests.conftest import init_single_node
from tests.node_process import NodeProcess, run_cli


def doctor(home: Path, *extra: str) -> tuple[int, dict[str, dict]]:
    result = run_cli("doctor", "--home", str(home), "--json", *extra, check=False)
    return result.returncode, {f["check"]: f for f in json.loads(result.stdout)}


def test_a_fresh_home_is_healthy_and_breakages_are_named(tmp_path: Path) -> None:
    node = init_single_node(tmp_path)
    code, findings = doctor(node.home, "--passphrase-file", str(tmp_path / "pass"))
    assert code == 0, findings
    assert findings["ports"]["detail"] == "free" and "keys decrypt" in findings["keyring"]["detail"]
    assert "sha256" in findings["genesis"]["detail"] and "not running" in findings["node"]["detail"]

    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase\n")
    code, findings = doctor(node.home, "--passphrase-file", str(wrong))
    assert code == 1 and not findings["keyring"]["ok"] and "passphrase" in findings["keyring"]["detail"]

    config = node.home / "config.toml"
    original = config.read_text()
    port = load_config(config).rpc.port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        code, findings = doctor(node.home)
    assert code == 1 and not findings["ports"]["ok"] and "change rpc.port" in findings["ports"]["fix"]

    config.write_text(original.replace(f"port = {port}", "port = 0", 1))
    code, findings = doctor(node.home)
    assert code == 1 and "rpc.port must be 1 to 65535, got 0" in findings["config"]["detail"]
    config.write_text(original.replace("persistent_peers = []", 'persistent_peers = ["/ip4/127.0.0.1/tcp/1/p2p/12D3KooWxyz"]'))
    code, findings = doctor(node.home)
    assert code == 1 and not findings["peers"]["ok"] and findings["config"]["ok"]
    config.write_text(original)

    genesis = node.home / "genesis.json"
    doc = json.loads(genesis.read_text())
    doc["app_state"]["staking"]["gentxs"] = ["00"]
    genesis.write_text(json.dumps(doc))
    code, findings = doctor(node.home)
    assert code == 1 and not findings["genesis"]["ok"] and "does not initialise" in findings["genesis"]["detail"]


@pytest.mark.parametrize("section, line, message", [
    ("mempool", "max_txs = 0", "mempool.max_txs must be 1 to"),
    ("consensus", "timeout_propose_ms = -5", "consensus.timeout_propose_ms must be 1 to"),
    ("p2p", 'host = " "', "p2p.host must name an interface"),
    ("p2p", 'persistent_peers = ["127.0.0.1:26656"]', "p2p.persistent_peers[0] must be a multiaddr"),
    ("rpc", 'port = "26657"', "rpc.port must be int"),
])
def test_config_values_are_checked_naming_the_field(tmp_path: Path, section: str, line: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'moniker = "n"\n[{section}]\n{line}\n')
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(path)


def test_json_logs_are_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level  # the process-wide logging other in-process tests rely on
    configure_logging("json")
    try:
        logging.getLogger("akechain.node").info("committed height %d", 7)
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("akechain.test").exception("failed")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["message"] == "committed height 7" and lines[0]["level"] == "INFO"
    assert lines[0]["logger"] == "akechain.node" and lines[0]["time"].endswith("+00:00")
    assert "RuntimeError: boom" in lines[1]["exception"]


@pytest.mark.slow
def test_doctor_recognises_the_running_node(single_node: NodeProcess) -> None:
    code, findings = doctor(single_node.home, "--passphrase-file", str(single_node.home.parent / "pass"))
    assert code == 0, findings
    assert findings["node"]["detail"].startswith("serving at") and findings["ports"]["detail"] == "serving this node"
    assert findings["clock"]["detail"].startswith("within")
