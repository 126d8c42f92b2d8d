"""`akechain tx bridge …` and `akechain query bridge …`: register a validator's EVM key (kept in the
encrypted keystore), send AKE to an EVM address and cancel it while queued, and look up the
bridge's transfers, batches, valsets, claims and params."""
from __future__ import annotations

from typing import Any

import click

from akechain.cli.common import (
    SIGNING_NAMES,
    UINT63,
    fail,
    node_option,
    open_keystore,
    query_node,
    read_passphrase,
    sign_and_broadcast,
    signing_options,
)
from akechain.cli.market import msg_command, register_lookup


class EvmAddressType(click.ParamType):
    name = "0xADDRESS"

    def convert(self, value: Any, param: Any, ctx: Any) -> bytes:
        if isinstance(value, bytes):
            return value
        text = str(value).removeprefix("0x").removeprefix("0X")
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raw = b""
        if len(raw) != 20:
            self.fail(f"{value!r} is not a 20-byte 0x-hex EVM address", param, ctx)
        return raw


EVM_ADDRESS = EvmAddressType()


@click.group("bridge")
def bridge_tx() -> None:
    """Bridge transactions (each signed with --key)."""


@bridge_tx.command("register-evm-key")
@click.option("--key", required=True, help="The validator operator's key in HOME's keyring.")
@click.option("--evm-key", "evm_key_name", default="evm", show_default=True,
              help="Name of the EVM key in HOME's keyring (created, encrypted, when absent).")
@signing_options
def register_evm_key(key: str, evm_key_name: str, **signing: Any) -> None:
    """Register the validator's EVM key, proven by its signature over the operator address and chain id."""
    from akechain.chain.crypto import get_address
    from akechain.cli.local_chain import LocalChainError, load_local_chain
    from akechain.client.bridge import build_register_msg, load_or_create_evm_key
    from akechain.client.keystore import KeystoreError

    try:
        chain_id = load_local_chain(signing["home"], signing["chain_id"]).chain_id
        keystore = open_keystore(signing["home"])
        passphrase = read_passphrase(signing["passphrase_file"])
        operator = get_address(keystore.load(key, passphrase))
        evm_key = load_or_create_evm_key(keystore, evm_key_name, passphrase)
    except (LocalChainError, KeystoreError) as exc:
        fail(str(exc))
    sign_and_broadcast(key, [build_register_msg(evm_key, chain_id, operator)], **{n: signing[n] for n in SIGNING_NAMES})


@bridge_tx.command("send-to-evm")
@click.argument("destination", type=EVM_ADDRESS)
@click.argument("amount", type=UINT63)
@msg_command
def send_to_evm(destination: bytes, amount: int) -> Any:
    """Lock AMOUNT uake and have it minted as ERC-20 to DESTINATION (0x…) on the EVM side."""
    from akechain.chain.modules.bridge.msgs import MsgSendToEvm

    return MsgSendToEvm(destination, amount)


@bridge_tx.command("cancel")
@click.argument("transfer_id", type=UINT63)
@msg_command
def cancel(transfer_id: int) -> Any:
    """Unlock the --key account's transfer TRANSFER_ID while it is still queued (not yet batched)."""
    from akechain.chain.modules.bridge.msgs import MsgCancelSendToEvm

    return MsgCancelSendToEvm(transfer_id)


@click.group("bridge")
def bridge_query() -> None:
    """Bridge transfers, batches, valsets, claims and params."""


# command, its argument (name, type) or None, the NodeClient method answering it, help
LOOKUPS = (
    ("orchestrator", ("address", str), "bridge_orchestrator", "A validator's EVM address and its next claim's nonce - 1."),
)
VIEWS = (
    ("transfers", "Outgoing transfers: queued, batched, signed (> 2/3), minted."),
    ("batches", "Batches with their signatures and the share of power signed."),
    ("valsets", "Validator sets for the EVM side, with their signatures."),
    ("claims", "EVM events claimed but not yet executed, and the last executed."),
    ("params", "The bridge params."),
    ("state", "Counters, the ERC-20 supply the chain knows of, and every registered EVM key."),
)


def register_view(name: str, help_text: str) -> None:
    def lookup(node_url: str) -> None:
        query_node(lambda client: client.bridge(name), node_url)

    lookup.__doc__ = help_text
    bridge_query.command(name)(node_option(lookup))


for spec in LOOKUPS:
    register_lookup(bridge_query, *spec)
for name, help_text in VIEWS:
    register_view(name, help_text)
