"""The versioned state tree against a dict model: values, past versions, roots and proofs."""
from __future__ import annotations

import dataclasses
import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from state import codec, smt
from state.kv import LevelKV, MemoryKV
from state.store import CommitStore, VersionError

keys = st.binary(max_size=4)
values = st.binary(max_size=8)
changes = st.dictionaries(keys, st.none() | values, max_size=12)


def root_of(items: dict[bytes, bytes]) -> bytes:
    """The root of `items` computed straight from the spec, independently of CommitStore."""

    def subtree(leaves: list[tuple[int, bytes, bytes]], depth: int) -> bytes:
        if not leaves:
            return smt.EMPTY_ROOT
        if len(leaves) == 1:
            _, key_hash, value = leaves[0]
            return sha256(b"\x00" + key_hash + sha256(value))
        left = [leaf for leaf in leaves if not leaf[0] >> (255 - depth) & 1]
        right = [leaf for leaf in leaves if leaf[0] >> (255 - depth) & 1]
        return sha256(b"\x01" + subtree(left, depth + 1) + subtree(right, depth + 1))

    hashed = [(int.from_bytes(sha256(k), "big"), sha256(k), v) for k, v in items.items()]
    return subtree(hashed, 0)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_empty_store() -> None:
    store = CommitStore(MemoryKV())
    assert store.version == 0 and store.root() == smt.EMPTY_ROOT == store.root(0)
    assert store.get(b"k") is None and store.get_at(b"k", 0) is None
    assert smt.verify_proof(smt.EMPTY_ROOT, b"k", None, store.prove(b"k"))
    assert store.commit(1, {}) == smt.EMPTY_ROOT


def test_single_leaf_root_is_the_leaf_hash() -> None:
    expected = sha256(b"\x00" + sha256(b"k") + sha256(b"v"))
    assert CommitStore(MemoryKV()).commit(1, {b"k": b"v"}) == expected == smt.hash_leaf(sha256(b"k"), sha256(b"v"))


def test_versions_must_follow() -> None:
    store = CommitStore(MemoryKV())
    with pytest.raises(VersionError, match="next version is 1"):
        store.commit(2, {b"a": b"1"})
    store.commit(1, {b"a": b"1"})
    with pytest.raises(VersionError, match="next version is 2"):
        store.commit(5, {b"a": b"2"}, first=True)  # only an empty store starts above 1
    with pytest.raises(VersionError):
        store.root(2)
    with pytest.raises(VersionError):
        store.get_at(b"a", -1)


def test_an_empty_store_may_start_at_a_later_version() -> None:
    store = CommitStore(MemoryKV())
    root = store.commit(7, {b"a": b"1"}, first=True)
    assert store.head() == (7, root) and store.get_at(b"a", 7) == b"1"
    store.commit(8, {b"a": b"2"})
    with pytest.raises(VersionError):
        store.root(6)


def test_bad_types_are_rejected_and_change_nothing() -> None:
    store = CommitStore(MemoryKV())
    with pytest.raises(TypeError):
        store.commit(1, {b"a": "text"})  # type: ignore[dict-item]
    assert store.version == 0 and store.get(b"a") is None


def test_meta_is_saved_with_the_commit() -> None:
    store = CommitStore(MemoryKV())
    store.commit(1, {b"a": b"1"}, meta={b"height": b"\x01"})
    assert store.get_meta(b"height") == b"\x01" and store.get_meta(b"other") is None


