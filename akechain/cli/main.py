"""The `akechain` command: set up a node home, manage keys, run a node or a devnet, send txs, query.

Every command that unlocks a key takes `--passphrase-file` so scripts never need a terminal;
without it the passphrase is asked for at a hidden prompt.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from akechain.cli.common import (
    AMOUNT,
    echo_json,
    fail,
    home_option,
    node_option,
    open_keystore,
    passphrase_option,
    query_node,
    read_passphrase,
    report_submission,
    sign_and_broadcast,
    signing_options,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """akechain: node, devnet and client for the AKE compute-marketplace chain.

    \b
    Start here:
      akechain init --home ./n0 --chain-id ake-local-1 --moniker n0
      akechain start --home ./n0
      akechain status
      akechain tx bank send validator ake1... 1000000 --home ./n0
      akechain simulate --blocks 200 --seed 1     # property-test the state machine
    """


# ---------------------------------------------------------------- init / start


@main.command()
@home_option
@click.option("--chain-id", required=True, help="Chain id written into the new genesis and into every signed tx.")
@click.option("--moniker", required=True, help="Human-readable name of this node.")
@click.option("--rpc-port", type=click.IntRange(1, 65535), default=26657, show_default=True)
@click.option("--p2p-port", type=click.IntRange(1, 65535), default=26656, show_default=True)
@passphrase_option
@click.option("--balance", type=click.IntRange(0, 2**63 - 1), default=1_000_000_000_000,
              show_default=True, help="Genesis balance of the `validator` operator account, in uake (its gentx "
              "bonds 10 AKE of it).")
def init(home: Path, chain_id: str, moniker: str, rpc_port: int, p2p_port: int,
         passphrase_file: Path | None, balance: int) -> None:
    """Create a node home: config.toml, genesis.json, node key, validator key and a funded `validator` account."""
    from akechain.node.home import HomeExistsError, InitError, init_home

    passphrase = read_passphrase(passphrase_file, confirm=True)
    try:
        summary = init_home(home, chain_id=chain_id, moniker=moniker, rpc_port=rpc_port, p2p_port=p2p_port,
                            passphrase=passphrase, balance=balance)
    except (HomeExistsError, InitError) as exc:
        fail(str(exc))
    echo_json(summary)


@main.command()
@home_option
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Log lines as text, or as one JSON object each (time, level, logger, message).")
@click.option("--signer", "signer_address", help="Sign votes and proposals with `akechain signer run` at "
              "unix:///PATH or tcp://HOST:PORT (the home then holds no validator key).")
@click.option("--signer-secret-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The shared secret (hex) authenticating a tcp:// signer.")
@click.option("--upgrade-plugin", "upgrade_plugins", multiple=True, metavar="MODULE:ATTR",
              help="Handle an upgrade plan with the `Upgrade` at MODULE:ATTR (an importable Python module): "
              "at the plan's height the node runs its migrations instead of stopping.")
def start(home: Path, log_format: str, signer_address: str | None, signer_secret_file: Path | None,
          upgrade_plugins: tuple[str, ...]) -> None:
    """Run the node in the foreground until SIGINT/SIGTERM, then stop cleanly (exit 1 at an upgrade
    plan's height this binary does not handle)."""
    from akechain.node.config import ConfigError
    from akechain.node.node import NodeStartError, run_node

    try:
        run_node(home, log_format, signer_address, signer_secret_file, upgrade_plugins)
    except (ConfigError, NodeStartError) as exc:
        fail(str(exc))


@main.command("export")
@home_option
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write the genesis to FILE (default: stdout).")
@click.option("--chain-id", default=None, help="The new chain's id (default: the exported chain's).")
@click.option("--upgrade-plugin", "upgrade_plugins", multiple=True, metavar="MODULE:ATTR",
              help="The upgrades the node runs with (their modules export their own state).")
def export(home: Path, out_file: Path | None, chain_id: str | None, upgrade_plugins: tuple[str, ...]) -> None:
    """Export a stopped node's state at its last height H as the genesis of a chain that continues it
    (initial_height H+1, genesis time H's block time; heights in the records stay as they are)."""
    from akechain.chain.codec import GenesisError
    from akechain.chain.upgrades import UpgradePluginError, build_registry
    from akechain.node.export import ExportError, export_genesis

    try:
        doc = export_genesis(home, build_registry(upgrade_plugins), chain_id)
    except (ExportError, UpgradePluginError, GenesisError, OSError) as exc:
        fail(str(exc))
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    if out_file is None:
        click.echo(text, nl=False)
    else:
        out_file.write_text(text)
        click.echo(f"wrote {out_file}: initial_height {doc['initial_height']}", err=True)


# ---------------------------------------------------------------- devnet


@main.group(invoke_without_command=True)
@click.option("--validators", type=click.IntRange(1, 32), default=4, show_default=True,
              help="Number of validator processes (used when DIR holds no devnet yet).")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=Path(".devnet"), show_default=True,
              help="Devnet directory: node homes, shared keyring, passphrase file, devnet.json.")
