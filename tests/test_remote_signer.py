"""The remote signer in-process: votes and proposals signed over a unix socket and over TCP with a
shared secret; double signs refused by the signer's own state; a wrong secret, another chain and
a tampered frame refused; the client reconnects after the signer restarts."""
from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from consensus.privval import DoubleSignError, FilePV
from consensus.remote_signer import (
    Channel,
    PubKeyRequest,
    RemoteSigner,
    SignerProtocolError,
    SignerUnavailableError,
    open_listener,
    serve_signer,
)
from consensus.types import PREVOTE, BlockID, Proposal, Vote, verify_signature

CHAIN = "ake-signer-1"
A, B = BlockID(b"\x01" * 32), BlockID(b"\x02" * 32)
SECRET = bytes(range(32))


def start_server(tmp_path: Path, address: str, secret: bytes | None, connections: int = 1) -> tuple[FilePV, socket.socket]:
    pv = FilePV.load_or_generate(tmp_path / "priv_validator_key.json", tmp_path / "priv_validator_state.json")
    listener = open_listener(address)
    threading.Thread(target=serve_signer, args=(pv, CHAIN, listener, secret, connections), daemon=True).start()
    return pv, listener


def tcp_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_votes_and_proposals_are_signed_and_double_signs_refused(tmp_path: Path, transport: str) -> None:
    address, secret = (f"unix://{tmp_path}/s.sock", None) if transport == "unix" else (tcp_address(), SECRET)
    pv, listener = start_server(tmp_path, address, secret)
    client = RemoteSigner(address, CHAIN, secret, connect_seconds=5)
    try:
        assert client.pub_key == pv.pub_key and client.address == pv.address
        vote = client.sign_vote(CHAIN, Vote(PREVOTE, 5, 0, A, 100, pv.address, 0))
        assert verify_signature(pv.pub_key, vote.sign_bytes(CHAIN), vote.signature)
        again = client.sign_vote(CHAIN, Vote(PREVOTE, 5, 0, A, 999, pv.address, 0))  # a retry: the same signature
        assert again.signature == vote.signature and again.timestamp_ms == 100
        with pytest.raises(DoubleSignError, match="refused"):
            client.sign_vote(CHAIN, Vote(PREVOTE, 5, 0, B, 100, pv.address, 0))
        proposal = client.sign_proposal(CHAIN, Proposal(6, 0, -1, A, 200))
        assert verify_signature(pv.pub_key, proposal.sign_bytes(CHAIN), proposal.signature)
        with pytest.raises(DoubleSignError, match="signs for chain"):
            client.sign_vote("ake-other-1", Vote(PREVOTE, 7, 0, A, 100, pv.address, 0))
        assert (pv.last.height, pv.last.step) == (6, 1)  # the signer's own durable state moved
    finally:
        client.close()
        listener.close()


def test_a_wrong_secret_gets_no_signature(tmp_path: Path) -> None:
    address = tcp_address()
    _, listener = start_server(tmp_path, address, SECRET)
    try:
        with pytest.raises(SignerUnavailableError):
            RemoteSigner(address, CHAIN, bytes(32), connect_seconds=0.5)
    finally:
        listener.close()


def test_a_tampered_frame_fails_its_mac(tmp_path: Path) -> None:
    address = tcp_address()
    _, listener = start_server(tmp_path, address, SECRET)
    host, port = address[len("tcp://"):].split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=3) as sock:
            channel = Channel(sock, SECRET, is_server=False)
            channel.send(PubKeyRequest(CHAIN))
            channel.receive()
            channel._sent -= 1  # replay the counter: the server must refuse it
            channel.send(PubKeyRequest(CHAIN))
            with pytest.raises((ConnectionError, SignerProtocolError, OSError)):
                channel.receive()
    finally:
        listener.close()


def test_the_client_reconnects_after_the_signer_restarts(tmp_path: Path) -> None:
    address = f"unix://{tmp_path}/s.sock"
    pv, listener = start_server(tmp_path, address, None, connections=1)
    client = RemoteSigner(address, CHAIN, connect_seconds=5)
    client.sign_vote(CHAIN, Vote(PREVOTE, 5, 0, A, 100, pv.address, 0))
    client.close()  # the server thread served its one connection and stops
    listener.close()
    with pytest.raises(SignerUnavailableError):
        client.sign_vote(CHAIN, Vote(PREVOTE, 6, 0, A, 100, pv.address, 0))
    restarted, listener = start_server(tmp_path, address, None)  # reloads the key and the last-signed state
    try:
        assert restarted.last.height == 5
        vote = client.sign_vote(CHAIN, Vote(PREVOTE, 6, 0, A, 100, pv.address, 0))
        assert verify_signature(pv.pub_key, vote.sign_bytes(CHAIN), vote.signature)
    finally:
        client.close()
        listener.close()
