"""Calibration: how far stated confidence is from observed accuracy, and maps that fix it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float:
    """ECE: the sample-weighted gap between confidence and accuracy over equal-width bins."""
    if len(confidences) != len(correct):
        raise ValueError("confidences and correct differ in length")
    if not confidences:
        return 0.0
    conf = np.clip(np.asarray(confidences, dtype=np.float64), 0.0, 1.0)
    hits = np.asarray(correct, dtype=np.float64)
    slots = np.minimum((conf * bins).astype(int), bins - 1)
    gaps: list[float] = []
    for slot in range(bins):
        members = slots == slot
        if members.any():
            gaps.append(
                float(members.sum()) * abs(float(conf[members].mean() - hits[members].mean()))
            )
    return math.fsum(gaps) / len(conf)


def brier_score(confidences: Sequence[float], correct: Sequence[bool]) -> float:
    """Mean squared gap between the confidence in the chosen label and whether it was right."""
    if len(confidences) != len(correct):
        raise ValueError("confidences and correct differ in length")
    if not confidences:
        return 0.0
    return math.fsum((c - float(h)) ** 2 for c, h in zip(confidences, correct, strict=True)) / len(
        confidences
    )


def multiclass_brier(probabilities: Sequence[Sequence[float]], truths: Sequence[int]) -> float:
    """The multi-class Brier score: mean over items of the squared error of the whole vector."""
    if not probabilities:
        return 0.0
    matrix = np.asarray(probabilities, dtype=np.float64)
    onehot = np.zeros_like(matrix)
    onehot[np.arange(len(truths)), np.asarray(truths)] = 1.0
    return float(((matrix - onehot) ** 2).sum(axis=1).mean())


class CalibrationMap(BaseModel):
    """A monotone map from raw confidence to calibrated probability; JSON-serializable."""

    kind: Literal["identity", "isotonic", "platt"] = "identity"
    xs: list[float] = Field(default_factory=list)
    ys: list[float] = Field(default_factory=list)
    a: float = 1.0
    b: float = 0.0
    points: int = 0

    def __call__(self, raw: float) -> float:
        raw = min(max(raw, 0.0), 1.0)
        if self.kind == "isotonic" and self.xs:
            return float(np.interp(raw, self.xs, self.ys))
        if self.kind == "platt":
            z = min(max(self.a * raw + self.b, -30.0), 30.0)
            return 1.0 / (1.0 + math.exp(-z))
        return raw


def fit_isotonic(raw: Sequence[float], correct: Sequence[bool]) -> CalibrationMap:
    """Pool-adjacent-violators: the best non-decreasing step map in squared error."""
    order = sorted(range(len(raw)), key=lambda i: raw[i])
    blocks: list[list[float]] = []  # [sum_y, weight, x_min, x_max]
    for i in order:
        blocks.append([float(correct[i]), 1.0, raw[i], raw[i]])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            top = blocks.pop()
            blocks[-1] = [
                blocks[-1][0] + top[0],
                blocks[-1][1] + top[1],
                blocks[-1][2],
                top[3],
            ]
    xs: list[float] = []
    ys: list[float] = []
    for total, weight, low, high in blocks:
        for x in (low, high) if high > low else (low,):
            xs.append(x)
            ys.append(total / weight)
    return CalibrationMap(kind="isotonic", xs=xs, ys=ys, points=len(raw))


def fit_platt(
    raw: Sequence[float], correct: Sequence[bool], iterations: int = 50
) -> CalibrationMap:
    """Logistic regression of correctness on the raw confidence (damped Newton)."""
    x = np.asarray(raw, dtype=np.float64)
    y = np.asarray(correct, dtype=np.float64)
    a, b = 1.0, 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(a * x + b, -30.0, 30.0)))
        w = p * (1.0 - p) + 1e-9
        grad = np.array([np.dot(p - y, x), (p - y).sum()])
        hess = np.array([[np.dot(w * x, x), (w * x).sum()], [(w * x).sum(), w.sum()]])
        hess += np.eye(2) * 1e-6
        step = np.linalg.solve(hess, grad)
        step *= min(1.0, 5.0 / max(float(np.abs(step).max()), 1e-12))  # damped Newton
        a, b = a - float(step[0]), b - float(step[1])
        if float(np.abs(step).max()) < 1e-9:
            break
    return CalibrationMap(kind="platt", a=a, b=b, points=len(raw))


def fit_calibration(
    raw: Sequence[float], correct: Sequence[bool], *, min_points: int = 20
) -> CalibrationMap:
    """Isotonic when there are enough labeled points, else the identity (no data, no claim)."""
    if len(raw) < min_points or len(set(correct)) < 2:
        return CalibrationMap(points=len(raw))
    return fit_isotonic(raw, correct)