@click.option("--base-port", type=click.IntRange(1024, 65000), default=26600, show_default=True,
              help="Node I serves HTTP on BASE+2I and p2p on BASE+2I+1.")
@click.option("--chain-id", default="ake-devnet-1", show_default=True)
@click.option("--detach", is_flag=True, help="Start in the background, write DIR/devnet.json and return once every node answers.")
@click.option("--market-params", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="JSON object of genesis market params replacing the defaults (only when DIR is created).")
@click.option("--params", "params_file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help='JSON {module: {param: value}} over any module\'s genesis params, checked against their bounds '
                   '(only when DIR is created), e.g. {"staking": {"unbonding_time_ms": 20000}}.')
@click.option("--bridge", is_flag=True,
              help="Also start anvil (EVM) on BASE+2N, deploy the bridge contract and run an orchestrator per validator "
                   "(only when DIR is created; see devnet.json's `bridge`).")
@click.option("--guardian", "guardian_key", metavar="HEX",
              help="Name this k-of-n multisig key (hex, as `keys show` prints it) gov's guardian with every power, "
                   "its account funded (only when DIR is created).")
@click.pass_context
def devnet(ctx: click.Context, validators: int, home: Path, base_port: int, chain_id: str, detach: bool,
           market_params: Path | None, params_file: Path | None, bridge: bool, guardian_key: str | None) -> None:
    """Run a local devnet: N validators on 127.0.0.1 with a funded `faucet` key.

    \b
    Creates DIR on first use and restarts the same chain afterwards. Without --detach it shows a
    live table and stops every node on Ctrl-C. Scripts use:
      akechain devnet --detach --home DIR     # then read DIR/devnet.json
      akechain devnet stop --home DIR
    """
    if ctx.invoked_subcommand is not None:
        return
    from akechain.cli.devnet import DevnetError, run_devnet

    try:
        run_devnet(home, validators=validators, base_port=base_port, chain_id=chain_id, detach=detach,
                   market_params=market_params, params=params_file, bridge=bridge,
                   guardian_key=None if guardian_key is None else bytes.fromhex(guardian_key))
    except (DevnetError, ValueError) as exc:
        fail(str(exc))


@devnet.command("stop")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=Path(".devnet"), show_default=True)
def devnet_stop(home: Path) -> None:
    """Stop every node of the devnet in DIR (from DIR/devnet.json)."""
    from akechain.cli.devnet import DevnetError, stop_devnet

    try:
        stopped = stop_devnet(home)
    except DevnetError as exc:
        fail(str(exc))
    echo_json({"stopped": stopped})


# ---------------------------------------------------------------- keys


@main.group()
def keys() -> None:
    """Manage passphrase-encrypted account keys in HOME/keyring."""


@keys.command("add")
@click.argument("name")
@home_option
@passphrase_option
@click.option("--recover", is_flag=True, help="Restore the key from its BIP-39 seed phrase (asked for, or --mnemonic-file).")
@click.option("--mnemonic-file", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="With --recover: read the seed phrase from this file instead of prompting.")
@click.option("--multisig", help="Comma-separated member keys (keyring names or hex public keys): record the k-of-n "
                                 "account they form (public keys only) instead of creating a key.")
@click.option("--multisig-threshold", type=click.IntRange(1, 16), help="With --multisig: signatures the account needs.")
def keys_add(name: str, home: Path, passphrase_file: Path | None, recover: bool, mnemonic_file: Path | None,
             multisig: str | None, multisig_threshold: int | None) -> None:
    """Create key NAME from a new BIP-39 seed phrase, shown once (or restore it with --recover).

    \b
    The phrase is the only backup: write it down. The key file stores the derived seed encrypted
    under the passphrase, never the phrase. --multisig records a k-of-n account instead.
    """
    from akechain.client.keystore import KeystoreError
    from akechain.client.seed_phrase import SeedPhraseError, derive_account_seed, generate_phrase

    store = open_keystore(home)
    try:
        if multisig is not None:
            if multisig_threshold is None:
                fail("--multisig needs --multisig-threshold")
            echo_json(key_json(store.add_multisig(name, multisig_threshold, [member_pub_key(store, m)
                                                                            for m in multisig.split(",")])))
            return
        phrase = read_phrase(mnemonic_file) if recover else generate_phrase()
        info = store.add(name, read_passphrase(passphrase_file, confirm=True), derive_account_seed(phrase))
    except (KeystoreError, SeedPhraseError) as exc:
        fail(str(exc))
    doc = key_json(info)
    if not recover:
        doc["mnemonic"] = phrase
        click.echo("Write down this seed phrase and keep it safe: it restores the key (keys add --recover) and "
                   "it is shown only this once.", err=True)
    echo_json(doc)


