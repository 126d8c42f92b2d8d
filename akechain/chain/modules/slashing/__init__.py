"""Slashing: downtime (missed blocks in a window) and double-sign punishment, jail and unjail."""
