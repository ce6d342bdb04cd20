"""The `python -m bench` table: which rows carry a target."""

from __future__ import annotations

from bench.__main__ import PIPELINE_MS, pipeline_rows


def test_the_whole_pipeline_rows_carry_the_target() -> None:
    fast, slow = [PIPELINE_MS - 10] * 3, [PIPELINE_MS + 10] * 3
    rows = pipeline_rows(
        {
            "decode": fast,
            "whole pipeline (child)": fast,
            "whole pipeline (adult)": slow,
            "whole pipeline (child), tagged Display P3": slow,
        }
    )
    target = f"<= {PIPELINE_MS:.0f}"
    assert [row.split(" | ")[3:] for row in rows] == [
        ["", " |"],
        [target, "yes |"],
        [target, "no |"],
        ["", " |"],
    ]
