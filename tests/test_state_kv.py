"""LevelKV and MemoryKV behave the same: ordering, prefix/start/reverse, atomic batches, snapshots."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from state.kv import KV, KVClosedError, KVError, LevelKV, MemoryKV, prefix_end

small_bytes = st.binary(max_size=3).map(lambda b: b.replace(b"\x01", b"\xff"))


@pytest.fixture(params=["level", "memory"])
def kv(request: pytest.FixtureRequest, tmp_path) -> Iterator[KV]:
    store: KV = LevelKV(tmp_path / "db") if request.param == "level" else MemoryKV()
    yield store
    store.close()


def model_iterate(data: dict[bytes, bytes], prefix: bytes, start: bytes | None, reverse: bool) -> list:
    keys = sorted(k for k in data if k.startswith(prefix))
    if start is not None:
        keys = [k for k in keys if (k <= start if reverse else k >= start)]
    return [(k, data[k]) for k in (reversed(keys) if reverse else keys)]


def test_get_write_delete(kv: KV) -> None:
    assert kv.get(b"a") is None
    kv.write({b"a": b"1", b"b": b""})
    assert kv.get(b"a") == b"1" and kv.get(b"b") == b""
    kv.write({b"c": b"3"}, deletes=[b"a", b"missing"], sync=False)
    assert kv.get(b"a") is None and kv.get(b"c") == b"3"


def test_deletes_apply_before_puts(kv: KV) -> None:
    kv.write({b"k": b"new"}, deletes=[b"k"])
    assert kv.get(b"k") == b"new"


def test_failed_batch_writes_nothing(kv: KV) -> None:
    kv.write({b"keep": b"1"})
    with pytest.raises(TypeError):
        kv.write({b"x": b"1", b"y": "not bytes"}, deletes=[b"keep"])  # type: ignore[dict-item]
    assert kv.get(b"x") is None and kv.get(b"keep") == b"1"


def test_iterator_is_a_snapshot(kv: KV) -> None:
    kv.write({b"a": b"1", b"c": b"3"})
    it = kv.iterate()
    kv.write({b"b": b"2", b"c": b"changed"}, deletes=[b"a"])
    assert list(it) == [(b"a", b"1"), (b"c", b"3")]


def test_closed_store_raises(kv: KV) -> None:
    kv.close()
    with pytest.raises(KVClosedError):
        kv.get(b"a")
    with pytest.raises(KVClosedError):
        kv.write({b"a": b"1"})
    with pytest.raises(KVClosedError):
        kv.iterate()


def test_level_reopen_keeps_data_and_lock_is_reported(tmp_path) -> None:
    db = LevelKV(tmp_path / "db")
    db.write({b"k": b"v"})
    with pytest.raises(KVError, match="cannot open"):
        LevelKV(tmp_path / "db")
    db.close()
    again = LevelKV(tmp_path / "db")
    assert again.get(b"k") == b"v"
    again.close()


def test_prefix_end() -> None:
    assert prefix_end(b"") is None
    assert prefix_end(b"\xff\xff") is None
    assert prefix_end(b"a\xff") == b"b"
    assert prefix_end(b"ab") == b"ac"


@settings(max_examples=300, deadline=None)
@given(
    data=st.dictionaries(small_bytes, st.binary(max_size=2), max_size=25),
    queries=st.lists(st.tuples(small_bytes, st.none() | small_bytes, st.booleans()), max_size=12),
)
def test_iteration_matches_model(tmp_path_factory, data, queries) -> None:
    level = LevelKV(tmp_path_factory.mktemp("db"))
    memory = MemoryKV()
    try:
        for kv in (level, memory):
            kv.write(data)
        for prefix, start, reverse in queries:
            expected = model_iterate(data, prefix, start, reverse)
            assert list(level.iterate(prefix, start, reverse)) == expected
            assert list(memory.iterate(prefix, start, reverse)) == expected
    finally:
        level.close()


def test_reverse_reaches_the_lowest_key(kv: KV) -> None:
    # plyvel 1.5 drops it when the DB's first key is the reverse iterator's start bound.
    kv.write({b"": b"e", b"\x00": b"z"})
    assert list(kv.iterate(b"\x00", reverse=True)) == [(b"\x00", b"z")]
    assert list(kv.iterate(reverse=True)) == [(b"\x00", b"z"), (b"", b"e")]
    assert list(kv.iterate(start=b"", reverse=True)) == [(b"", b"e")]
