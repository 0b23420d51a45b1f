"""Agreement within a panel: vote entropy and Fleiss' kappa."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence


def vote_entropy(labels: Sequence[str], n_categories: int | None = None) -> float:
    """Normalized Shannon entropy of the votes: 0 when unanimous, 1 when spread evenly."""
    if not labels:
        return 0.0
    counts = Counter(labels)
    categories = n_categories or len(counts)
    if categories <= 1:
        return 0.0
    total = len(labels)
    bits = -math.fsum((c / total) * math.log(c / total) for c in counts.values())
    return bits / math.log(categories)


def agreement_share(labels: Sequence[str]) -> float:
    """The share of votes that went to the most common label."""
    if not labels:
        return 0.0
    return max(Counter(labels).values()) / len(labels)


def fleiss_kappa(table: Sequence[Sequence[int]]) -> float:
    """Fleiss' kappa for `table[item][category]` = raters giving that category to that item.

    Every item needs the same number of raters (at least two). Perfect agreement is 1.0; when
    all raters agree on a single category everywhere, chance agreement is total too and kappa
    is defined here as 1.0.
    """
    if not table:
        raise ValueError("no items")
    raters = {sum(row) for row in table}
    if len(raters) != 1:
        raise ValueError("every item needs the same number of raters")
    n = raters.pop()
    if n < 2:
        raise ValueError("kappa needs at least two raters per item")
    items = len(table)
    per_item = [math.fsum(c * (c - 1) for c in row) / (n * (n - 1)) for row in table]
    observed = math.fsum(per_item) / items
    shares = [math.fsum(row[j] for row in table) / (items * n) for j in range(len(table[0]))]
    expected = math.fsum(p * p for p in shares)
    if expected >= 1.0:
        return 1.0
    return (observed - expected) / (1.0 - expected)


def kappa_table(panels: Sequence[Sequence[str]], categories: Sequence[str]) -> list[list[int]]:
    """Count table for `fleiss_kappa` from each item's list of labels."""
    return [[sum(label == c for label in panel) for c in categories] for panel in panels]
