"""Options and helpers shared by the `akechain` command groups: error exits, JSON output, key
unlocking, and the one path every signing command takes (options → Wallet → sign or broadcast)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable, NoReturn, Sequence

import click

from akechain.cli.local_chain import MAX_FEE_MULTIPLE

DEFAULT_HOME = Path.home() / ".akechain"
DEFAULT_NODE = "http://127.0.0.1:26657"
UINT63 = click.IntRange(0, 2**63 - 1)
AMOUNT = click.IntRange(1, 2**63 - 1)

home_option = click.option(
    "--home", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_HOME, show_default=True,
    help="Node home directory (config.toml, genesis.json, keys, data).",
)
node_option = click.option("--node", "node_url", default=DEFAULT_NODE, show_default=True, help="URL of a node's HTTP API.")
passphrase_option = click.option(
    "--passphrase-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Read the key passphrase from this file (first line) instead of prompting.",
)
MAX_FEE_OPTION = click.option(
    "--max-fee", type=UINT63,
    help=f"Refuse to sign a fee above this, in uake (default: {MAX_FEE_MULTIPLE}x the fee the tx requires "
         "under HOME's genesis, or the default params), whether it came from --fee or the node.")
SIGNING_OPTIONS = (
    home_option,
    node_option,
    passphrase_option,
    click.option("--fee", type=UINT63, help="Fee in uake (default: the chain's minimum fee)."),
    click.option("--memo", default="", help="Free text stored with the tx."),
    click.option("--nonce", type=UINT63, help="Override the nonce (default: ask the node)."),
    click.option("--chain-id", help="Chain id to sign for (default: the chain id of HOME's genesis.json, or of "
                                    "its devnet.json); a node reporting another chain id is refused."),
    MAX_FEE_OPTION,
    click.option("--sign-only", is_flag=True,
                 help="Print the signed tx as hex instead of broadcasting it (offline with --chain-id, --nonce and --fee)."),
    click.option("--generate-only", is_flag=True,
                 help="Print the unsigned tx as JSON (for `tx sign` on another machine): no passphrase; the node "
                      "is asked only for what --nonce and --fee do not give. FROM/--key may be a multisig entry."),
    click.option("--no-wait", is_flag=True, help="Return once the node admitted the tx, without waiting for a block."),
)


SIGNING_NAMES = ("home", "node_url", "passphrase_file", "fee", "memo", "nonce", "chain_id", "max_fee", "sign_only",
                 "generate_only", "no_wait")


def signing_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of every command that signs a tx (SIGNING_NAMES); pass them on to `sign_and_broadcast`."""
    for option in reversed(SIGNING_OPTIONS):
        command = option(command)
    return command


def fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def echo_json(doc: Any) -> None:
    click.echo(json.dumps(doc, indent=2, sort_keys=True))


def read_passphrase(passphrase_file: Path | None, confirm: bool = False) -> str:
    if passphrase_file is not None:
        lines = passphrase_file.read_text().splitlines()
        return lines[0] if lines else ""
    return click.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)


def open_keystore(home: Path) -> Any:
    from akechain.node.config import Home
    from akechain.client.keystore import Keystore

    return Keystore(Home(home).keyring_dir)


def open_wallet(home: Path, key_name: str, node_url: str, passphrase_file: Path | None, *,
                chain_id: str | None = None, max_fee: int | None = None, **overrides: Any) -> Any:
    """Unlock KEY from HOME's keyring and bind it to the node, signing only for HOME's chain (or
    `chain_id`) and at most `max_fee` (default: a multiple of the fee HOME's genesis requires for
    each tx). Raises
    KeystoreError; exits with an error if HOME does not say which chain it is on."""
    from akechain.cli.local_chain import LocalChainError, load_local_chain
    from akechain.client.http import NodeClient
    from akechain.client.wallet import TxOptions, Wallet

    try:
        chain = load_local_chain(home, chain_id)
    except LocalChainError as exc:
        fail(str(exc))
    signing_key = open_keystore(home).load(key_name, read_passphrase(passphrase_file))
    options = TxOptions(chain_id=chain.chain_id, max_fee=max_fee, max_fee_for=chain.compute_max_fee, **overrides)
    return Wallet(NodeClient(node_url), signing_key, options)


