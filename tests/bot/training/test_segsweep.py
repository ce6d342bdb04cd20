"""The variant sweep: the same scenes as train-seg's pools, and each variant's train-seg job."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.training import segjob, segsweep, segtraining
from bot.training.data import Sample
from bot.training.data.compose import NEGATIVE_KINDS
from tests.bot.cutouts import textured_cutout


def samples(n: int) -> list[Sample]:
    made = [textured_cutout(seed=i) for i in range(n)]
    return [Sample(f"s{i}", img, mask, 10.0 + i) for i, (img, mask) in enumerate(made)]


# The workers only draw scenes with numpy and OpenCV (one thread each); JAX, already started in
# this process by other tests, warns about any fork.
@pytest.mark.filterwarnings("ignore:os.fork:RuntimeWarning")
def test_parallel_pools_draw_the_same_scenes_as_train_seg():
    train = samples(3)
    job = segjob.SegJob(out=Path("unused"), per_cutout=1, negatives=2 * len(NEGATIVE_KINDS))
    serial = segtraining.pools(train, job)
    parallel = segsweep.parallel_pools(train, job, workers=2)  # 3 + 2 chunks of work
    for got, want in (
        (parallel.composites, serial.composites),
        (parallel.negatives, serial.negatives),
    ):
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a.images[0], b.images[0])
            np.testing.assert_array_equal(a.masks[0], b.masks[0])


def test_a_variant_is_the_train_seg_job_it_names(tmp_path: Path):
    deep = segsweep.job_of("deep4", segsweep.VARIANTS["deep4"], tmp_path, seed=0)
    assert deep.init is None and deep.net.channels == (16, 32, 64, 128)
    assert deep.work == tmp_path / "deep4" and deep.out == tmp_path / "deep4" / "final"
    longer = segsweep.job_of("deep4-6k", segsweep.VARIANTS["deep4-6k"], tmp_path, 0)
    assert longer.init == tmp_path / "deep4" / "stage1"  # shares deep4's stage 1
    assert longer.finetune_steps == 2 * deep.finetune_steps
    finer = segsweep.job_of("deep4-160", segsweep.VARIANTS["deep4-160"], tmp_path, 0)
    assert finer.init == longer.init and finer.size == (120, 160)  # deep4's stage 1, finer input
    base = segsweep.job_of("base-3k", segsweep.VARIANTS["base-3k"], tmp_path, 0)
    assert base.init == tmp_path / "stage1" and base.net == segjob.SegJob(tmp_path).net
    assert deep.mix == base.mix == segjob.MIX
    mixed = segsweep.job_of("deep4-6k-mix", segsweep.VARIANTS["deep4-6k-mix"], tmp_path, 0)
    assert mixed.init is None and mixed.mix == (9, 4, 3) and mixed.finetune_steps == 6000


@pytest.mark.parametrize(
    ("variants", "says"),
    [("nope", "no variant 'nope'"), ("base-3k", "holds no U-Net"), ("deep4", "not a folder")],
)
def test_what_cannot_be_trained_is_refused_in_one_line(
    tmp_path: Path, variants: str, says: str, capsys: pytest.CaptureFixture[str]
):
    argv = ["--data", str(tmp_path / "none"), "--work", str(tmp_path), "--variants", variants]
    with pytest.raises(SystemExit) as exit_:
        segsweep.main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and says in err and "Traceback" not in err
