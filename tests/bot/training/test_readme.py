"""The README's figures are what metrics.json renders, and the verdicts say where the photo
does not beat age, sex and site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.training import readme, yardstick
from model import WEIGHTS

README = WEIGHTS.parents[1] / "README.md"


def test_the_readme_shows_what_metrics_json_holds() -> None:
    metrics = json.loads((WEIGHTS / "metrics.json").read_text())
    assert readme.block(README) == readme.render(metrics)  # remade only by `train`


def _pop(mae: float, auroc: float, line_mae: float | None, line_auroc: float = 0.8) -> dict:
    m: dict = {"n": 50, "mae": mae, "auroc": auroc, "anaemic": 10}
    if line_mae is not None:
        m["baselines"] = {
            "demographics": {"mae": line_mae, "auroc": line_auroc, "inputs": "age and sex"},
            "mean": {"mae": 2.0, "auroc": 0.5},
        }
    return m


def test_rewrite_replaces_only_the_block(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(f"# Title\n\nbefore\n\n{readme.START}\nold\n{readme.END}\n\nafter\n")
    metrics = {"populations": {"prog": _pop(1.0, 0.9, 1.3)}}
    readme.rewrite(path, metrics)
    text = path.read_text()
    assert text.startswith("# Title\n\nbefore\n\n") and text.endswith("\n\nafter\n")
    assert readme.block(path) == readme.render(metrics) and "\nold\n" not in text
    assert "| prog | 50 | 1.00 | 1.30 | 2.00 |" in text


def test_a_readme_without_markers_is_refused(tmp_path: Path) -> None:
    (tmp_path / "R.md").write_text("no markers\n")
    with pytest.raises(ValueError, match="markers"):
        readme.rewrite(tmp_path / "R.md", {"populations": {}})


@pytest.mark.parametrize(
    ("pop", "words"),
    [
        (_pop(1.29, 0.65, 1.26, 0.60), "MAE is not lower than that of the demographics line"),
        (_pop(1.08, 0.90, 1.16, 0.86), "but not by a clear margin"),
        (_pop(0.94, 0.90, 1.08, 0.81), "clearly beats"),
        (_pop(1.45, 0.76, None), "no baselines"),
    ],
)
def test_each_verdict_in_words(pop: dict, words: str) -> None:
    assert words in yardstick.verdict("prog", pop)


def test_the_tables_show_model_and_baselines_side_by_side() -> None:
    metrics = {"populations": {"prog": _pop(1.0, 0.9, 1.3)}}
    assert "| prog | 50 | 1.00 | 1.30 | 2.00 | 0.90 | 0.80 | 0.50 |" in yardstick.baselines_table(
        metrics
    )
    costs = {"served": {"tests_per_case": 2.0, "net_benefit": 0.1}}
    metrics["populations"]["prog"]["referral"] = costs
    assert "| prog | 10 of 50 | 2.00 / - / - | 0.10 / - / - |" in yardstick.referral_table(metrics)
