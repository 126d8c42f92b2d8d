"""Accounts and nonces; the stateful tx checks that use them are in `akechain.chain.ante`."""
