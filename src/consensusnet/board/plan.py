"""Turn a decomposer's answer into sub-problems and the waves in which they can run."""

from __future__ import annotations

from consensusnet.board.schemas import DecompositionOut, SubProblemOut
from consensusnet.domain.events_board import SubProblem

# Used only when the decomposer repeats one option: any action has "not now" as its alternative.
FALLBACK_OPTION = "Do not proceed"


def _key(part: SubProblemOut) -> str:
    return " ".join(f"{part.title} {part.question}".lower().split())


def _distinct(items: list[str]) -> list[str]:
    return list(dict.fromkeys(item.strip() for item in items if item.strip()))


def to_sub_problems(out: DecompositionOut) -> list[SubProblem]:
    """Number the parts from 0, drop repeated parts, keep only dependencies on earlier parts."""
    subs: list[SubProblem] = []
    index_of_key: dict[str, int] = {}
    new_index: dict[int, int] = {}  # the decomposer's 1-based numbers -> our indexes
    for number, part in enumerate(out.sub_problems, start=1):
        key = _key(part)
        if key in index_of_key:  # small models repeat a part verbatim: debate it once
            new_index[number] = index_of_key[key]
            continue
        index = len(subs)
        index_of_key[key], new_index[number] = index, index
        depends = sorted({new_index[d] for d in part.depends_on if d in new_index} - {index})
        options = _distinct(part.options)
        if len(options) < 2:
            options = [*options, FALLBACK_OPTION]
        subs.append(
            SubProblem(
                index=index,
                title=part.title.strip(),
                question=part.question.strip(),
                domains=_distinct(part.domains),
                options=options,
                depends_on=depends,
            )
        )
    return subs


def waves(subs: list[SubProblem]) -> list[list[int]]:
    """Levels of the dependency graph: every part runs in the wave after its dependencies."""
    level: dict[int, int] = {}
    for sub in subs:  # dependencies always point to earlier parts
        level[sub.index] = 1 + max((level[d] for d in sub.depends_on), default=-1)
    result: list[list[int]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for index, depth in level.items():
        result[depth].append(index)
    return result