@settings(max_examples=40, deadline=None)
@given(items=st.dictionaries(keys, values, max_size=40), seed=st.integers(0, 2**32), data=st.data())
def test_root_depends_only_on_the_final_set(items, seed, data) -> None:
    shuffled = list(items.items())
    random.Random(seed).shuffle(shuffled)
    # Reach the same set through extra keys, overwrites and deletes spread over several versions.
    store = CommitStore(MemoryKV())
    extra = data.draw(st.dictionaries(keys.filter(lambda k: k not in items), values, max_size=10))
    store.commit(1, {**extra, **{k: b"old" + v for k, v in shuffled[::2]}})
    store.commit(2, dict(shuffled[: len(shuffled) // 2]))
    store.commit(3, {**dict.fromkeys(extra), **dict(shuffled[len(shuffled) // 2 :])})
    store.commit(4, dict(shuffled))
    assert store.root() == root_of(items) == CommitStore(MemoryKV()).commit(1, dict(shuffled))


class StoreMachine(RuleBasedStateMachine):
    """Random versions of changes; every version stays readable and provable."""

    @initialize()
    def start(self) -> None:
        self.kv = MemoryKV()
        self.store = CommitStore(self.kv, cache_levels=2)  # most nodes come from the KV
        self.history: list[dict[bytes, bytes]] = [{}]

    @rule(batch=changes)
    def commit(self, batch: dict[bytes, bytes | None]) -> None:
        model = dict(self.history[-1])
        for key, value in batch.items():
            if value is None:
                model.pop(key, None)
            else:
                model[key] = value
        root = self.store.commit(self.store.version + 1, batch)
        self.history.append(model)
        assert root == self.store.root() == root_of(model)

    @rule()
    def reopen(self) -> None:
        root = self.store.root()
        self.store = CommitStore(self.kv)
        assert self.store.version == len(self.history) - 1 and self.store.root() == root

    @precondition(lambda self: len(self.history) > 1)
    @rule(data=st.data())
    def past_version_reads_and_proofs(self, data) -> None:
        version = data.draw(st.integers(0, len(self.history) - 1))
        model = self.history[version]
        root = self.store.root(version)
        for key in list(model)[:6] + [data.draw(keys)]:
            value = model.get(key)
            assert self.store.get_at(key, version) == value
            proof = self.store.prove(key, version)
            assert smt.verify_proof(root, key, value, proof)
            assert not smt.verify_proof(root, key, b"\x00" if value is None else None, proof)

    @invariant()
    def latest_matches_model(self) -> None:
        model = self.history[-1]
        assert list(self.store.iterate()) == sorted(model.items())
        for key, value in list(model.items())[:6]:
            assert self.store.get(key) == value


    @invariant()
    def cache_holds_only_upper_nodes_of_the_latest_tree(self) -> None:
        tree = self.store._tree
        upper, level = set(), [self.store.root()]
        for _ in range(tree._cache_levels):
            internal = {node: raw for node in level if node != smt.EMPTY_ROOT and (raw := tree._load(node))[0] == smt.INTERNAL}
            upper.update(internal)
            level = [child for raw in internal.values() for child in (raw[1:33], raw[33:65])]
        assert set(tree._cache) <= upper


StoreMachine.TestCase.settings = settings(max_examples=80, stateful_step_count=15, deadline=None)
TestStore = StoreMachine.TestCase


def test_iterate_prefix_is_sorted_and_bounded() -> None:
    store = CommitStore(MemoryKV())
    store.commit(1, {b"a/2": b"x", b"a/1": b"y", b"b/1": b"z", b"a": b"w"})
    assert list(store.iterate(b"a/")) == [(b"a/1", b"y"), (b"a/2", b"x")]


def populated_store() -> CommitStore:
    store = CommitStore(MemoryKV())
    store.commit(1, {i.to_bytes(2, "big"): b"v%d" % i for i in range(300)})
    return store


def tampered(proof: smt.Proof) -> list[smt.Proof]:
    """Each single change an attacker could make to a proof."""
    flipped = [
        dataclasses.replace(proof, siblings=proof.siblings[:i] + (bytes([s[0] ^ 1]) + s[1:],) + proof.siblings[i + 1 :])
        for i, s in enumerate(proof.siblings)
    ]
    others = [
        dataclasses.replace(proof, siblings=proof.siblings[:-1]),
        dataclasses.replace(proof, siblings=proof.siblings + (smt.EMPTY_ROOT,)),
    ]
    if proof.leaf is not None:
        leaf = proof.leaf
        others += [
            dataclasses.replace(proof, leaf=None),
            dataclasses.replace(proof, leaf=smt.ProofLeaf(leaf.key_hash, bytes(32))),
            dataclasses.replace(proof, leaf=smt.ProofLeaf(bytes(32), leaf.value_hash)),
        ]
    return flipped + others


@pytest.mark.parametrize("key", [(7).to_bytes(2, "big"), b"absent", b"\x00\x07x"])
def test_tampered_proofs_fail(key: bytes) -> None:
    store = populated_store()
    root, value, proof = store.root(), store.get(key), store.prove(key)
    assert smt.verify_proof(root, key, value, proof)
    for bad in tampered(proof):
        assert not smt.verify_proof(root, key, value, bad)
    assert not smt.verify_proof(smt.hash_key(b"other root"), key, value, proof)
    assert not smt.verify_proof(root, key + b"?", value, proof)
    assert not smt.verify_proof(root, key, b"forged", proof)


def test_proof_round_trips_through_the_codec() -> None:
    store = populated_store()
    for key in [(1).to_bytes(2, "big"), b"absent"]:
        proof = store.prove(key)
        decoded = codec.decode(smt.Proof, codec.encode(proof))
        assert decoded == proof and smt.verify_proof(store.root(), key, store.get(key), decoded)


def test_malformed_proof_is_rejected_not_raised() -> None:
    store = populated_store()
    key = (3).to_bytes(2, "big")
    proof = store.prove(key)
    short = dataclasses.replace(proof, siblings=(b"\x01",) + proof.siblings[1:])
    assert not smt.verify_proof(store.root(), key, store.get(key), short)
    long = smt.Proof((smt.EMPTY_ROOT,) * 257, None)
    assert not smt.verify_proof(store.root(), key, None, long)


def test_reopened_level_store_keeps_roots_and_values(tmp_path) -> None:
    kv = LevelKV(tmp_path / "db")
    store = CommitStore(kv)
    roots = [store.root()]
    for version in range(1, 6):
        roots.append(store.commit(version, {b"k%d" % i: b"%d" % (i * version) for i in range(version * 20)}))
    store.commit(6, {b"k0": None, b"k1": None})
    roots.append(store.root())
    latest = list(store.iterate())
    kv.close()

    kv = LevelKV(tmp_path / "db")
    reopened = CommitStore(kv)
    assert reopened.version == 6
    assert [reopened.root(v) for v in range(7)] == roots
    assert list(reopened.iterate()) == latest
    assert reopened.get_at(b"k3", 2) == b"6" and reopened.get_at(b"k0", 6) is None
    assert reopened.commit(7, {b"k0": b"back"}) != roots[-1]
    kv.close()
