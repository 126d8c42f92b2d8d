"""k-of-n multisig accounts: the address commits to the sorted key set and the threshold, and the
chain commits a 2-of-3 tx with two valid member signatures and refuses one with fewer."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from akechain.chain.crypto import KeyFormatError, format_address, get_address, get_pub_key, sign
from akechain.chain.genesis import build_genesis
from akechain.chain.modules.bank.msgs import MsgSend
from akechain.chain.multisig import (
    compute_account_address,
    decode_multisig_key,
    encode_multisig_key,
    encode_multisig_signature,
)
from akechain.chain.tx import InvalidSignatureError, Tx, TxBody, compute_sign_bytes, decode_tx, verify_signature
from state.codec import encode
from tests.test_app_support import AUTH_PARAMS, CHAIN_ID, DISTRIBUTION_PARAMS, make_app, make_keys, run_block

KEYS = make_keys(4)
MEMBERS = [get_pub_key(k) for k in KEYS[:3]]
MULTISIG = encode_multisig_key(2, MEMBERS)
MULTISIG_ADDRESS = compute_account_address(MULTISIG)
RECIPIENT = get_address(KEYS[3])


def make_multisig_app():  # type: ignore[no-untyped-def]
    balances = {**{get_address(k): 10**9 for k in KEYS}, MULTISIG_ADDRESS: 10**6}
    return make_app(build_genesis(CHAIN_ID, (), balances, AUTH_PARAMS, distribution_params=DISTRIBUTION_PARAMS)["app_state"])[0]


def multisig_tx(signers: list[int], nonce: int = 0, chain_id: str = CHAIN_ID, amount: int = 1000) -> bytes:
    body = TxBody(chain_id=chain_id, pub_key=MULTISIG, nonce=nonce, fee=10, memo="",
                  msgs=(MsgSend(to=RECIPIENT, amount=amount),))
    ordered = sorted(MEMBERS)
    sign_bytes = compute_sign_bytes(body)
    signatures = {ordered.index(get_pub_key(KEYS[i])): sign(KEYS[i], sign_bytes) for i in signers}
    return encode(Tx(body=body, signature=encode_multisig_signature(signatures)))


def test_the_address_depends_on_the_key_set_and_threshold_not_their_order() -> None:
    assert encode_multisig_key(2, list(reversed(MEMBERS))) == MULTISIG
    assert compute_account_address(encode_multisig_key(3, MEMBERS)) != MULTISIG_ADDRESS
    assert compute_account_address(encode_multisig_key(2, MEMBERS[:2] + [get_pub_key(KEYS[3])])) != MULTISIG_ADDRESS
    assert MULTISIG_ADDRESS not in {get_address(k) for k in KEYS}
    assert decode_multisig_key(MULTISIG).threshold == 2


@pytest.mark.parametrize("threshold, keys", [(0, MEMBERS), (4, MEMBERS), (1, MEMBERS[:1]), (2, [MEMBERS[0]] * 2)])
def test_malformed_key_sets_are_refused(threshold: int, keys: list[bytes]) -> None:
    with pytest.raises(KeyFormatError):
        encode_multisig_key(threshold, keys)


def test_a_2_of_3_tx_commits_with_two_signatures_and_fails_with_one() -> None:
    app = make_multisig_app()
    assert app.check_tx(multisig_tx([0])).code == InvalidSignatureError.code
    assert app.check_tx(multisig_tx([2, 1], chain_id="ake-other-1")).code != 0
    result, _ = run_block(app, [multisig_tx([2, 1])])
    assert result.tx_results[0].code == 0, result.tx_results[0].log
    assert app.get_account(RECIPIENT).balance == 10**9 + 1000
    assert app.get_account(MULTISIG_ADDRESS).pub_key == MULTISIG
    result, _ = run_block(app, [multisig_tx([1], nonce=1)])
    assert result.tx_results[0].code == InvalidSignatureError.code
    assert app.get_account(MULTISIG_ADDRESS).nonce == 1


def test_a_signature_of_a_non_member_or_a_repeated_member_does_not_count() -> None:
    body = decode_tx(multisig_tx([0, 1]), 4096).body
    sign_bytes = compute_sign_bytes(body)
    outsider = encode_multisig_signature({0: sign(KEYS[3], sign_bytes), 1: sign(KEYS[3], sign_bytes)})
    with pytest.raises(InvalidSignatureError):
        verify_signature(Tx(body=body, signature=outsider))
    ordered = sorted(MEMBERS)
    one = ordered.index(get_pub_key(KEYS[0]))
    repeated = bytes([one]) + sign(KEYS[0], sign_bytes)
    with pytest.raises(InvalidSignatureError):
        verify_signature(Tx(body=body, signature=repeated + repeated))


def test_a_multisig_account_survives_genesis_export_and_import() -> None:
    app = make_multisig_app()
    run_block(app, [multisig_tx([0, 2])])
    exported = app.export_app_state()
    assert {"address": format_address(MULTISIG_ADDRESS), "nonce": 1, "pub_key": MULTISIG.hex()} in exported["auth"]["accounts"]
    reimported, _ = make_app(exported)
    run_block(reimported, [])  # queries read committed state
    assert reimported.get_account(MULTISIG_ADDRESS).pub_key == MULTISIG


@given(st.binary(max_size=600))
def test_garbage_keys_and_signatures_are_refused_not_raised(junk: bytes) -> None:
    body = TxBody(chain_id=CHAIN_ID, pub_key=MULTISIG, nonce=0, fee=10, memo="", msgs=(MsgSend(to=RECIPIENT, amount=1),))
    with pytest.raises(InvalidSignatureError):
        verify_signature(Tx(body=body, signature=junk))
