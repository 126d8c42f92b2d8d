"""File signer: no double sign, identical requests get the stored signature, survives reopen."""
from __future__ import annotations

import json
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from consensus.privval import DoubleSignError, FilePV
from consensus.types import PRECOMMIT, PREVOTE, BlockID, Proposal, Vote, verify_signature

CHAIN = "c"
A, B = BlockID(b"\x01" * 32), BlockID(b"\x02" * 32)


def make(tmp_path: Path) -> FilePV:
    return FilePV.load_or_generate(tmp_path / "priv_validator_key.json", tmp_path / "priv_validator_state.json")


def prevote(pv: FilePV, block_id, height=5, round=0, ts=100, type=PREVOTE) -> Vote:
    return Vote(type, height, round, block_id, ts, pv.address, 0)


def test_sign_and_refuse_conflicts(tmp_path: Path) -> None:
    pv = make(tmp_path)
    signed = pv.sign_vote(CHAIN, prevote(pv, A))
    assert verify_signature(pv.pub_key, signed.sign_bytes(CHAIN), signed.signature)
    assert pv.sign_vote(CHAIN, prevote(pv, A)) == signed
    with pytest.raises(DoubleSignError):
        pv.sign_vote(CHAIN, prevote(pv, B))
    with pytest.raises(DoubleSignError):
        pv.sign_vote(CHAIN, prevote(pv, None))
    with pytest.raises(DoubleSignError):  # regression: lower height
        pv.sign_vote(CHAIN, prevote(pv, A, height=4))


def test_timestamp_only_difference_returns_stored_vote(tmp_path: Path) -> None:
    pv = make(tmp_path)
    signed = pv.sign_vote(CHAIN, prevote(pv, A, ts=100))
    again = pv.sign_vote(CHAIN, prevote(pv, A, ts=999))
    assert again == signed and again.timestamp_ms == 100


def test_steps_move_forward(tmp_path: Path) -> None:
    pv = make(tmp_path)
    proposal = pv.sign_proposal(CHAIN, Proposal(5, 0, -1, A, 100))
    pv.sign_vote(CHAIN, prevote(pv, A))
    pv.sign_vote(CHAIN, prevote(pv, A, type=PRECOMMIT))
    with pytest.raises(DoubleSignError):  # proposal step is before prevote
        pv.sign_proposal(CHAIN, replace(proposal, signature=b""))
    pv.sign_vote(CHAIN, prevote(pv, B, round=1))  # a new round may vote differently


def test_state_is_durable_before_signature_returns_and_survives_reopen(tmp_path: Path) -> None:
    pv = make(tmp_path)
    key_file = tmp_path / "priv_validator_key.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    signed = pv.sign_vote(CHAIN, prevote(pv, A, height=7, round=2))
    saved = json.loads((tmp_path / "priv_validator_state.json").read_text())
    assert (saved["height"], saved["round"], saved["step"]) == (7, 2, 2)
    assert bytes.fromhex(saved["signature"]) == signed.signature
    reopened = make(tmp_path)
    assert reopened.pub_key == pv.pub_key
    assert reopened.sign_vote(CHAIN, prevote(pv, A, height=7, round=2, ts=5)) == signed
    with pytest.raises(DoubleSignError):
        reopened.sign_vote(CHAIN, prevote(pv, B, height=7, round=2))
    with pytest.raises(DoubleSignError):
        reopened.sign_vote(CHAIN, prevote(pv, A, height=7, round=1))
