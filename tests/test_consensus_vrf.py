"""The block seed: a proposer's VRF output is one value per key and height, whatever proof it sends,
while an ed25519 signature of the same message is whatever nonce the signer picks."""
from __future__ import annotations

import hashlib
import os
from dataclasses import replace

import pytest
from nacl import bindings as sodium
from nacl.signing import SigningKey, VerifyKey

from consensus import vrf
from consensus.chain import block_request, make_block, validate_block
from consensus.types import InvalidBlockError
from consensus.proposer import proposer_for_round
from consensus.remote_signer import ProveSeedRequest, SeedProof, answer
from test_consensus_support import CHAIN_ID, FAST, genesis_chain

SEED = bytes(range(32))
ALPHA = vrf.compute_seed_input(CHAIN_ID, 7)
L = 2**252 + 27742317777372353535851937790883648493


def prove_with_nonce(seed: bytes, alpha: bytes, k: bytes) -> bytes:
    """What a grinding prover would try: the same statement proved with a nonce of its choice."""
    x = vrf._reduce(vrf._clamp(hashlib.sha512(seed).digest()[:32]))
    public = sodium.crypto_scalarmult_ed25519_base_noclamp(x)
    h = vrf._hash_to_curve(public, alpha)
    gamma = sodium.crypto_scalarmult_ed25519_noclamp(x, h)
    c = vrf._challenge(public, h, gamma, sodium.crypto_scalarmult_ed25519_base_noclamp(k),
                       sodium.crypto_scalarmult_ed25519_noclamp(k, h))
    return gamma + c + sodium.crypto_core_ed25519_scalar_add(k, sodium.crypto_core_ed25519_scalar_mul(vrf._widen(c), x))


def sign_with_nonce(seed: bytes, message: bytes, r: int) -> bytes:
    """An ed25519 signature with a chosen nonce: valid, and different for every nonce."""
    a = int.from_bytes(vrf._clamp(hashlib.sha512(seed).digest()[:32]), "little")
    public = sodium.crypto_scalarmult_ed25519_base_noclamp(vrf._reduce(a.to_bytes(32, "little")))
    big_r = sodium.crypto_scalarmult_ed25519_base_noclamp((r % L).to_bytes(32, "little"))
    h = int.from_bytes(hashlib.sha512(big_r + public + message).digest(), "little")
    return big_r + ((r + h * a) % L).to_bytes(32, "little")


def test_an_ed25519_signature_seed_could_be_ground_but_a_vrf_output_cannot() -> None:
    key = SigningKey(SEED)
    public = bytes(key.verify_key)
    signatures = {sign_with_nonce(SEED, ALPHA, r) for r in (11, 12, 13)}
    for signature in signatures:
        VerifyKey(public).verify(ALPHA, signature)  # all valid: a signature seed has many values
    assert len({hashlib.sha256(s).digest() for s in signatures}) == 3
    proofs = {prove_with_nonce(SEED, ALPHA, vrf._reduce(os.urandom(32))) for _ in range(3)} | {vrf.prove(SEED, ALPHA)}
    assert len(proofs) == 4
    assert {vrf.verify(public, ALPHA, proof) for proof in proofs} == {vrf.proof_to_output(vrf.prove(SEED, ALPHA))}


def test_a_proof_for_another_key_input_or_a_tweaked_gamma_is_refused() -> None:
    public = bytes(SigningKey(SEED).verify_key)
    proof = vrf.prove(SEED, ALPHA)
    other = bytes(SigningKey(bytes(32)).verify_key)
    small_order = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")  # order 8
    tweaked = sodium.crypto_core_ed25519_add(proof[:32], small_order) + proof[32:]
    for pub_key, alpha, bad in ((other, ALPHA, proof), (public, vrf.compute_seed_input(CHAIN_ID, 8), proof),
                                (public, ALPHA, tweaked), (public, ALPHA, proof[:-1]), (public, ALPHA, b"")):
        with pytest.raises(vrf.InvalidVrfProofError):
            vrf.verify(pub_key, alpha, bad)


def test_a_block_must_carry_its_proposers_seed_proof_for_its_height() -> None:
    chain, pvs = genesis_chain([1, 1, 1, 1])
    proposer = next(pv for pv in pvs if pv.address == proposer_for_round(chain.validators, 0).address)
    other = next(pv for pv in pvs if pv is not proposer)
    block = make_block(chain, (), (), proposer.address, proposer.prove_seed(CHAIN_ID, chain.height))
    validate_block(chain, block, FAST.max_block_bytes)
    assert block_request(block).seed == vrf.proof_to_output(block.header.seed_proof)
    for proof in (other.prove_seed(CHAIN_ID, chain.height), proposer.prove_seed(CHAIN_ID, chain.height + 1),
                  proposer.prove_seed("other-chain", chain.height), b""):
        forged = replace(block, header=replace(block.header, seed_proof=proof))
        with pytest.raises(InvalidBlockError, match="seed proof"):
            validate_block(chain, forged, FAST.max_block_bytes)


def test_the_remote_signer_proves_the_seed_for_its_chain_only() -> None:
    _, pvs = genesis_chain([1])
    reply = answer(pvs[0], CHAIN_ID, ProveSeedRequest(CHAIN_ID, 3))
    assert isinstance(reply, SeedProof)
    assert vrf.verify(pvs[0].pub_key, vrf.compute_seed_input(CHAIN_ID, 3), reply.proof)
    assert not isinstance(answer(pvs[0], CHAIN_ID, ProveSeedRequest("other", 3)), SeedProof)
