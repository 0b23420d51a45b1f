"""What verification has learned: reliabilities per seat and model, credibilities, calibration.

A reliability is kept per seat and model (`strict@local:SmolLM2-135M-Instruct.Q4_1`), so a
mixed panel learns how good each strategy is on each model. A seat on a model with no history
counts with what the seat learned on its other models, and with the one-coin default before it
has any history at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from consensusnet.consensus.calibration import CalibrationMap, fit_calibration
from consensusnet.consensus.labels import Confusion, accuracy_of, confusions_from_counts
from consensusnet.domain.events_verify import LABELS, Judgement
from consensusnet.evidence.credibility import CredibilityRecord, credibility_table
from consensusnet.verify.aggregate import DEFAULT_ACCURACY
from consensusnet.verify.ports import SOURCE_NAMES, LearningStore

KEY_LIMIT = 128  # the width of the store's key column
_SEAT = "@"


def reliability_key(agent: str, provider: str = "", model: str = "") -> str:
    """The key a member's reliability is learned under: its seat, and its model when known."""
    if not model:
        return agent
    key = f"{agent}{_SEAT}{provider}:{model}" if provider else f"{agent}{_SEAT}{model}"
    if len(key) <= KEY_LIMIT:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"{key[: KEY_LIMIT - 13]}~{digest}"


def judgement_key(judgement: Judgement) -> str:
    """The reliability key of the member who gave this judgement."""
    return reliability_key(judgement.agent, judgement.provider, judgement.model)


def seat_of(key: str) -> str:
    """The seat part of a reliability key (a key without a model is a seat)."""
    return key.split(_SEAT, 1)[0]


class Reliabilities:
    """Confusion matrices per seat-and-model key, each smoothed toward its seat's record."""

    def __init__(self, counts: Mapping[str, Sequence[Sequence[float]]]) -> None:
        size = (len(LABELS), len(LABELS))
        raw = {key: np.asarray(c, dtype=np.float64) for key, c in counts.items()}
        pooled: dict[str, Any] = {}
        for key, matrix in raw.items():
            pooled[seat_of(key)] = pooled.get(seat_of(key), np.zeros(size)) + matrix
        self.seats = confusions_from_counts(pooled, LABELS)
        # A model's prior is what its seat learned on the other models (never its own counts,
        # which would then count twice).
        others = {key: (pooled[seat_of(key)] - matrix).tolist() for key, matrix in raw.items()}
        priors = confusions_from_counts(others, LABELS)
        self.keys = confusions_from_counts(
            {key: matrix.tolist() for key, matrix in raw.items()}, LABELS, priors=priors
        )

    def confusion(self, key: str) -> Confusion | None:
        """The key's own record, else its seat's, else None (the default agent)."""
        found = self.keys.get(key)
        return found if found is not None else self.seats.get(seat_of(key))

    def accuracy(self, key: str) -> float:
        """How often a member under this key is right (the default before any feedback)."""
        matrix = self.confusion(key)
        return DEFAULT_ACCURACY if matrix is None else round(accuracy_of(matrix), 4)

    def panel(self, judgements: Iterable[Judgement]) -> dict[str, Confusion]:
        """Each member's confusion matrix, by agent (seats are unique within one panel)."""
        resolved: dict[str, Confusion] = {}
        for judgement in judgements:
            matrix = self.confusion(judgement_key(judgement))
            if matrix is not None:
                resolved[judgement.agent] = matrix
        return resolved


async def snapshot(store: LearningStore | None) -> dict[str, Any]:
    """Everything learned so far, as JSON (a workflow records it as a step)."""
    if store is None:
        return {"reliability": {}, "credibility": {}, "calibration": []}
    return {
        "reliability": await store.reliability_counts(),
        "credibility": {k: list(v) for k, v in (await store.credibility_counts()).items()},
        "calibration": [list(p) for p in await store.calibration_points()],
    }


class Learned:
    """Reliabilities, source credibilities and the calibration map from one snapshot."""

    def __init__(self, learned: Mapping[str, Any]) -> None:
        self.reliabilities = Reliabilities(learned.get("reliability", {}))
        records = {
            source: CredibilityRecord(source=source, confirmed=c, contradicted=x)
            for source, (c, x) in learned.get("credibility", {}).items()
        }
        self.credibility = credibility_table(sorted(set(SOURCE_NAMES) | set(records)), records)
        points = learned.get("calibration", [])
        self.calibration: CalibrationMap = fit_calibration(
            [p[0] for p in points], [bool(p[1]) for p in points]
        )

    @classmethod
    async def load(cls, store: LearningStore | None) -> Learned:
        """What the store holds now."""
        return cls(await snapshot(store))
