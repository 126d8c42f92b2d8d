"""The block journal's ordered reads: committed keys merged with pending writes and deletions,
from any start key, exactly as a dict model says."""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from akechain.chain.store import Journal, take
from state.codec import encode
from state.kv import MemoryKV
from state.store import CommitStore


@dataclass(frozen=True, slots=True)
class Value:
    n: int


keys = st.binary(min_size=1, max_size=3)


@given(committed=st.dictionaries(keys, st.integers(0, 9)), writes=st.dictionaries(keys, st.none() | st.integers(0, 9)),
       prefix=st.binary(max_size=1), start=st.none() | st.binary(max_size=3))
def test_iterate_from_a_start_key_merges_committed_state_and_pending_writes(committed, writes, prefix, start) -> None:
    store = CommitStore(MemoryKV())
    store.commit(1, {key: encode(Value(n)) for key, n in committed.items()}, {})
    journal = Journal(store.get, lambda p, s: (key for key, _ in store.iterate(p, s)))
    model = dict(committed)
    for key, n in writes.items():
        if n is None:
            journal.delete(key)
            model.pop(key, None)
        else:
            journal.set(key, Value(n))
            model[key] = n
    expected = [(k, Value(v)) for k, v in sorted(model.items()) if k.startswith(prefix) and (start is None or k >= start)]
    assert list(journal.iterate(prefix, Value, start)) == expected
    stacked = Journal(journal.get_bytes, journal.get_keys)
    assert list(stacked.iterate(prefix, Value, start)) == expected
    assert take(journal.iterate(prefix, Value, start), 2) == expected[:2]