def sign_and_broadcast(key_name: str, msgs: Sequence[Any], *, home: Path, node_url: str,
                       passphrase_file: Path | None, fee: int | None, memo: str, nonce: int | None,
                       chain_id: str | None, max_fee: int | None, sign_only: bool, generate_only: bool,
                       no_wait: bool) -> None:
    """Sign `msgs` with KEY; print the hex (--sign-only) or broadcast and report the result; with
    --generate-only, print the unsigned tx file instead, unlocking nothing."""
    from akechain.client.http import NodeClientError
    from akechain.chain.codec import AppError
    from akechain.chain.crypto import CryptoError
    from akechain.client.keystore import KeystoreError
    from akechain.client.wallet import WalletRefusedError
    from akechain.chain.tx import compute_tx_hash

    if generate_only:
        try:
            echo_json(generate_unsigned(key_name, msgs, home=home, node_url=node_url, fee=fee, memo=memo, nonce=nonce,
                                        chain_id=chain_id))
        except (AppError, CryptoError, KeystoreError, NodeClientError, WalletRefusedError, ValueError) as exc:
            fail(str(exc))
        return
    try:
        wallet = open_wallet(home, key_name, node_url, passphrase_file, fee=fee, nonce=nonce, chain_id=chain_id,
                             max_fee=max_fee, memo=memo)
        with wallet.client:
            raw = wallet.sign(msgs)
            if sign_only:
                click.echo(raw.hex())
                return
            answer = wallet.submit(raw, wait_commit=not no_wait)
    except (AppError, CryptoError, KeystoreError, NodeClientError, WalletRefusedError, ValueError) as exc:
        fail(str(exc))
    report_submission(answer, compute_tx_hash(raw).hex())


def generate_unsigned(key_name: str, msgs: Sequence[Any], *, home: Path, node_url: str, fee: int | None, memo: str,
                      nonce: int | None, chain_id: str | None) -> dict[str, Any]:
    """The unsigned tx file of `msgs` from keyring entry KEY (public key only). The node, asked only
    for a missing nonce or fee, must be on the chain the file is for."""
    from akechain.chain.modules.auth.params import PARAMS as AUTH_PARAMS
    from akechain.cli.local_chain import LocalChainError, load_local_chain
    from akechain.cli.offline import build_body, compute_offline_fee, unsigned_doc
    from akechain.client.http import NodeClient
    from akechain.client.wallet import WalletRefusedError

    try:
        chain = load_local_chain(home, chain_id)
    except LocalChainError as exc:
        fail(str(exc))
    info = open_keystore(home).show(key_name)
    if nonce is None or fee is None:
        with NodeClient(node_url) as client:
            reported = client.status().get("chain_id")
            if reported != chain.chain_id:
                raise WalletRefusedError(f"node {node_url} reports chain id {reported!r}, the tx is for {chain.chain_id!r}")
            if nonce is None:
                nonce = int(client.account(info.address)["nonce"])
            if fee is None:
                params = AUTH_PARAMS.from_json(client.params()["auth"])
                fee = compute_offline_fee(params, info.pub_key, chain.chain_id, nonce, memo, msgs)
    return unsigned_doc(build_body(info.pub_key, chain.chain_id, nonce, fee, memo, msgs))


def report_submission(answer: dict[str, Any], tx_hash: str) -> None:
    check = answer.get("check", {})
    if check.get("code", 1) != 0:
        fail(f"tx {tx_hash} rejected: {check.get('log', 'unknown reason')}")
    result = answer.get("result")
    out: dict[str, Any] = {"hash": answer.get("hash", tx_hash)}
    if result is not None:
        out.update(height=result["height"], code=result["code"], log=result["log"])
        echo_json(out)
        if result["code"] != 0:
            sys.exit(1)
        return
    if "result" in answer:
        fail(f"tx {tx_hash} was admitted but not committed before the timeout")
    echo_json(out)


def query_node(ask: Callable[[Any], Any], node_url: str) -> None:
    """Print what `ask(client)` returns, or fail with the node's error."""
    from akechain.client.http import NodeClient, NodeClientError

    try:
        with NodeClient(node_url) as client:
            echo_json(ask(client))
    except NodeClientError as exc:
        fail(str(exc))
