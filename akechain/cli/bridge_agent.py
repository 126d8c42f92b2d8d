"""`akechain bridge deploy` and `akechain bridge run`: deploy AkeBridge with the chain's first valset,
and run a validator's orchestrator (and relayer) against an EVM node over JSON-RPC. The EVM key is
HOME's keyring key `evm` (see `tx bridge register-evm-key`); where the contract is goes to
HOME/bridge.json."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from akechain.cli.common import UINT63, echo_json, fail, home_option, node_option, open_keystore, passphrase_option, read_passphrase

BRIDGE_FILE = "bridge.json"
FUND_WEI = 10**18


@click.group("bridge")
def bridge() -> None:
    """Deploy the EVM contract and run the orchestrator/relayer."""


def evm_options(command: Any) -> Any:
    for option in reversed((
        home_option,
        node_option,
        passphrase_option,
        click.option("--evm-rpc", required=True, help="JSON-RPC URL of the EVM node (e.g. http://127.0.0.1:8545)."),
        click.option("--evm-key", "evm_key_name", default="evm", show_default=True, help="EVM key in HOME's keyring."),
        click.option("--fund", is_flag=True,
                     help="First send 1 ETH of gas money to the EVM key from the EVM node's first unlocked account "
                          "(local EVMs such as anvil)."),
    )):
        command = option(command)
    return command


def connect(evm_rpc: str, evm_key: bytes, fund: bool) -> Any:
    from web3 import Web3

    from akechain.chain.modules.bridge.evm import evm_address

    w3 = Web3(Web3.HTTPProvider(evm_rpc, request_kwargs={"timeout": 30}))
    if fund:
        to = Web3.to_checksum_address(evm_address(evm_key))
        if w3.eth.get_balance(to) < FUND_WEI // 2:
            w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(
                {"from": w3.eth.accounts[0], "to": to, "value": FUND_WEI, "gas": 21_000}))
    return w3


def load_evm_key(home: Path, name: str, passphrase_file: Path | None) -> bytes:
    from akechain.client.keystore import KeystoreError

    try:
        return bytes.fromhex(open_keystore(home).export_seed(name, read_passphrase(passphrase_file)))
    except KeystoreError as exc:
        fail(f"{exc} (register one with `akechain tx bridge register-evm-key`)")


@bridge.command("deploy")
@evm_options
def deploy(home: Path, node_url: str, passphrase_file: Path | None, evm_rpc: str, evm_key_name: str, fund: bool) -> None:
    """Deploy AkeBridge with the chain's valset 0 (relayers then bring it to the latest set); writes
    HOME/bridge.json and prints it."""
    from akechain.bridge.orchestrator import deploy_contract
    from akechain.client.http import NodeClient, NodeClientError

    evm_key = load_evm_key(home, evm_key_name, passphrase_file)
    try:
        with NodeClient(node_url) as client:
            chain_id = str(client.status()["chain_id"])
            valset = next((v for v in client.bridge("valsets") if v["nonce"] == 0), None)
        if valset is None:
            fail("the chain has no valset 0 (validators holding > 2/3 of the power must register EVM keys first)")
        w3 = connect(evm_rpc, evm_key, fund)
        address, block = deploy_contract(w3, evm_key, chain_id, valset)
    except (NodeClientError, OSError, ValueError) as exc:
        fail(str(exc))
    doc = {"contract": address, "from_block": block, "evm_rpc": evm_rpc, "chain_id": chain_id}
    (home / BRIDGE_FILE).write_text(json.dumps(doc, indent=2) + "\n")
    echo_json(doc)


@bridge.command("run")
@evm_options
@click.option("--key", default="validator", show_default=True, help="The validator operator's key in HOME's keyring.")
@click.option("--contract", help="AkeBridge's address (default: HOME/bridge.json's).")
@click.option("--confirmations", type=UINT63, default=0, show_default=True,
              help="EVM blocks an event must be buried under before it is claimed.")
@click.option("--interval", type=float, default=1.0, show_default=True, help="Seconds between rounds.")
@click.option("--steps", type=UINT63, default=0, help="Stop after this many rounds (0: until SIGINT/SIGTERM).")
@click.option("--no-relay", is_flag=True, help="Only sign and claim; leave relaying to others.")
def run(home: Path, node_url: str, passphrase_file: Path | None, evm_rpc: str, evm_key_name: str, fund: bool, key: str,
        contract: str | None, confirmations: int, interval: float, steps: int, no_relay: bool) -> None:
    """Sign the chain's pending valsets and batches, claim the contract's events, relay what > 2/3
    signed; reconnects to either side and resumes from the chain's nonces."""
    import trio

    from akechain.bridge.orchestrator import NodePort, Orchestrator, open_contract, run_orchestrator
    from akechain.cli.common import open_wallet

    evm_key = load_evm_key(home, evm_key_name, passphrase_file)
    deployed = json.loads((home / BRIDGE_FILE).read_text()) if (home / BRIDGE_FILE).exists() else {}
    address = contract or deployed.get("contract")
    if not address:
        fail(f"no --contract and no {home / BRIDGE_FILE} (run `akechain bridge deploy` first)")
    wallet = open_wallet(home, key, node_url, passphrase_file)
    w3 = connect(evm_rpc, evm_key, fund)
    orchestrator = Orchestrator(NodePort(wallet), w3, open_contract(w3, address), evm_key, confirmations,
                                int(deployed.get("from_block", 0)) if not contract else 0, relay=not no_relay)
    with wallet.client:
        trio.run(run_orchestrator, orchestrator, interval, steps or None)
    echo_json({"validator": wallet.address, "evm_address": orchestrator.evm_address, "steps": steps})
