"""Sub-problems from a decomposition: numbering, repeats, dependencies and waves."""

from __future__ import annotations

from typing import Any

from consensusnet.board.plan import FALLBACK_OPTION, to_sub_problems, waves
from consensusnet.board.schemas import DecompositionOut


def _part(title: str, depends: list[int], options: list[str] | None = None) -> dict[str, Any]:
    return {
        "title": title,
        "question": f"What about {title}?",
        "domains": ["finance", "finance"],
        "options": options or ["Yes", "No"],
        "depends_on": depends,
    }


def test_dependencies_point_backwards_and_waves_follow_them() -> None:
    out = DecompositionOut.model_validate(
        {
            "sub_problems": [
                _part("aaa", [2]),
                _part("bbb", []),
                _part("ccc", [1, 2, 9]),
                _part("ddd", [3]),
            ]
        }
    )
    subs = to_sub_problems(out)
    assert [s.depends_on for s in subs] == [[], [], [0, 1], [2]]
    assert waves(subs) == [[0, 1], [2], [3]]
    assert subs[0].domains == ["finance"]


def test_repeated_parts_are_debated_once() -> None:
    out = DecompositionOut.model_validate(
        {"sub_problems": [_part("aaa", []), _part("AAA", []), _part("bbb", [2])]}
    )
    subs = to_sub_problems(out)
    assert [s.title for s in subs] == ["aaa", "bbb"]
    assert subs[1].depends_on == [0]  # "depends on part 2" meant the repeat of part 1


def test_a_repeated_option_gets_an_alternative() -> None:
    out = DecompositionOut.model_validate({"sub_problems": [_part("aaa", [], ["Go", "Go "])]})
    assert to_sub_problems(out)[0].options == ["Go", FALLBACK_OPTION]
