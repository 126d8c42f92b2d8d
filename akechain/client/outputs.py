"""A job's output, delivered off the chain: the chain carries only its hash (the receipt's
`output_hash`, sha256 of the job's stdout), the provider agent serves the bytes.

The provider seals each output to the consumer's account key (a pynacl `SealedBox` to the
curve25519 form of the consumer's ed25519 key, which the chain learned from its first tx), so
that the provider's public endpoint can serve it to anyone and only the consumer can read it:
`GET {endpoint}/outputs/{output hash hex}?consumer={address}`. The consumer fetches it, opens it
and checks it against the receipt before keeping a byte of it. The same functions serve a
verifier or a replica that needs an output sealed to its own key.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from typing import Any, Sequence

import httpx
import nacl.bindings
import nacl.exceptions
import nacl.public
import nacl.signing

from akechain.chain.crypto import compute_address, format_address, get_address, parse_address
from akechain.client.http import NodeClient, NodeClientError

MAX_OUTPUT_BYTES = 16 * 1024 * 1024  # the sandbox's stdout cap: no job's output is larger
MAX_SEALED_BYTES = MAX_OUTPUT_BYTES + nacl.bindings.crypto_box_SEALBYTES
OUTPUTS_PATH = "/outputs/"  # the provider agent's route; the output hash (hex) follows
CONSUMER_PARAM = "consumer"  # the query parameter naming whose sealed copy is asked for
FETCH_TIMEOUT_S = 30.0


class OutputError(Exception):
    """A job's output could not be delivered."""


class PubKeyUnknownError(OutputError):
    """The chain knows no public key for the address (it has sent no tx), or a wrong one."""


class OutputUnavailableError(OutputError):
    """No provider served the output: no receipt yet, an unreachable endpoint, a 404, too many bytes."""


class OutputTamperedError(OutputError):
    """What the provider served does not open with this key or does not hash to the receipt's hash."""


@dataclass(frozen=True, slots=True)
class FetchedOutput:
    job_id: int
    output_hash: bytes
    provider: str  # whose endpoint served it
    data: bytes


def compute_output_hash(output: bytes) -> bytes:
    """What a receipt commits to: sha256 of the command's stdout."""
    return hashlib.sha256(output).digest()


def seal_output(output: bytes, pub_key: bytes) -> bytes:
    """`output` readable only by the holder of the ed25519 key `pub_key`."""
    recipient = nacl.signing.VerifyKey(pub_key).to_curve25519_public_key()
    return nacl.public.SealedBox(recipient).encrypt(output)


def open_output(sealed: bytes, key: nacl.signing.SigningKey, output_hash: bytes) -> bytes:
    """The output sealed to `key`, if it is the one whose hash is `output_hash`."""
    try:
        output = nacl.public.SealedBox(key.to_curve25519_private_key()).decrypt(sealed)
    except nacl.exceptions.CryptoError:
        raise OutputTamperedError("the output served is not sealed to this key (or was altered)") from None
    if compute_output_hash(output) != output_hash:
        raise OutputTamperedError(f"the output served hashes to {compute_output_hash(output).hex()}, "
                                  f"not to the receipt's {output_hash.hex()}")
    return output


def get_pub_key(client: NodeClient, address: str) -> bytes:
    """The ed25519 key the chain holds for `address`, checked to be the address's own (the node is
    not trusted to name it)."""
    try:
        pub_key = bytes.fromhex(client.account(address).get("pub_key", ""))
        if pub_key and compute_address(pub_key) == parse_address(address):
            return pub_key
    except ValueError:  # not hex, or not a key or an address (CryptoError)
        pass
    raise PubKeyUnknownError(f"the node names no valid public key for {address} (an account learns one with its first tx)")


def agreed_output_hash(leases: Sequence[dict[str, Any]]) -> str | None:
    """The output hash (hex) a job settled on: the settled leases' majority, else the receipts'."""
    receipts = [lease["receipt"]["output_hash"] for lease in leases if lease["receipt"] is not None]
    settled = [lease["receipt"]["output_hash"] for lease in leases if lease["close_reason"] == "settled"]
    return Counter(settled or receipts).most_common(1)[0][0] if receipts else None


def fetch_output(client: NodeClient, key: nacl.signing.SigningKey, job_id: int,
                 timeout: float = FETCH_TIMEOUT_S) -> FetchedOutput:
    """Fetch the output job `job_id` settled on from a provider that receipted it, open it with the
    consumer's `key` and check it against the receipt; each such provider is tried in turn."""
    me = format_address(get_address(key))
    job = client.job(job_id)
    if job["consumer"] != me:
        raise OutputUnavailableError(f"job {job_id} belongs to {job['consumer']}: its output is sealed to that key, not {me}")
    leases = client.leases(job_id=job_id)
    agreed = agreed_output_hash(leases)
    if agreed is None:
        raise OutputUnavailableError(f"job {job_id} has no receipt yet")
    output_hash = bytes.fromhex(agreed)
    problems: list[tuple[str, Exception]] = []
    for lease in leases:
        if lease["receipt"] is None or lease["receipt"]["output_hash"] != agreed:
            continue
        try:
            endpoint = client.provider(lease["provider"])["endpoint"]
            sealed = download(endpoint, output_hash, me, timeout)
            return FetchedOutput(job_id, output_hash, lease["provider"], open_output(sealed, key, output_hash))
        except (OutputError, NodeClientError) as exc:
            problems.append((lease["provider"], exc))
    # Tampered only when every provider served something false; otherwise some just were not reached.
    kind = OutputTamperedError if all(isinstance(exc, OutputTamperedError) for _, exc in problems) else OutputUnavailableError
    raise kind(f"job {job_id}'s output {agreed} was not delivered: "
               + "; ".join(f"{provider}: {exc}" for provider, exc in problems))


def download(endpoint: str, output_hash: bytes, consumer: str, timeout: float) -> bytes:
    """The sealed copy of an output for `consumer` from a provider's endpoint, at most MAX_SEALED_BYTES."""
    if not endpoint.startswith(("http://", "https://")):
        raise OutputUnavailableError(f"the provider's endpoint {endpoint!r} is not an http(s) URL")
    url = endpoint.rstrip("/") + OUTPUTS_PATH + output_hash.hex()
    chunks: list[bytes] = []
    size = 0
    try:
        with httpx.stream("GET", url, params={CONSUMER_PARAM: consumer}, timeout=timeout) as response:
            if response.status_code != 200:
                raise OutputUnavailableError(f"GET {url}: HTTP {response.status_code}")
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_SEALED_BYTES:
                    raise OutputUnavailableError(f"GET {url}: more than {MAX_SEALED_BYTES} bytes")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise OutputUnavailableError(f"cannot fetch {url}: {exc}") from None
    return b"".join(chunks)
