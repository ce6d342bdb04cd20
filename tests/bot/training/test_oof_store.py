"""Stored out-of-fold estimates are reused only for the same images, folds and configuration."""

from pathlib import Path

import numpy as np
import pytest

from bot.training import oof_store
from bot.training.data import Sample
from bot.training.evaluate import MODELS, OutOfFold
from model import ensemble, train


def _samples(n: int) -> list[Sample]:
    img = np.zeros((4, 4, 3), np.uint8)
    return [
        Sample(f"k{i}", img, img[..., 0] > 0, 9.0 + i / 10, 24.0, "f", digest=str(i))
        for i in range(n)
    ]


def _store(tmp_path: Path, samples: list[Sample], folds: np.ndarray) -> Path:
    rng = np.random.default_rng(0)
    hb = np.array([s.hb for s in samples], np.float32)
    oof = OutOfFold(hb=hb, age_months=np.full(len(samples), 24.0), folds=folds)
    oof.preds = {m: rng.normal(10, 1, len(samples)) for m in MODELS}
    oof.attention = rng.random(len(samples))
    print_ = oof_store.fingerprint(ensemble.Config(), train.TrainConfig())
    path = tmp_path / "oof.npz"
    arrays = oof_store.children_arrays(samples, oof, np.zeros(len(samples)), print_)
    np.savez(path, **arrays)  # type: ignore[arg-type]  # numpy's stub reads **kwds as allow_pickle
    return path


def test_reused_estimates_are_the_stored_ones(tmp_path: Path) -> None:
    samples, folds = _samples(10), np.arange(10) % 5
    path = _store(tmp_path, samples, folds)
    with np.load(path) as z:
        expected = z["children_pred_ensemble"]
    oof = oof_store.load_children(path, samples, folds, ensemble.Config(), train.TrainConfig())
    np.testing.assert_array_equal(oof.preds["ensemble"], expected)
    assert oof.attention is not None and oof.attention.shape == (10,)


@pytest.mark.parametrize("change", ["folds", "images", "config"])
def test_reuse_is_refused_when_anything_differs(tmp_path: Path, change: str) -> None:
    samples, folds = _samples(10), np.arange(10) % 5
    path = _store(tmp_path, samples, folds)
    tc = train.TrainConfig(epochs=7) if change == "config" else train.TrainConfig()
    if change == "folds":
        folds = folds[::-1].copy()
    if change == "images":
        samples = samples[::-1]
    with pytest.raises(oof_store.StaleOutOfFold):
        oof_store.load_children(path, samples, folds, ensemble.Config(), tc)
