// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @title AKE mirrored on an EVM chain, minted and governed by the AKE chain's own validators.
/// @notice In the manner of Gravity Bridge: the contract keeps only a checkpoint (a hash) of the
/// current validator set; every mint batch and every validator-set update carries secp256k1
/// signatures of validators holding more than 2/3 of that set's power. Nothing here has an owner.
contract AkeBridge is ERC20 {
    /// Binds every signature to one AKE chain (its chain id) and one deployment.
    bytes32 public immutable bridgeId;

    bytes32 public stateValsetCheckpoint;
    uint256 public stateValsetNonce;
    uint256 public stateLastBatchNonce;
    /// Nonce of the last event this contract emitted: the AKE chain's orchestrators claim them in
    /// order, so every event carries the next one and none is ever skipped.
    uint256 public stateLastEventNonce;

    struct ValsetArgs {
        address[] validators;
        uint256[] powers;
        uint256 valsetNonce;
    }

    /// One slot per validator of the set, in its order; v == 0 marks a validator that did not sign.
    struct Signature {
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    error MalformedValset();
    error MalformedBatch();
    error IncorrectCheckpoint();
    error InvalidSignature(uint256 index);
    error InsufficientPower(uint256 signed, uint256 total);
    error ValsetNonceNotNext(uint256 given, uint256 current);
    error StaleBatchNonce(uint256 given, uint256 last);
    error BatchTimedOut(uint256 timeout, uint256 blockNumber);
    error ZeroAmount();

    event ValsetUpdated(uint256 indexed valsetNonce, uint256 eventNonce, address[] validators, uint256[] powers);
    event BatchExecuted(uint256 indexed batchNonce, uint256 eventNonce, uint256 total);
    event SendToAke(address indexed sender, string akeRecipient, uint256 amount, uint256 eventNonce);

    constructor(bytes32 bridgeId_, address[] memory validators, uint256[] memory powers) ERC20("AKE", "AKE") {
        bridgeId = bridgeId_;
        ValsetArgs memory initial = ValsetArgs(validators, powers, 0);
        _checkValsetShape(initial);
        stateValsetCheckpoint = makeCheckpoint(initial);
        emit ValsetUpdated(0, 0, validators, powers);
    }

    /// Six decimals, as the chain's uake.
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// The hash the contract stores of a validator set, and that the next set's signers sign.
    function makeCheckpoint(ValsetArgs memory valset) public view returns (bytes32) {
        return keccak256(abi.encode(bridgeId, keccak256("checkpoint"), valset.valsetNonce, valset.validators, valset.powers));
    }

    /// The hash a mint batch's signers sign.
    function batchHash(uint256[] memory amounts, address[] memory destinations, uint256 batchNonce, uint256 batchTimeout)
        public
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(bridgeId, keccak256("transactionBatch"), amounts, destinations, batchNonce, batchTimeout));
    }

    /// Replace the validator set; signed by more than 2/3 of the current set's power. Sets follow
    /// each other without a gap, so every set the AKE chain made is the current one in turn.
    function updateValset(ValsetArgs calldata newValset, ValsetArgs calldata currentValset, Signature[] calldata sigs)
        external
    {
        if (newValset.valsetNonce != currentValset.valsetNonce + 1) {
            revert ValsetNonceNotNext(newValset.valsetNonce, currentValset.valsetNonce);
        }
        _checkValsetShape(newValset);
        _checkCurrentValset(currentValset, sigs);
        bytes32 newCheckpoint = makeCheckpoint(newValset);
        _checkSignatures(currentValset, sigs, newCheckpoint);

        stateValsetCheckpoint = newCheckpoint;
        stateValsetNonce = newValset.valsetNonce;
        emit ValsetUpdated(newValset.valsetNonce, ++stateLastEventNonce, newValset.validators, newValset.powers);
    }

    /// Mint a batch of transfers out of the AKE chain. A batch nonce is used at most once and only
    /// upwards, so a batch can never be replayed and an older one is dropped; past its timeout
    /// (an EVM block height) a batch is void.
    function submitBatch(
        ValsetArgs calldata currentValset,
        Signature[] calldata sigs,
        uint256[] calldata amounts,
        address[] calldata destinations,
        uint256 batchNonce,
        uint256 batchTimeout
    ) external {
        if (batchNonce <= stateLastBatchNonce) revert StaleBatchNonce(batchNonce, stateLastBatchNonce);
        if (block.number >= batchTimeout) revert BatchTimedOut(batchTimeout, block.number);
        if (amounts.length != destinations.length || amounts.length == 0) revert MalformedBatch();
        _checkCurrentValset(currentValset, sigs);
        _checkSignatures(currentValset, sigs, batchHash(amounts, destinations, batchNonce, batchTimeout));

        stateLastBatchNonce = batchNonce;
        uint256 total = 0;
        for (uint256 i = 0; i < amounts.length; i++) {
            _mint(destinations[i], amounts[i]);
            total += amounts[i];
        }
        emit BatchExecuted(batchNonce, ++stateLastEventNonce, total);
    }

    /// Burn `amount` here; the AKE chain's validators see the event and unlock as much to `akeRecipient`.
    function sendToAke(uint256 amount, string calldata akeRecipient) external {
        if (amount == 0) revert ZeroAmount();
        _burn(msg.sender, amount);
        emit SendToAke(msg.sender, akeRecipient, amount, ++stateLastEventNonce);
    }

    /// A set is non-empty, has one power per validator, and lists its addresses strictly ascending:
    /// so no key can appear twice and count its power twice.
    function _checkValsetShape(ValsetArgs memory valset) private pure {
        if (valset.validators.length == 0 || valset.validators.length != valset.powers.length) revert MalformedValset();
        for (uint256 i = 1; i < valset.validators.length; i++) {
            if (valset.validators[i - 1] >= valset.validators[i]) revert MalformedValset();
        }
    }

    function _checkCurrentValset(ValsetArgs calldata currentValset, Signature[] calldata sigs) private view {
        if (currentValset.validators.length != currentValset.powers.length || currentValset.validators.length != sigs.length) {
            revert MalformedValset();
        }
        if (makeCheckpoint(currentValset) != stateValsetCheckpoint) revert IncorrectCheckpoint();
    }

    /// Sum the power of the validators whose signature over `digest` (EIP-191 personal-sign form)
    /// is valid; more than 2/3 of the set's total power is required. A bad signature reverts, so a
    /// relayer cannot pad a batch with junk.
    function _checkSignatures(ValsetArgs calldata valset, Signature[] calldata sigs, bytes32 digest) private pure {
        bytes32 signed = MessageHashUtils.toEthSignedMessageHash(digest);
        uint256 total = 0;
        uint256 power = 0;
        for (uint256 i = 0; i < valset.validators.length; i++) {
            total += valset.powers[i];
            if (sigs[i].v == 0) continue;
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(signed, sigs[i].v, sigs[i].r, sigs[i].s);
            if (err != ECDSA.RecoverError.NoError || signer != valset.validators[i]) revert InvalidSignature(i);
            power += valset.powers[i];
        }
        if (power * 3 <= total * 2) revert InsufficientPower(power, total);
    }
}
