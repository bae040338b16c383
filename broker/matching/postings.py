"""Posting lists held as CSR arrays: integers grouped by a key, gathered in bulk.

Blocking keys and trigrams both map a key to a sorted list of ids. Held as one
array of values plus offsets (compressed sparse rows), the lists of many keys
are fetched with a couple of numpy calls instead of a Python loop per key.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
EMPTY = np.zeros(0, dtype=np.int32)


def group(keys: I64, values: I32) -> tuple[I64, I64, I32]:
    """Group values by key: (distinct keys, offsets, values sorted by key then value)."""
    order = np.lexsort((values, keys))
    keys, values = keys[order], values[order]
    distinct, starts = np.unique(keys, return_index=True)
    offsets = np.append(starts, len(keys)).astype(np.int64)
    return distinct, offsets, values.astype(np.int32)


def ranges(starts: I64, ends: I64) -> I32:
    """Concatenate arange(starts[i], ends[i]) for all i without a Python loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return EMPTY
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return (shift + np.arange(total)).astype(np.int32)


def gather(starts: I64, ends: I64, values: I32) -> I32:
    """values[starts[i]:ends[i]] for all i, concatenated."""
    return values[ranges(starts, ends)]


def distinct(values: I32) -> I32:
    """Sorted distinct values, like `np.unique`.

    `np.unique` hashes first: 15 us on the few hundred values of one search,
    where a sort costs 1.
    """
    ordered = values.copy()
    ordered.sort()
    if len(ordered) < 2:
        return ordered
    first = np.empty(len(ordered), dtype=np.bool_)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]