def read_phrase(mnemonic_file: Path | None) -> str:
    if mnemonic_file is not None:
        return mnemonic_file.read_text()
    return click.prompt("Seed phrase", hide_input=True)


def member_pub_key(store: Any, member: str) -> bytes:
    """A multisig member given as a keyring name or a hex ed25519 public key."""
    member = member.strip()
    from akechain.client.keystore import KeystoreError

    try:
        return store.show(member).pub_key
    except KeystoreError:  # not a name in the keyring: then it must be hex
        try:
            return bytes.fromhex(member)
        except ValueError:
            fail(f"multisig member {member!r} is neither a key in the keyring nor a hex public key")


@keys.command("list")
@home_option
def keys_list(home: Path) -> None:
    """List key names and addresses."""
    echo_json([key_json(info) for info in open_keystore(home).list()])


@keys.command("show")
@click.argument("name")
@home_option
def keys_show(name: str, home: Path) -> None:
    """Show NAME's address and public key."""
    from akechain.client.keystore import KeystoreError

    try:
        echo_json(key_json(open_keystore(home).show(name)))
    except KeystoreError as exc:
        fail(str(exc))


@keys.command("export")
@click.argument("name")
@home_option
@passphrase_option
@click.option("--unsafe-seed", is_flag=True, help="Print the raw seed in hex instead of the encrypted key file.")
def keys_export(name: str, home: Path, passphrase_file: Path | None, unsafe_seed: bool) -> None:
    """Print NAME's encrypted key file (or, with --unsafe-seed, its raw seed)."""
    from akechain.client.keystore import KeystoreError

    store = open_keystore(home)
    try:
        if unsafe_seed:
            click.echo(store.export_seed(name, read_passphrase(passphrase_file)))
        else:
            click.echo(store.export_encrypted(name))
    except KeystoreError as exc:
        fail(str(exc))


