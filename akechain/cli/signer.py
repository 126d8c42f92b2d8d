"""`akechain signer`: a validator's key in its own process (consensus.remote_signer), for a node
started with `--signer ADDR`."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from akechain.cli.common import fail, home_option


@click.group()
def signer() -> None:
    """Remote signer: hold the validator key apart from the node."""


@signer.command("run")
@home_option
@click.option("--listen", "address", required=True, help="unix:///PATH or tcp://HOST:PORT to answer the node on.")
@click.option("--chain-id", required=True, help="The only chain this signer signs for.")
@click.option("--secret-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Shared secret (hex) for tcp://; created when missing. Give the node the same file.")
def signer_run(home: Path, address: str, chain_id: str, secret_file: Path | None) -> None:
    """Serve HOME's priv_validator_key.json with its own last-signed state (priv_validator_state.json)."""
    from akechain.node.config import Home
    from akechain.node.logs import configure_logging
    from consensus.privval import FilePV, PrivValError
    from consensus.remote_signer import SECRET_BYTES, load_secret, open_listener, parse_address, serve_signer

    configure_logging("text")
    paths = Home(home)
    try:
        parse_address(address)
        if address.startswith("tcp://") and secret_file is None:
            fail("a tcp:// signer needs --secret-file (an unauthenticated TCP signer would sign for anyone)")
        secret = None
        if secret_file is not None:
            if not secret_file.exists():
                fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write(os.urandom(SECRET_BYTES).hex() + "\n")
            secret = load_secret(secret_file)
        pv = FilePV.load(paths.validator_key_file, paths.validator_state_file)
        listener = open_listener(address)
    except (ValueError, OSError, PrivValError) as exc:
        fail(str(exc))
    logging.getLogger("akechain.signer").info("signing for %s as %s on %s (last signed height %d)", chain_id,
                                              pv.address.hex(), address, pv.last.height)
    try:
        serve_signer(pv, chain_id, listener, secret)
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
