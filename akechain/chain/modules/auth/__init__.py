"""Accounts and nonces, and the stateful tx checks (nonce, fee) that run before any message."""
