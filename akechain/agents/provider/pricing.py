"""Price policies of the provider agent: what to bid per block for a job, or None to skip it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

BPS = 10_000


class PricePolicy(Protocol):
    def price(self, max_price: int) -> int | None:
        """The bid per block for a job offering at most `max_price`, or None to skip it."""


@dataclass(frozen=True, slots=True)
class FixedPrice:
    per_block: int

    def price(self, max_price: int) -> int | None:
        return self.per_block if self.per_block <= max_price else None


@dataclass(frozen=True, slots=True)
class FractionOfMax:
    bps: int  # of the job's max price

    def price(self, max_price: int) -> int | None:
        return max(1, max_price * self.bps // BPS)


def parse_price_policy(text: str) -> PricePolicy:
    """`fixed:N` (uake per block, skip jobs paying less) or `fraction:BPS` (of the max price)."""
    kind, _, value = text.partition(":")
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"price policy {text!r}: expected fixed:N or fraction:BPS with a positive integer")
    if kind == "fixed":
        return FixedPrice(int(value))
    if kind == "fraction" and int(value) <= BPS:
        return FractionOfMax(int(value))
    raise ValueError(f"price policy {text!r}: expected fixed:N or fraction:BPS (1..{BPS})")
