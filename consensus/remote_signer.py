"""A validator key in its own process (CometBFT's privval socket, tmkms): the signer server holds a
`FilePV` and answers one node's vote and proposal sign requests; the node holds a `RemoteSigner`
(the `Signer` protocol) and never sees the key.

Double-sign protection stays with the key: the server signs through its FilePV, whose last-signed
state (height, round, step, sign-bytes hash) is on disk before a signature leaves the process, so
killing the server or the node at any moment can at worst lose a signature, never yield a second
one for the same height, round and step. The client checks every answer (the request it made,
signed by the key it was told), so a confused or hostile signer cannot make the node send junk.

Transport: a unix socket (`unix:///path`: its 0600 file mode is the access control) or TCP
(`tcp://host:port`) authenticated by a 32-byte shared secret: a challenge-response handshake with
fresh nonces from both sides, then an HMAC-SHA256 over every frame with a per-direction counter, so
frames cannot be forged, altered, replayed or reordered. Frames are a 4-byte length and a codec
record. The server serves one connection at a time; others wait until it closes.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import socket
import time
from dataclasses import dataclass, replace
from pathlib import Path

from consensus import vrf
from consensus.privval import DoubleSignError, FilePV
from consensus.types import Proposal, Vote, address_of, verify_signature
from state.codec import CodecError, Tagged, decode, encode, tagged

log = logging.getLogger(__name__)
MAX_FRAME_BYTES = 64 * 1024
NONCE_BYTES = 32
MAC_BYTES = 32
SECRET_BYTES = 32
REQUEST_SECONDS = 3.0  # one request's round trip; the node's consensus loop waits this long at most


class SignerUnavailableError(DoubleSignError):
    """No signature: the signer cannot be reached or answered wrongly. The driver skips a vote it
    cannot sign (as for any refusal), and tries again at the next one."""


class SignerProtocolError(Exception):
    """A peer that broke the framing, the handshake or a frame's MAC."""


class SignerMessage(Tagged):
    pass


@tagged(SignerMessage, "signer/pub_key")
@dataclass(frozen=True, slots=True)
class PubKeyRequest:
    chain_id: str


@tagged(SignerMessage, "signer/pub_key_answer")
@dataclass(frozen=True, slots=True)
class PubKeyAnswer:
    pub_key: bytes


@tagged(SignerMessage, "signer/sign_vote")
@dataclass(frozen=True, slots=True)
class SignVoteRequest:
    chain_id: str
    vote: Vote


@tagged(SignerMessage, "signer/signed_vote")
@dataclass(frozen=True, slots=True)
class SignedVote:
    vote: Vote


@tagged(SignerMessage, "signer/sign_proposal")
@dataclass(frozen=True, slots=True)
class SignProposalRequest:
    chain_id: str
    proposal: Proposal


@tagged(SignerMessage, "signer/signed_proposal")
@dataclass(frozen=True, slots=True)
class SignedProposal:
    proposal: Proposal


@tagged(SignerMessage, "signer/prove_seed")
@dataclass(frozen=True, slots=True)
class ProveSeedRequest:
    chain_id: str
    height: int


@tagged(SignerMessage, "signer/seed_proof")
@dataclass(frozen=True, slots=True)
class SeedProof:
    proof: bytes


@tagged(SignerMessage, "signer/refused")
@dataclass(frozen=True, slots=True)
class Refused:
    reason: str


@dataclass(frozen=True, slots=True)
class Envelope:
    message: SignerMessage


def parse_address(address: str) -> tuple[int, str | tuple[str, int]]:
    """(socket family, unix path or (host, port)) of "unix:///path" or "tcp://host:port"."""
    if address.startswith("unix://"):
        return socket.AF_UNIX, address[len("unix://"):]
    if address.startswith("tcp://"):
        host, _, port = address[len("tcp://"):].rpartition(":")
        if host and port.isdigit() and 0 < int(port) < 65536:
            return socket.AF_INET, (host, int(port))
    raise ValueError(f"signer address must be unix:///PATH or tcp://HOST:PORT, got {address!r}")


def load_secret(path: str | Path) -> bytes:
    """A shared secret file: 64 hex characters (`akechain signer run` writes one when asked)."""
    try:
        secret = bytes.fromhex(Path(path).read_text().strip())
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read the signer secret {path}: {exc}") from None
    if len(secret) != SECRET_BYTES:
        raise ValueError(f"the signer secret {path} must be {SECRET_BYTES} bytes of hex")
    return secret


