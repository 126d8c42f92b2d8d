"""The `akechain` command's offline parts: init, keys, and clear errors (no node needed)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from akechain.cli import main
from akechain.node.config import load_config


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_init_writes_a_home_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    home, passphrase = tmp_path / "n0", tmp_path / "pass"
    passphrase.write_text("secret\n")
    args = ["init", "--home", str(home), "--chain-id", "ake-t-1", "--moniker", "n0", "--rpc-port", "30001",
            "--p2p-port", "30002", "--passphrase-file", str(passphrase)]
    code, out = invoke(*args)
    assert code == 0, out
    summary = json.loads(out)
    for name in ("config.toml", "genesis.json", "node_key.json", "priv_validator_key.json", "keyring"):
        assert (home / name).exists(), name
    assert load_config(home / "config.toml").rpc.port == 30001
    genesis = json.loads((home / "genesis.json").read_text())
    balances = genesis["app_state"]["bank"]["balances"]
    assert {"address": summary["validator_address"], "amount": 1_000_000_000_000} in balances
    assert "secret" not in "".join(p.read_text() for p in (home / "keyring").iterdir())
    code, out = invoke(*args)
    assert code == 1 and "already holds a node" in out


def test_keys_round_trip_through_export_and_import(tmp_path: Path) -> None:
    passphrase = tmp_path / "pass"
    passphrase.write_text("pw")
    home = ["--home", str(tmp_path / "h"), "--passphrase-file", str(passphrase)]
    added = CliRunner().invoke(main, ["keys", "add", "alice", *home])
    assert added.exit_code == 0, added.output
    alice = json.loads(added.stdout)  # stderr holds the warning to write the seed phrase down
    assert len(alice["mnemonic"].split()) == 24
    code, exported = invoke("keys", "export", "alice", *home)
    assert code == 0 and alice["address"] in exported
    (tmp_path / "alice.json").write_text(exported)
    code, out = invoke("keys", "import", "alice2", str(tmp_path / "alice.json"), *home)
    assert code == 0, out
    assert json.loads(out)["address"] == alice["address"]
    code, out = invoke("keys", "list", "--home", str(tmp_path / "h"))
    assert [k["name"] for k in json.loads(out)] == ["alice", "alice2"]
    code, out = invoke("keys", "add", "alice", *home)
    assert code == 1 and "error:" in out


def test_wrong_passphrase_and_bad_address_are_clear_errors(tmp_path: Path) -> None:
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.write_text("right")
    bad.write_text("wrong")
    invoke("keys", "add", "bob", "--home", str(tmp_path), "--passphrase-file", str(good))
    code, out = invoke("keys", "export", "bob", "--unsafe-seed", "--home", str(tmp_path), "--passphrase-file", str(bad))
    assert code == 1 and "passphrase" in out.lower()
    code, out = invoke("tx", "bank", "send", "bob", "ake1notanaddress", "5", "--home", str(tmp_path),
                       "--passphrase-file", str(good))
    assert code == 1 and "error:" in out


def test_init_and_devnet_genesis_validators_are_gentxs(tmp_path: Path) -> None:
    """No second list: the consensus set is what each operator's gentx bonds, and the devnet says who."""
    from akechain.chain.tx import decode_tx, get_sender
    from akechain.chain.crypto import format_address
    from akechain.cli.devnet import create_devnet, list_validators
    from akechain.testing import SimChain

    passphrase = tmp_path / "pass"
    passphrase.write_text("secret\n")
    code, out = invoke("init", "--home", str(tmp_path / "poor"), "--chain-id", "ake-t-1", "--moniker", "n0",
                       "--balance", "5", "--passphrase-file", str(passphrase))
    assert code == 1 and "cannot bond" in out

    specs = create_devnet(tmp_path / "devnet", 3, 31000, "ake-t-2")
    genesis = json.loads((specs[0].home / "genesis.json").read_text())
    assert "validators" not in genesis
    validators = list_validators(specs)
    senders = [format_address(get_sender(decode_tx(bytes.fromhex(tx), 16_384)))
               for tx in genesis["app_state"]["staking"]["gentxs"]]
    assert senders == [v["operator"] for v in validators]
    chain = SimChain(genesis["app_state"], "ake-t-2")
    chain.apply_block()
    bonded = {view.validator.consensus_pub_key.hex(): view.power for view in chain.query("staking", "validators")}
    assert bonded == {v["consensus_pub_key"]: 10 for v in validators}


def test_devnet_params_change_any_modules_genesis_params_within_their_bounds(tmp_path: Path) -> None:
    from akechain.cli.devnet import DevnetError, create_devnet

    changes = {"staking": {"unbonding_time_ms": 20_000}, "market": {"challenge_window_blocks": 2}}
    specs = create_devnet(tmp_path / "devnet", 1, 31100, "ake-t-3", param_changes=changes)
    app_state = json.loads((specs[0].home / "genesis.json").read_text())["app_state"]
    assert app_state["staking"]["params"]["unbonding_time_ms"] == 20_000
    assert app_state["market"]["params"]["challenge_window_blocks"] == 2
    assert app_state["staking"]["params"]["max_validators"] == 100  # the rest keep their defaults
    for bad, says in (({"staking": {"max_validators": 0}}, "max_validators"), ({"nosuch": {}}, "no module"),
                      ({"staking": {"typo_ms": 1}}, "typo_ms")):
        with pytest.raises(DevnetError, match=says):
            create_devnet(tmp_path / f"bad{len(says)}", 1, 31200, "ake-t-4", param_changes=bad)
