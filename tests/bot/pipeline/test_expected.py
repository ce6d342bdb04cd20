"""The pipeline gives the answers it gave before it was made faster (expected/make.py stored
them from the slower code): the same refusals, masks with Dice >= 0.99, estimates within
0.05 g/dL and Grad-CAM shares within 0.01, on real photos, cut-outs and spoilt photos. The
adults' rows were stored again, on the stored masks, when the adults' model gained its line on
age and sex (a new model, not a faster one), and when it gained its occlusion map (its share
on the lower half; the children's rows kept)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.pipeline.decode import ImageRejected, decode
from bot.pipeline.screening import Screener
from model import seg_train
from tests.bot.pipeline.expected import make
from tests.conftest import require_data

ROWS = json.loads((Path(make.__file__).parent / "screening.json").read_text())
MIN_DICE = 0.99
HB_TOLERANCE = 0.05  # g/dL
SHARE_TOLERANCE = 0.01


@pytest.fixture(scope="module")
def screener() -> Screener:
    require_data(make.PHOTOS, "labels.csv")
    require_data(make.CUTOUTS, "Anemia_Data_Collection_Sheet.csv")
    return Screener()


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_the_same_answer_as_before(screener: Screener, row: dict[str, object]) -> None:
    decoded = decode(make.read(str(row["file"])))
    if "refused" in row:
        with pytest.raises(ImageRejected) as info:
            screener.screen_with_mask(decoded, make.PEOPLE["child"])
        assert info.value.code == row["refused"]
        return
    result, mask = screener.screen_with_mask(decoded, make.PEOPLE["child"])
    shape = row["shape"]
    assert isinstance(shape, list)
    height, width = int(shape[0]), int(shape[1])
    assert result.source == row["source"]
    assert seg_train.dice(mask, make.unpack(str(row["mask"]), (height, width))) >= MIN_DICE
    for who, person in make.PEOPLE.items():
        want = row[who]
        assert isinstance(want, dict)
        got = screener.estimate(decoded.rgb, mask, person)
        assert got.hb == pytest.approx(want["hb"], abs=HB_TOLERANCE)
        assert got.half_width == pytest.approx(want["half_width"], abs=HB_TOLERANCE)
        if want["share"] is None:
            assert got.attention_lower_half is None
        else:
            assert got.attention_lower_half == pytest.approx(want["share"], abs=SHARE_TOLERANCE)
