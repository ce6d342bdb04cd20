"""bench.memory's table and verdict: the worst input the decoder accepts, beside the ordinary
photo's peak; inputs the decoder refused do not count, those a gate refused after do."""

from __future__ import annotations

from bench import memory


def row(name: str, outcome: str, peak: float) -> dict[str, object]:
    return {
        "input": name,
        "kb": 10,
        "size": [4000, 3000],
        "mode": "RGB",
        "outcome": outcome,
        "cost_mb": 1.0,
        "peak_mb": peak,
        "s": 0.25,
    }


def test_the_worst_accepted_input_is_measured_from_the_ordinary_photo() -> None:
    rows = [
        row("ordinary", "screened", 500.0),
        row("png", "screened", 700.0),
        row("tiff", "refused: colour_lost", 760.0),
        row("huge", "refused: too_many_pixels", 900.0),
    ]
    assert memory.worst_above(rows) == 260.0
    assert "+260 MB" in memory.verdict(rows) and ": met" in memory.verdict(rows)
    assert memory.worst_above([*rows, row("worse", "screened", 900.0)]) == 400.0
    assert "NOT met" in memory.verdict([*rows, row("worse", "screened", 900.0)])
    lines = memory.table(rows)
    assert lines[2] == "| ordinary | 10 | 4000x3000 RGB | screened | 0.25 | 500 |  |"
    assert lines[3].endswith("| 700 | +200 |")
