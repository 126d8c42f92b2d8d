"""Talking to a node: the HTTP client, the encrypted keystore, signing wallets, market helpers."""
