"""Who each model serves, whom none does, and what the shipped models answer for each."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bot.pipeline import populations
from bot.pipeline.decode import ImageRejected, decode
from bot.pipeline.populations import ADULTS, CHILDREN
from bot.pipeline.result import Screening, advice_key, describe
from bot.pipeline.risk import Person, classify
from bot.pipeline.screening import Screener
from bot.texts import i18n
from model import WEIGHTS
from tests.conftest import require_data

REPO = Path(__file__).resolve().parents[3]
PHOTOS = REPO / ".." / "shared" / "data" / "eyes-defy" / "photos"
CUTOUT = REPO / "docs" / "samples" / "conjunctiva_cp-anemic_017.png"


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        (Person(6.0), CHILDREN),
        (Person(36.0, "f"), CHILDREN),
        (Person(59.9), CHILDREN),
        (Person(5.9), "young_infant"),
        (Person(60.0), "school_age"),
        (Person(61.0), "school_age"),
        (Person(179.0, "m"), "school_age"),
        (Person(180.0, "m"), ADULTS),
        (Person(900.0, "f"), ADULTS),
        (Person(300.0), "sex_unknown"),
        (Person(), "age_unknown"),
        (Person(300.0, "f", pregnant=True), "pregnant"),
        (Person(None, "f", pregnant=True, trimester=2), "pregnant"),
    ],
)
def test_cohort_of(person: Person, expected: object) -> None:
    assert populations.cohort_of(person) == expected


def test_served_ages_are_6_to_59_months_and_training_keeps_cp_anemics_60() -> None:
    # the README's "6-59 months": 59.9 is served, 60.0 is not (WHO's 5-11 years from 60)
    assert [populations.cohort_of(Person(m)) for m in (59.99, 60.0)] == [CHILDREN, "school_age"]
    # CP-AnemiC records whole years: its "60" rows trained the shipped children's model
    assert populations.cohort_of_sample(60.0, "f") is CHILDREN
    assert populations.cohort_of_sample(60.5, "f") is None
    assert populations.cohort_of_sample(5.9, None) is None
    assert populations.cohort_of_sample(360.0, "m") is ADULTS


@pytest.mark.parametrize("code", [*populations.NOT_COVERED, "adults_unavailable"])
@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_refusal_has_a_message(code: str, lang: str) -> None:
    assert i18n.t(lang, f"reject.not_covered_{code}") != i18n.t("en", "reject.corrupt")


def screening(hb: float, refer: bool, person: Person) -> Screening:
    interval = (hb - 2.0, hb + 2.0)
    return Screening(
        hb_g_dl=hb,
        interval=interval,
        coverage=0.9,
        risk=classify(hb, interval, person),
        refer=refer,
        attention_lower_half=None,
        warnings=(),
        source="photo",
        area_fraction=0.1,
        overlay_jpeg=b"",
        model_version="v",
        population="eyes-defy",
        cohort="adults",
    )


def test_advice_follows_the_referral_rule() -> None:
    woman = Person(300.0, "f")
    assert advice_key(screening(12.3, True, woman)) == "advice.refer"  # above 12.0, but referred
    # 13.5 +- 2.0 reaches below 12.0: not ruled out; 15.0 +- 2.0 lies wholly above it
    assert advice_key(screening(13.5, False, woman)) == "advice.uncertain"
    assert advice_key(screening(15.0, False, woman)) == "advice.none"
    # shown below the cut-off without the rule's referral (a margin below zero): a blood test
    assert advice_key(screening(11.5, False, woman)) == "advice.refer"
    assert advice_key(screening(11.5, True, woman)) == "advice.refer"  # mild
    assert advice_key(screening(9.0, True, woman)) == "advice.moderate"
    assert advice_key(screening(7.0, True, woman)) == "advice.severe"
    assert "cannot rule anaemia out" in i18n.t("en", "advice.none")


# --- the shipped models ----------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> Screener:
    for name in ("ensemble", "adult", "unet"):
        assert (WEIGHTS / f"{name}.msgpack").is_file(), f"{name} weights must ship"
    return Screener(WEIGHTS)


@pytest.fixture(scope="module")
def adult_photo() -> bytes:
    """A shared whole-eye phone photo of an adult (Eyes-defy, India)."""
    return (require_data(PHOTOS, "labels.csv") / "India_006.jpg").read_bytes()


@pytest.mark.parametrize("sex", ["f", "m"])
def test_same_photo_at_20_and_60_years_within_1_g_dl(
    shipped: Screener, adult_photo: bytes, sex: str
) -> None:
    hb = [shipped.screen(adult_photo, Person(12.0 * y, sex)).hb_g_dl for y in (20, 60)]  # type: ignore[arg-type]
    assert abs(hb[0] - hb[1]) <= 1.0


def test_adult_gets_the_adults_model_with_its_figures(
    shipped: Screener, adult_photo: bytes
) -> None:
    result = shipped.screen(adult_photo, Person(400.0, "f"))
    assert (result.cohort, result.population) == ("adults", "eyes-defy")
    share = result.attention_lower_half  # of the occlusion map, as the children's Grad-CAM
    assert share is not None and 0.0 <= share <= 1.0
    if shipped.adult.config.attention_threshold is None:  # type: ignore[union-attr]
        assert not result.warnings  # no relation out of fold: no warning for adults
    low, high = result.interval
    assert low < result.hb_g_dl < high and 3.0 < result.hb_g_dl < 20.0
    margin = shipped.adult.config.refer_margin  # type: ignore[union-attr]
    assert np.isfinite(margin) and margin >= 0.0
    if result.risk.category != "none":
        assert result.refer  # anaemic by the estimate is always referred
    assert describe(result)["population"] == "eyes-defy"
    overlay = np.array(Image.open(io.BytesIO(result.overlay_jpeg)))
    assert overlay.ndim == 3  # the measured region, drawn on the person's own crop


def test_child_gets_the_childrens_model(shipped: Screener) -> None:
    result = shipped.screen(CUTOUT.read_bytes(), Person(30.0, "m"))
    assert (result.cohort, result.population) == ("children", "cp-anemic")
    assert result.attention_lower_half is not None


@pytest.mark.parametrize(
    ("person", "code"),
    [
        (Person(300.0, "f", pregnant=True, trimester=2), "not_covered_pregnant"),
        (Person(96.0, "m"), "not_covered_school_age"),
        (Person(3.0), "not_covered_young_infant"),
        (Person(300.0), "not_covered_sex_unknown"),
        (Person(), "not_covered_age_unknown"),
    ],
)
def test_no_number_for_whom_no_model_is_validated(
    shipped: Screener, adult_photo: bytes, person: Person, code: str
) -> None:
    with pytest.raises(ImageRejected) as info:
        shipped.screen_with_mask(decode(adult_photo), person)
    assert info.value.code == code
    assert i18n.has(f"reject.{code}")


def test_no_adults_model_means_no_number_for_adults(tmp_path: Path, adult_photo: bytes) -> None:
    for name in ("ensemble", "unet"):
        for ext in ("json", "msgpack"):
            (tmp_path / f"{name}.{ext}").write_bytes((WEIGHTS / f"{name}.{ext}").read_bytes())
    screener = Screener(tmp_path)
    assert not screener.covers(Person(400.0, "f")) and screener.covers(Person(30.0))
    with pytest.raises(ImageRejected) as info:
        screener.screen(adult_photo, Person(400.0, "f"))
    assert info.value.code == "not_covered_adults_unavailable"
