"""The train-seg job's pieces: patient-grouped folds, patients from labels.csv, mixed batches."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bot.training import segjob, segtraining
from bot.training.data.seg_views import pyramid
from model import unet
from tests.model.seg_synthetic import TINY_UNET


def photo(group: str, seed: int = 0) -> segtraining.Photo:
    rng = np.random.default_rng(seed)
    mask = np.zeros((60, 80), bool)
    mask[30:40, 10:70] = True
    return segtraining.Photo(rng.integers(0, 255, (60, 80, 3), dtype=np.uint8), mask, group)


def test_a_patients_photos_share_a_fold_and_every_fold_has_some():
    real = [photo(f"p{i // 2}", i) for i in range(20)]  # 10 patients, 2 photos each
    folds = segtraining.real_folds(real, 5, seed=0)
    for i in range(0, 20, 2):
        assert folds[i] == folds[i + 1]
    assert sorted(set(folds.tolist())) == [0, 1, 2, 3, 4]
    assert (segtraining.real_folds(real, 5, seed=0) == folds).all()


@pytest.mark.parametrize("k", [1, 11])
def test_impossible_folds_are_refused(k: int):
    with pytest.raises(ValueError, match="folds"):
        segtraining.real_folds([photo(f"p{i}") for i in range(10)], k, seed=0)


def test_gather_reads_patients_from_labels_and_drops_empty_masks(tmp_path: Path):
    for i, drawn in enumerate((True, True, False)):
        Image.fromarray(np.full((40, 60, 3), 120, np.uint8)).save(tmp_path / f"x{i}.jpg")
        mask = np.zeros((40, 60), np.uint8)
        mask[20:30, 5:55] = 255 if drawn else 0
        Image.fromarray(mask).save(tmp_path / f"x{i}_mask.png")
    (tmp_path / "labels.csv").write_text(
        "image,hb,mask,age_months,sex,country,patient\n"
        "x0.jpg,12,x0_mask.png,300,f,India,India_001\nx1.jpg,11,x1_mask.png,300,f,India,India_001\n"
    )
    _, real = segtraining.gather([tmp_path])
    assert [p.group for p in real] == ["India_001", "India_001"]  # x2's mask is empty


def test_batches_mix_real_composites_and_negatives_reproducibly():
    real = [pyramid(p.image, p.mask) for p in (photo("a", 1), photo("b", 2))]
    pool = segtraining.Pools(
        composites=[pyramid(photo("c", 3).image, photo("c", 3).mask)],
        negatives=[pyramid(np.zeros((60, 80, 3), np.uint8), np.zeros((60, 80), bool))],
    )
    x, y = segtraining.batches(real, pool, TINY_UNET, seed=0)(0)
    assert x.shape == (sum(segjob.MIX), TINY_UNET.height, TINY_UNET.width, 3)
    assert y.shape == x.shape[:3] and set(np.unique(y)) <= {0.0, 1.0}
    assert not y[-segjob.MIX[2] :].any()  # negatives come last and hold no lining
    x2, _ = segtraining.batches(real, pool, TINY_UNET, seed=0)(0)
    np.testing.assert_array_equal(x, x2)
    x3, y3 = segtraining.batches(real, pool, TINY_UNET, seed=0, mix=(2, 1, 3))(0)
    assert len(x3) == 6 and not y3[-3:].any() and y3[:3].any()


def test_a_stage_one_network_is_fine_tuned_at_the_size_asked(tmp_path: Path):
    unet.save(unet.build(TINY_UNET), tmp_path)
    job = segjob.SegJob(tmp_path / "out", size=(2 * TINY_UNET.height, 2 * TINY_UNET.width))
    pool = segtraining.Pools([pyramid(photo("c").image, photo("c").mask)], [])
    job = replace(job, finetune_steps=1)
    model = segtraining.finetune(tmp_path, [photo("a")], pool, job, seed=0)
    assert (model.config.height, model.config.width) == job.size
    assert model.config.channels == TINY_UNET.channels  # the same weights, a finer input
    x, y = segtraining.batches([pyramid(photo("a").image, photo("a").mask)], pool, model.config, 0)(
        0
    )
    assert x.shape[1:3] == job.size and y.shape[1:] == job.size
    kept = segtraining.start_model(tmp_path, replace(job, size=None))
    assert (kept.config.height, kept.config.width) == (TINY_UNET.height, TINY_UNET.width)


def test_a_size_the_levels_do_not_divide_is_refused(tmp_path: Path):
    unet.save(unet.build(TINY_UNET), tmp_path)
    with pytest.raises(ValueError, match="divisible"):
        segtraining.start_model(tmp_path, segjob.SegJob(tmp_path, size=(33, 47)))