class Channel:
    """Length-prefixed frames over a connected socket, MACed after a handshake when given a secret."""

    def __init__(self, sock: socket.socket, secret: bytes | None, is_server: bool) -> None:
        self.sock = sock
        self._session: bytes | None = None
        self._sent = 0
        self._received = 0
        self._out, self._in = (b"S", b"C") if is_server else (b"C", b"S")
        if secret is not None:
            self._handshake(secret, is_server)

    def _handshake(self, secret: bytes, is_server: bool) -> None:
        mine = os.urandom(NONCE_BYTES)
        if is_server:
            self._send_raw(mine)
            answer = self._receive_raw()
            theirs, proof = answer[:NONCE_BYTES], answer[NONCE_BYTES:]
            transcript = mine + theirs
            if not hmac.compare_digest(proof, compute_mac(secret, b"client" + transcript)):
                raise SignerProtocolError("the client does not know the shared secret")
            self._send_raw(compute_mac(secret, b"server" + transcript))
        else:
            theirs = self._receive_raw()
            transcript = theirs + mine
            self._send_raw(mine + compute_mac(secret, b"client" + transcript))
            if not hmac.compare_digest(self._receive_raw(), compute_mac(secret, b"server" + transcript)):
                raise SignerProtocolError("the signer does not know the shared secret")
        self._session = compute_mac(secret, b"session" + transcript)

    def send(self, message: SignerMessage) -> None:
        body = encode(Envelope(message))
        if self._session is not None:
            body += compute_mac(self._session, self._out + self._sent.to_bytes(8, "big") + body)
            self._sent += 1
        self._send_raw(body)

    def receive(self) -> SignerMessage:
        frame = self._receive_raw()
        if self._session is not None:
            frame, mac = frame[:-MAC_BYTES], frame[-MAC_BYTES:]
            expected = compute_mac(self._session, self._in + self._received.to_bytes(8, "big") + frame)
            if not hmac.compare_digest(mac, expected):
                raise SignerProtocolError("a frame failed its MAC (forged, altered, replayed or reordered)")
            self._received += 1
        try:
            return decode(Envelope, frame, max_size=MAX_FRAME_BYTES).message
        except CodecError as exc:
            raise SignerProtocolError(f"undecodable frame: {exc}") from None

    def _send_raw(self, data: bytes) -> None:
        self.sock.sendall(len(data).to_bytes(4, "big") + data)

    def _receive_raw(self) -> bytes:
        size = int.from_bytes(self._receive_exactly(4), "big")
        if size > MAX_FRAME_BYTES + MAC_BYTES:
            raise SignerProtocolError(f"a {size}-byte frame is over the limit")
        return self._receive_exactly(size)

    def _receive_exactly(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("the other side closed the connection")
            data += chunk
        return data


def compute_mac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def open_listener(address: str) -> socket.socket:
    family, where = parse_address(address)
    listener = socket.socket(family, socket.SOCK_STREAM)
    if family == socket.AF_UNIX:
        path = Path(str(where))
        path.unlink(missing_ok=True)  # a socket file left by a killed signer
        listener.bind(str(path))
        path.chmod(0o600)
    else:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(where)
    listener.listen(8)
    return listener


def answer(pv: FilePV, chain_id: str, request: SignerMessage) -> SignerMessage:
    """The signer's reply to one request; the FilePV refuses anything that could double-sign."""
    if getattr(request, "chain_id", None) != chain_id:
        return Refused(f"this signer signs for chain {chain_id!r} only")
    try:
        match request:
            case PubKeyRequest():
                return PubKeyAnswer(pv.pub_key)
            case SignVoteRequest(vote=vote):
                return SignedVote(pv.sign_vote(chain_id, vote))
            case SignProposalRequest(proposal=proposal):
                return SignedProposal(pv.sign_proposal(chain_id, proposal))
            case ProveSeedRequest(height=height):
                return SeedProof(pv.prove_seed(chain_id, height))
    except DoubleSignError as exc:
        log.warning("refused: %s", exc)
        return Refused(str(exc))
    return Refused(f"unknown request {type(request).__name__}")


def serve_signer(pv: FilePV, chain_id: str, listener: socket.socket, secret: bytes | None,
                 max_connections: int | None = None) -> None:
    """Answer one connection at a time until killed (or `max_connections` were served)."""
    served = 0
    while max_connections is None or served < max_connections:
        conn, _ = listener.accept()
        served += 1
        with conn:
            try:
                channel = Channel(conn, secret, is_server=True)
                log.info("a node connected")
                while True:
                    channel.send(answer(pv, chain_id, channel.receive()))
            except (ConnectionError, OSError, SignerProtocolError) as exc:
                log.info("connection ended: %s", exc)


class RemoteSigner:
    """The node's side: the `Signer` protocol over a connection to a signer server, reconnecting on
    demand. Construction waits up to `connect_seconds` for the signer to answer its public key."""

    def __init__(self, address: str, chain_id: str, secret: bytes | None = None, connect_seconds: float = 30.0,
                 request_seconds: float = REQUEST_SECONDS) -> None:
        self._family, self._where = parse_address(address)
        self._address = address
        self._chain_id = chain_id
        self._secret = secret
        self._request_seconds = request_seconds
        self._channel: Channel | None = None
        deadline = time.monotonic() + connect_seconds
        while True:
            try:
                answer_ = self._call(PubKeyRequest(chain_id))
                break
            except SignerUnavailableError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        if not isinstance(answer_, PubKeyAnswer) or len(answer_.pub_key) != 32:
            raise SignerUnavailableError(f"signer {address} gave no public key: {answer_}")
        self._pub_key = answer_.pub_key

    @property
    def pub_key(self) -> bytes:
        return self._pub_key

    @property
    def address(self) -> bytes:
        return address_of(self._pub_key)

    def sign_vote(self, chain_id: str, vote: Vote) -> Vote:
        signed = self._expect(self._call(SignVoteRequest(chain_id, vote)), SignedVote).vote
        # Verify it is our request (the timestamp may be the one signed before) with a valid signature
        if replace(signed, signature=b"", timestamp_ms=vote.timestamp_ms) != replace(vote, signature=b""):
            raise SignerUnavailableError("the signer answered with another vote than the one asked for")
        self._verify(signed.sign_bytes(chain_id), signed.signature)
        return signed

    def sign_proposal(self, chain_id: str, proposal: Proposal) -> Proposal:
        signed = self._expect(self._call(SignProposalRequest(chain_id, proposal)), SignedProposal).proposal
        if replace(signed, signature=b"", timestamp_ms=proposal.timestamp_ms) != replace(proposal, signature=b""):
            raise SignerUnavailableError("the signer answered with another proposal than the one asked for")
        self._verify(signed.sign_bytes(chain_id), signed.signature)
        return signed

    def prove_seed(self, chain_id: str, height: int) -> bytes:
        proof = self._expect(self._call(ProveSeedRequest(chain_id, height)), SeedProof).proof
        try:
            vrf.verify(self._pub_key, vrf.compute_seed_input(chain_id, height), proof)
        except vrf.InvalidVrfProofError as exc:
            raise SignerUnavailableError(f"the signer's seed proof does not verify: {exc}") from None
        return proof

    def close(self) -> None:
        if self._channel is not None:
            self._channel.sock.close()
            self._channel = None

    def _verify(self, sign_bytes: bytes, signature: bytes) -> None:
        if not verify_signature(self._pub_key, sign_bytes, signature):
            raise SignerUnavailableError("the signer's signature does not verify against its public key")

    @staticmethod
    def _expect(reply: SignerMessage, kind: type) -> object:
        if isinstance(reply, Refused):
            raise DoubleSignError(f"the signer refused: {reply.reason}")
        if not isinstance(reply, kind):
            raise SignerUnavailableError(f"the signer answered {type(reply).__name__}, expected {kind.__name__}")
        return reply

    def _call(self, request: SignerMessage) -> SignerMessage:
        """One round trip; a broken connection is reopened once before giving up (a repeated sign
        request is safe: the signer answers the same signature for the same height, round, step)."""
        try:
            return self._round_trip(request)
        except (ConnectionError, OSError, SignerProtocolError):
            self.close()
        try:
            return self._round_trip(request)
        except (ConnectionError, OSError, SignerProtocolError) as exc:
            self.close()
            raise SignerUnavailableError(f"signer {self._address} unavailable: {exc}") from None

    def _round_trip(self, request: SignerMessage) -> SignerMessage:
        channel = self._connect()
        channel.send(request)
        return channel.receive()

    def _connect(self) -> Channel:
        if self._channel is None:
            sock = socket.socket(self._family, socket.SOCK_STREAM)
            sock.settimeout(self._request_seconds)
            try:
                sock.connect(self._where)
                self._channel = Channel(sock, self._secret, is_server=False)
            except BaseException:
                sock.close()
                raise
        return self._channel
