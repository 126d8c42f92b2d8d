"""Balances, total supply and burned total; send and multi-send; fee collection (burn + treasury)."""
