"""The answers' comparison: refusals, masks, estimates and MAEs per population."""

from __future__ import annotations

import numpy as np
import pytest

from bench.answers import Answers, Item, dice, table


def packed(rows: list[list[int]]) -> np.ndarray:
    return np.packbits(np.array(rows, bool))


def test_dice_of_packed_masks():
    a, b = packed([[1, 1, 0, 0]]), packed([[1, 0, 1, 0]])
    assert dice(a, a) == 1.0
    assert dice(a, b) == pytest.approx(0.5)
    assert dice(a, packed([[0, 0, 1, 1]])) == 0.0
    assert dice(packed([[0, 0]]), packed([[0, 0]])) == 1.0  # nothing in either: the same


def test_one_row_per_population_with_what_differs():
    todo: list[Item] = [
        ("a.png", 10.0, 36.0, "f", "P"),
        ("b.png", 12.0, 36.0, "m", "P"),
        ("c.png", 11.0, 36.0, "m", "P"),
        ("d.jpg", 13.0, 360.0, "f", "Q"),
    ]
    mask, other_mask = packed([[1, 1, 1, 1]]), packed([[1, 1, 1, 0]])
    this: Answers = (
        [{"hb": 10.5}, {"hb": 12.0}, {"refused": "glare"}, {"hb": 13.0}],
        {"0": mask, "1": mask, "3": mask},
    )
    other: Answers = (
        [{"hb": 10.0}, {"hb": 12.0}, {"hb": 11.0}, {"hb": 13.0}],
        {"0": mask, "1": other_mask, "2": mask, "3": mask},
    )
    head, rule, p, q = table(todo, this, other)
    assert head.startswith("| population |") and rule.count("---") == 8
    # P: 3 images, 2 screened by both, 1 refusal differing, Dice 6/7, 0.5 g/dL moved, MAE
    # 0.25 against 0 (lab 10 and 12), the mean's MAE 1.0
    assert p == "| P | 3 | 2 | 1 | 0.8571 | 0.500 | 0.250 / 0.000 | 1.000 |"
    assert q == "| Q | 1 | 1 | 0 | 1.0000 | 0.000 | 0.000 / 0.000 | 0.000 |"