@keys.command("import")
@click.argument("name")
@click.argument("source", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@home_option
@passphrase_option
def keys_import(name: str, source: Path, home: Path, passphrase_file: Path | None) -> None:
    """Import SOURCE (an exported key file, or a file holding a hex seed) as NAME."""
    from akechain.client.keystore import KeystoreError

    text = source.read_text().strip()
    store = open_keystore(home)
    try:
        if text.startswith("{"):
            info = store.import_encrypted(name, text, read_passphrase(passphrase_file))
        else:
            info = store.import_seed(name, text, read_passphrase(passphrase_file, confirm=True))
    except KeystoreError as exc:
        fail(str(exc))
    echo_json(key_json(info))


def key_json(info: Any) -> dict[str, Any]:
    return {"name": info.name, "address": info.address, "pub_key": info.pub_key.hex()}


# ---------------------------------------------------------------- client commands


@main.command()
@node_option
def status(node_url: str) -> None:
    """Print a node's status (chain id, height, app hash, block time)."""
    query_node(lambda client: client.status(), node_url)


@main.group()
def query() -> None:
    """Read chain state from a node."""


@query.command("kpi")
@node_option
def query_kpi(node_url: str) -> None:
    """Network KPIs per period for governance reviews: supply, burn, emission, treasury, fees, market
    volume, utilisation, providers and their reputation, proposals and turnout (docs/governance.md)."""
    query_node(lambda client: client.kpi(), node_url)


@query.command("account")
@click.argument("address")
@node_option
@click.option("--prove", is_flag=True, help="Include an SMT proof against the app hash.")
def query_account(address: str, node_url: str, prove: bool) -> None:
    """Balance (uake), nonce and public key (hex, "" before its first tx) of ADDRESS."""
    query_node(lambda client: client.account(address, prove=prove), node_url)


@query.command("block")
@click.argument("height", required=False, type=click.IntRange(min=1))
@node_option
def query_block(height: int | None, node_url: str) -> None:
    """The block at HEIGHT (default: latest)."""
    query_node(lambda client: client.block(height), node_url)


@query.command("tx")
@click.argument("tx_hash")
@node_option
def query_tx(tx_hash: str, node_url: str) -> None:
    """A committed tx and its result."""
    query_node(lambda client: client.tx(tx_hash), node_url)


@main.group()
def tx() -> None:
    """Sign and broadcast transactions."""


@tx.group()
def bank() -> None:
    """Bank module transactions."""


@bank.command("send")
@click.argument("from_key", metavar="FROM")
@click.argument("to_address", metavar="TO")
@click.argument("amount", type=AMOUNT)
@signing_options
def bank_send(from_key: str, to_address: str, amount: int, **signing: Any) -> None:
    """Send AMOUNT uake from key FROM to address TO; waits for commit and prints the tx hash and height."""
    from akechain.chain.crypto import CryptoError, parse_address
    from akechain.chain.modules.bank.msgs import MsgSend

    try:
        recipient = parse_address(to_address)
    except CryptoError as exc:
        fail(str(exc))
    sign_and_broadcast(from_key, [MsgSend(to=recipient, amount=amount)], **signing)


@tx.command("broadcast")
@click.argument("tx_file", type=click.File("r"))
@node_option
@click.option("--no-wait", is_flag=True, help="Return once the node admitted the tx.")
def tx_broadcast(tx_file: Any, node_url: str, no_wait: bool) -> None:
    """Broadcast a signed tx: a `tx sign`/`tx multisign` file, or --sign-only's hex ('-' for stdin)."""
    from akechain.chain.tx import compute_tx_hash
    from akechain.cli.offline import OfflineError, read_signed_tx
    from akechain.client.http import NodeClient, NodeClientError

    try:
        raw = read_signed_tx(tx_file.read())
    except OfflineError as exc:
        fail(str(exc))
    try:
        with NodeClient(node_url) as client:
            answer = client.submit(raw, wait_commit=not no_wait)
    except NodeClientError as exc:
        fail(str(exc))
    report_submission(answer, compute_tx_hash(raw).hex())


@tx.command("sign")
@click.argument("tx_file", type=click.File("r"))
@click.option("--key", "key_name", required=True, help="Keyring key to sign with: the sender, or a member of its multisig.")
@click.option("--chain-id", required=True, help="The chain the tx is for: must be the file's (the signature binds it).")
@click.option("--nonce", type=click.IntRange(0, 2**63 - 1), required=True, help="The sender's nonce: must be the file's.")
@home_option
@passphrase_option
def tx_sign(tx_file: Any, key_name: str, chain_id: str, nonce: int, home: Path, passphrase_file: Path | None) -> None:
    """Sign an unsigned tx file (from --generate-only) with no node: prints a signed-tx file, or for a
    multisig sender this member's signature file (combine them with `tx multisign`)."""
    from akechain.cli.offline import OfflineError, sign_unsigned
    from akechain.client.keystore import KeystoreError

    text = tx_file.read()
    try:
        key = open_keystore(home).load(key_name, read_passphrase(passphrase_file))
        echo_json(sign_unsigned(text, key, chain_id, nonce))
    except (KeystoreError, OfflineError) as exc:
        fail(str(exc))


@tx.command("multisign")
@click.argument("tx_file", type=click.File("r"))
@click.argument("signature_files", nargs=-1, required=True, type=click.File("r"))
def tx_multisign(tx_file: Any, signature_files: tuple[Any, ...]) -> None:
    """Combine members' signature files of an unsigned multisig tx into a signed-tx file."""
    from akechain.cli.offline import OfflineError, combine_signatures

    try:
        echo_json(combine_signatures(tx_file.read(), [f.read() for f in signature_files]))
    except OfflineError as exc:
        fail(str(exc))


def register_module_commands() -> None:
    from akechain.cli.authz import authz_query, authz_tx, feegrant_tx
    from akechain.cli.bridge import bridge_query, bridge_tx
    from akechain.cli.bridge_agent import bridge
    from akechain.cli.distribution import distribution_query, distribution_tx
    from akechain.cli.gov import gov_query, gov_tx, upgrade_query
    from akechain.cli.market import market, market_query, market_tx, provider, verifier
    from akechain.cli.slashing import slashing_query, slashing_tx
    from akechain.cli.staking import staking_query, staking_tx

    tx.add_command(market_tx)
    query.add_command(market_query)
    tx.add_command(staking_tx)
    query.add_command(staking_query)
    tx.add_command(slashing_tx)
    query.add_command(slashing_query)
    tx.add_command(distribution_tx)
    query.add_command(distribution_query)
    tx.add_command(gov_tx)
    query.add_command(gov_query)
    query.add_command(upgrade_query)
    tx.add_command(authz_tx)
    tx.add_command(feegrant_tx)
    query.add_command(authz_query)
    tx.add_command(bridge_tx)
    query.add_command(bridge_query)
    main.add_command(market)
    main.add_command(bridge)
    main.add_command(provider)
    main.add_command(verifier)


register_module_commands()


def register_simulate_command() -> None:
    from akechain.cli.simulate import simulate

    main.add_command(simulate)


register_simulate_command()



def register_operations_commands() -> None:
    from akechain.cli.doctor import doctor
    from akechain.cli.signer import signer
    from akechain.cli.watch import watch

    main.add_command(doctor)
    main.add_command(signer)
    main.add_command(watch)


register_operations_commands()
