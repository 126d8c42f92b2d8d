"""Governance: proposals carrying messages, deposits, votes with inherited and delegated power, the treasury's spends and grants."""
