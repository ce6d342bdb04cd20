"""bench.arithmetic: each shipped program's operations, time and rate beside the machine's."""

from __future__ import annotations

import pytest

from bench import arithmetic
from model import WEIGHTS, exported


def test_every_shipped_program_has_a_row_with_its_operations(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert arithmetic.main(["--repeats", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]
    by_name = {row[0]: row for row in cells}
    assert set(arithmetic.PROGRAMS) <= set(by_name)
    assert float(by_name["unet"][2]) > float(by_name["ensemble"][2]) > float(by_name["adult"][2])
    assert "float32 matrix product" in cells[-1][0] and float(cells[-1][4]) > 0


def test_the_unet_costs_what_its_layers_add_up_to() -> None:
    """XLA's count for one U-Net look against the multiply-adds of its convolutions."""
    model = exported.load(WEIGHTS, "unet")
    assert model is not None
    h, w = model.config.height, model.config.width
    chans = (16, 32, 64, 128)  # model/weights/unet.json
    macs = 0
    for level, c in enumerate(chans):  # encoder: two 3x3 convolutions a level
        pixels = h * w // 4**level
        macs += pixels * 9 * ((3 if level == 0 else chans[level - 1]) * c + c * c)
    for level, c in enumerate(chans[:-1]):  # decoder: merge (2c -> c) and c -> c
        macs += h * w // 4**level * 9 * (2 * c * c + c * c)
    assert arithmetic.flops(model) == pytest.approx(2 * macs, rel=0.05)
