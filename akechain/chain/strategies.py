"""Building blocks the modules' strategies share (imported only by `modules/*/strategies.py`):
strategies that are *empty* when the chain offers nothing to act on, so the kit drafts another
message instead of a draw that hypothesis rejects."""
from __future__ import annotations

from typing import Callable, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")


def st_among(items: list) -> st.SearchStrategy:
    """One of `items`; none: nothing to draw (the kit then drafts another message)."""
    return st.sampled_from(items) if items else st.nothing()


def st_build(make: Callable[..., T], *args: st.SearchStrategy) -> st.SearchStrategy[T]:
    """`st.builds` that is empty when one of its arguments is (nothing to act on)."""
    return st.tuples(*args).map(lambda values: make(*values))


def st_one_of(*options: st.SearchStrategy[T]) -> st.SearchStrategy[T]:
    """`st.one_of` over the options that can draw something (empty if none can): an empty branch
    picked by `one_of` would reject the draw."""
    return st.one_of(*[option for option in options if not option.is_empty])
