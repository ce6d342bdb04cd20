"""`train --refit`: the children's networks fitted again on all the data with the calibration
kept, only where metrics.json's cross-validation is the one the job would run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

from bot.cli.main import main
from bot.training.evaluate import prepare
from bot.training.jobs import Job, load_samples
from bot.training.refit import run_refit
from model import ensemble, exported
from tests.bot.argv import argv as cli_argv


@pytest.fixture
def weights(trained_weights: Path, tmp_path: Path) -> Path:
    """A copy of the synthetic weights (3 folds, 2 members, 3 epochs): a refit rewrites them."""
    return Path(shutil.copytree(trained_weights, tmp_path / "weights"))


def _estimates(weights: Path, data: Path) -> np.ndarray:
    model = ensemble.load(weights)
    arrays = prepare(load_samples((data,))[0], model.config.cnn)
    inputs = (jnp.asarray(a) for a in (arrays.x, arrays.colour, arrays.meta))
    return np.asarray(model(*inputs)[0])


def test_a_refit_is_trains_final_fit_and_keeps_the_calibration(
    weights: Path, synthetic_csv: Path, tmp_path: Path
) -> None:
    before, config = _estimates(weights, synthetic_csv), ensemble.load(weights).config
    written = (weights / "ensemble.msgpack").stat().st_mtime_ns
    job = Job((synthetic_csv,), tmp_path / "report", folds=3, epochs=3, members=2)
    refitted = run_refit(job, weights)
    assert (weights / "ensemble.msgpack").stat().st_mtime_ns > written  # made again
    assert (refitted.half_width, refitted.refer_margin) == (config.half_width, config.refer_margin)
    # the same images, seed and settings as train's final fit: the same networks
    np.testing.assert_allclose(_estimates(weights, synthetic_csv), before, atol=1e-4)
    assert exported.load(weights, "ensemble") is not None  # the program made from the new weights


def test_a_refit_refuses_figures_from_another_cross_validation(
    weights: Path, synthetic_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    metrics = json.loads((weights / "metrics.json").read_text())
    assert metrics["folds"] == 3
    argv = cli_argv("train", synthetic_csv, refit=True, out=weights, folds=5)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "folds 3 there, 5 here" in err and "Traceback" not in err


def test_a_refit_takes_the_settings_its_calibration_was_made_with(
    weights: Path, synthetic_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli_argv("train", synthetic_csv, refit=True, out=weights, epochs=3)) == 2
    assert "--refit cannot be combined" in capsys.readouterr().err
