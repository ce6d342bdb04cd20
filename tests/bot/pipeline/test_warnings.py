"""The low-attention warning fires only where the model's training grounded it."""

from __future__ import annotations

from bot.pipeline.result import Estimate, warning_codes


def _estimate(share: float | None, threshold: float | None) -> Estimate:
    return Estimate(11.0, 2.0, 0.9, 0.5, share, b"", "v", "p", threshold)


def test_below_a_grounded_threshold_the_warning_fires() -> None:
    assert warning_codes(_estimate(0.30, 0.44)) == ("low_attention",)
    assert warning_codes(_estimate(0.50, 0.44)) == ()


def test_no_threshold_or_no_map_no_warning() -> None:
    assert warning_codes(_estimate(0.05, None)) == ()  # the relation did not hold
    assert warning_codes(_estimate(None, 0.44)) == ()
