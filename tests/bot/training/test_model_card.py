"""The adults' card says how often the interval holds the Hb of the anaemic, site by site."""

from __future__ import annotations

from bot.training.model_card import anaemic_limit


def test_the_anaemic_coverage_of_each_site_is_told() -> None:
    site = {
        "coverage": 0.91,
        "coverage_anaemic": 0.7647,
        "coverage_anaemic_served": 0.8706,
        "anaemic": 17,
    }
    text = anaemic_limit({"populations": {"eyes-defy-italy": site, "cp-anemic": {"n": 408}}})
    assert "Italy 0.76 own / 0.87 served of 17 anaemic, against 0.91 own of everyone" in text
    assert "Cp" not in text  # children's figures are not the adults' card's


def test_no_bullet_without_the_figure() -> None:
    assert anaemic_limit({"populations": {"eyes-defy-india": {"coverage": 0.9}}}) == ""
