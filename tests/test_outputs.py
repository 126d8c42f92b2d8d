"""Job outputs off the chain: sealed to the consumer, served by the provider agent from a bounded
store, fetched and checked against the receipt (`akechain.client.outputs`,
`akechain.agents.provider.outputs`)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import nacl.signing
import pytest

from akechain.agents.provider.outputs import OutputServer, OutputStore
from akechain.chain.crypto import format_address, get_address
from akechain.cli.market import deliver_output
from akechain.client.outputs import (
    OutputTamperedError,
    OutputUnavailableError,
    PubKeyUnknownError,
    compute_output_hash,
    fetch_output,
    get_pub_key,
    open_output,
    seal_output,
)

CONSUMER = nacl.signing.SigningKey(b"c" * 32)
OTHER = nacl.signing.SigningKey(b"o" * 32)
ME = format_address(get_address(CONSUMER))
OUTPUT = b"42\n"


def pub(key: nacl.signing.SigningKey) -> bytes:
    return bytes(key.verify_key)


class FakeNode:
    """The few NodeClient answers fetching an output reads: one job of CONSUMER, receipted by one
    provider per endpoint."""

    def __init__(self, output_hash: bytes, endpoints: list[str], consumer: str = ME) -> None:
        self.endpoints = endpoints
        self.output_hash = output_hash
        self.consumer = consumer
        self.pub_keys = {ME: pub(CONSUMER)}

    def account(self, address: str) -> dict[str, Any]:
        return {"address": address, "pub_key": self.pub_keys.get(address, b"").hex()}

    def job(self, job_id: int) -> dict[str, Any]:
        return {"id": job_id, "consumer": self.consumer}

    def leases(self, job_id: int) -> list[dict[str, Any]]:
        return [{"id": i, "provider": f"p{i}", "receipt": {"output_hash": self.output_hash.hex()},
                 "close_reason": "settled"} for i in range(len(self.endpoints))]

    def provider(self, address: str) -> dict[str, Any]:
        return {"address": address, "endpoint": self.endpoints[int(address[1:])]}


class FakeWallet:
    """The consumer's wallet as the CLI uses it: its key, its node, and the chain check."""

    def __init__(self, node: FakeNode) -> None:
        self.client, self.key = node, CONSUMER

    def check_node(self) -> None:
        pass


class LyingStore(OutputStore):
    """A provider that serves, under any hash, another output sealed to the consumer."""

    def get(self, output_hash: bytes, consumer: str | None = None) -> bytes | None:
        return seal_output(b"43\n", pub(CONSUMER))


@pytest.fixture
def served():
    store = OutputStore(8, 1 << 20)
    with OutputServer(store, "127.0.0.1", 0) as server:
        yield store, server.url


def test_a_sealed_output_opens_only_with_the_consumers_key_and_the_receipts_hash() -> None:
    sealed = seal_output(OUTPUT, pub(CONSUMER))
    assert OUTPUT not in sealed
    assert open_output(sealed, CONSUMER, compute_output_hash(OUTPUT)) == OUTPUT
    with pytest.raises(OutputTamperedError, match="not sealed to this key"):
        open_output(sealed, OTHER, compute_output_hash(OUTPUT))
    with pytest.raises(OutputTamperedError, match="not to the receipt's"):
        open_output(sealed, CONSUMER, compute_output_hash(b"43\n"))
    with pytest.raises(OutputTamperedError):
        open_output(sealed[:-1] + bytes([sealed[-1] ^ 1]), CONSUMER, compute_output_hash(OUTPUT))


def test_the_store_is_bounded_in_count_and_bytes_evicting_the_oldest() -> None:
    store = OutputStore(max_outputs=2, max_bytes=200)
    first, second, third = (store.keep(bytes([i]) * 10, ME, pub(CONSUMER)) for i in range(3))
    assert len(store) == 2 and store.get(first) is None and store.get(second) and store.get(third)
    assert store.keep(b"x" * 200, ME, pub(CONSUMER)) is None  # larger than the whole store: not kept
    big = store.keep(b"y" * 140, ME, pub(CONSUMER))  # 188 sealed bytes: both others must go
    assert len(store) == 1 and store.get(big) and store.size <= 200
    assert store.keep(b"y" * 140, ME, pub(CONSUMER)) == big and len(store) == 1  # kept again, not twice


def test_the_server_answers_sealed_bytes_per_consumer_and_404_otherwise(served) -> None:
    store, url = served
    output_hash = store.keep(OUTPUT, ME, pub(CONSUMER))
    other = format_address(get_address(OTHER))
    store.keep(OUTPUT, other, pub(OTHER))
    mine = httpx.get(f"{url}/outputs/{output_hash.hex()}", params={"consumer": ME})
    assert mine.status_code == 200 and OUTPUT not in mine.content
    assert open_output(mine.content, CONSUMER, output_hash) == OUTPUT
    latest = httpx.get(f"{url}/outputs/{output_hash.hex()}")  # no consumer named: the latest copy
    assert open_output(latest.content, OTHER, output_hash) == OUTPUT
    for path in (f"/outputs/{'00' * 32}", f"/outputs/{output_hash.hex()}?consumer=nobody", "/outputs/zz", "/"):
        assert httpx.get(url + path).status_code == 404, path
    assert httpx.post(f"{url}/outputs/{output_hash.hex()}").status_code == 501


def test_fetch_output_opens_and_checks_what_the_provider_serves(served) -> None:
    store, url = served
    output_hash = store.keep(OUTPUT, ME, pub(CONSUMER))
    fetched = fetch_output(FakeNode(output_hash, ["tcp://nowhere", url]), CONSUMER, 7)  # the first fails, the second serves
    assert (fetched.data, fetched.provider, fetched.output_hash) == (OUTPUT, "p1", output_hash)
    with pytest.raises(OutputUnavailableError, match="HTTP 404"):
        fetch_output(FakeNode(compute_output_hash(b"other"), [url]), CONSUMER, 7)
    with pytest.raises(OutputUnavailableError, match="sealed to that key"):
        fetch_output(FakeNode(output_hash, [url], consumer="someone"), CONSUMER, 7)


def test_a_tampered_output_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    output_hash = compute_output_hash(OUTPUT)
    with OutputServer(LyingStore(8, 1 << 20), "127.0.0.1", 0) as liar:
        node = FakeNode(output_hash, [liar.url])
        with pytest.raises(OutputTamperedError, match="not to the receipt's"):
            fetch_output(node, CONSUMER, 7)
        with pytest.raises(OutputTamperedError):
            deliver_output(FakeWallet(node), 7, tmp_path / "out")
        assert list(tmp_path.iterdir()) == []


def test_deliver_output_writes_exactly_the_output(served, tmp_path: Path) -> None:
    store, url = served
    report = deliver_output(FakeWallet(FakeNode(store.keep(OUTPUT, ME, pub(CONSUMER)), [url])), 7, tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == OUTPUT and report["output_bytes"] == 3


def test_the_pub_key_must_belong_to_the_address() -> None:
    node = FakeNode(b"", [])
    assert get_pub_key(node, ME) == pub(CONSUMER)
    node.pub_keys[ME] = pub(OTHER)  # a node naming someone else's key
    with pytest.raises(PubKeyUnknownError):
        get_pub_key(node, ME)
    with pytest.raises(PubKeyUnknownError, match="first tx"):
        get_pub_key(node, format_address(get_address(OTHER)))
