"""Proof of stake: validators, delegations, unbonding and redelegation queues, and the active set
handed to consensus as validator updates (as the Cosmos SDK's x/staking)."""
