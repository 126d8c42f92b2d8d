"""Verification: spot-check draws from block randomness, k-of-n majority, challenges with bonds
judged by a referee drawn from the verifier set."""
