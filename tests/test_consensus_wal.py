"""WAL framing: round trip, torn tail repaired, corruption in the middle reported."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from consensus.types import BlockID, Vote, VoteMessage
from consensus.wal import WAL, EndHeightRecord, MessageRecord, TimeoutRecord, WALCorruptError


def records():
    vote = Vote(1, 5, 0, BlockID(b"\x07" * 32), 123, b"\x01" * 20, 0, b"\x02" * 64)
    return [TimeoutRecord(4, 0, 1), EndHeightRecord(4), MessageRecord(VoteMessage(vote), "peer-1"), TimeoutRecord(5, 1, 2)]


def write_all(path: Path) -> list[int]:
    wal = WAL(path)
    offsets = []
    for r in records():
        offsets.append(os.path.getsize(path))
        wal.write(r, sync=True)
    wal.close()
    return offsets


def test_round_trip_and_replay_after_end_height(tmp_path: Path) -> None:
    path = tmp_path / "wal"
    write_all(path)
    wal = WAL(path)
    assert wal.records == records() and wal.repaired_bytes == 0
    assert wal.replay_records() == records()[2:]
    wal.write(EndHeightRecord(5))
    wal.close()
    assert WAL(path).replay_records() == []


@pytest.mark.parametrize("cut", [1, 5, 9, 20])
def test_torn_last_record_is_cut_away(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "wal"
    write_all(path)
    size = os.path.getsize(path)
    os.truncate(path, size - cut)
    wal = WAL(path)
    assert wal.records == records()[:-1]
    assert wal.repaired_bytes > 0
    wal.write(TimeoutRecord(9, 9, 9), sync=True)
    wal.close()
    assert WAL(path).records == records()[:-1] + [TimeoutRecord(9, 9, 9)]


def test_garbled_last_record_counts_as_torn(tmp_path: Path) -> None:
    path = tmp_path / "wal"
    write_all(path)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    assert WAL(path).records == records()[:-1]


def test_corruption_in_the_middle_names_file_and_offset(tmp_path: Path) -> None:
    path = tmp_path / "wal"
    offsets = write_all(path)
    data = bytearray(path.read_bytes())
    data[offsets[2] + 12] ^= 0xFF  # inside the third record's payload
    path.write_bytes(bytes(data))
    with pytest.raises(WALCorruptError) as info:
        WAL(path)
    assert info.value.offset == offsets[2]
    assert str(path) in str(info.value) and f"offset {offsets[2]}" in str(info.value)


def test_absurd_length_in_the_middle_is_corruption(tmp_path: Path) -> None:
    path = tmp_path / "wal"
    offsets = write_all(path)
    data = bytearray(path.read_bytes())
    data[offsets[1]:offsets[1] + 4] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    with pytest.raises(WALCorruptError) as info:
        WAL(path)
    assert info.value.offset == offsets[1]


def test_an_end_height_marker_past_the_size_limit_starts_a_fresh_log(tmp_path: Path) -> None:
    path = tmp_path / "wal"
    wal = WAL(path, rotate_bytes=2_000)
    for height in range(1, 40):
        for record in records():
            wal.write(record)
        wal.write(EndHeightRecord(height), sync=True)
        wal.write(TimeoutRecord(height + 1, 0, 1))  # an input of the next, unfinished height
        assert path.stat().st_size < 4_000  # the limit plus at most one height's records
    wal.close()
    reopened = WAL(path)
    assert isinstance(reopened.records[0], EndHeightRecord)  # rotated at least once
    assert reopened.replay_records() == [TimeoutRecord(40, 0, 1)]
    assert not (tmp_path / "wal.new").exists()
