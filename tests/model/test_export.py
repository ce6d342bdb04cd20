"""The exported programs serving calls (`model.exported`) are the shipped weights': made from
them again, they answer as the shipped programs and as the NNX models do on a few inputs, and a
program whose weights changed is not served."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import jax
import numpy as np
import pytest

from model import (
    WEIGHTS,
    adult,
    ensemble,
    export,
    exported,
    gradcam,
    jitcache,
    occlusion,
    segment,
    unet,
)
from model.features import N_FEATURES

NAMES = ("ensemble", "adult", "unet")
TOLERANCE = 1e-4  # float32 round-off between two compilations of the same program


@pytest.fixture(scope="module")
def remade(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped weights, exported again."""
    directory = tmp_path_factory.mktemp("weights")
    for name in NAMES:
        for suffix in (".json", ".msgpack"):
            shutil.copy(WEIGHTS / f"{name}{suffix}", directory)
    assert export.export(directory) == list(NAMES)
    return directory


def _inputs(name: str, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    meta = np.asarray([[rng.uniform(0.5, 80.0), 1.0, 1.0, 0.0]], np.float32)
    if name == "unet":
        return (rng.uniform(-1.0, 1.0, (1, 96, 128, 3)).astype(np.float32),)
    colour = rng.normal(0.0, 1.0, (1, N_FEATURES)).astype(np.float32)
    if name == "adult":  # exported for the rows of one occlusion map
        return np.repeat(colour, occlusion.ROWS, axis=0), np.repeat(meta, occlusion.ROWS, axis=0)
    x = rng.uniform(0.0, 1.0, (1, 64, 128, 4)).astype(np.float32)
    x[..., 3] = x[..., 3] > 0.3  # the mask channel
    return x, colour, meta


def _nnx(name: str) -> Any:
    """The NNX model's served function, as serving calls it without a program."""
    model = {"ensemble": ensemble, "adult": adult, "unet": unet}[name].load(WEIGHTS)
    fn: Any = {"ensemble": gradcam.cam, "adult": jitcache.first, "unet": segment.logits}[name]
    return jitcache.bound(fn, model)


def _arrays(out: Any) -> list[np.ndarray]:
    return [np.asarray(a) for a in (out if isinstance(out, tuple | list) else [out])]


@pytest.mark.parametrize("name", NAMES)
def test_the_shipped_program_is_up_to_date_with_its_weights(name: str) -> None:
    assert exported.load(WEIGHTS, name) is not None, "run `python -m model.export`"


@pytest.mark.parametrize("name", NAMES)
def test_a_program_made_again_answers_as_the_shipped_one_and_the_nnx_model(
    remade: Path, name: str
) -> None:
    shipped, again = exported.load(WEIGHTS, name), exported.load(remade, name)
    assert shipped is not None and again is not None
    assert again.config == shipped.config
    nnx_fn = _nnx(name)
    for seed in range(3):
        inputs = _inputs(name, seed)
        want = _arrays(nnx_fn(*inputs))
        for program in (shipped, again):
            for got, w in zip(_arrays(program(*inputs)), want, strict=True):
                np.testing.assert_allclose(got, w, rtol=TOLERANCE, atol=TOLERANCE)


def test_a_program_whose_weights_changed_is_not_served(remade: Path, tmp_path: Path) -> None:
    for suffix in (".json", ".msgpack", ".export", ".export.json"):
        shutil.copy(remade / f"unet{suffix}", tmp_path)
    assert exported.load(tmp_path, "unet") is not None
    config = (tmp_path / "unet.json").read_text()
    (tmp_path / "unet.json").write_text(config.replace('"version"', '"version" ', 1))
    assert exported.load(tmp_path, "unet") is None


def test_serving_config_is_the_weights_config() -> None:
    program, model = exported.load(WEIGHTS, "ensemble"), ensemble.load(WEIGHTS)
    assert program is not None
    c, e = program.config, model.config
    assert (c.height, c.width, c.version) == (e.height, e.width, e.version)
    assert c.population == e.population
    assert c.attention_threshold == e.attention_threshold
    np.testing.assert_equal([c.half_width, c.refer_margin], [e.half_width, e.refer_margin])


def test_the_served_u_net_runs_on_xlas_own_kernels() -> None:
    """YNNPACK's fusions of the U-Net's convolutions are slower here (`exported.KERNELS`)."""
    program = exported.load(WEIGHTS, "unet")
    assert program is not None
    default = jax.jit(program.program.call).lower(*program.program.in_avals).compile()
    assert "__ynn_fusion" in str(default.as_text()), "no YNNPACK by default: drop KERNELS"
    assert "__ynn_fusion" not in str(program._run.as_text())


def test_an_xla_without_the_kernel_option_still_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = exported.load(WEIGHTS, "unet")
    monkeypatch.setattr(exported, "KERNELS", {"xla_cpu_no_such_option": ""})
    plain = exported.load(WEIGHTS, "unet")
    assert shipped is not None and plain is not None
    (x,) = _inputs("unet", 0)
    np.testing.assert_allclose(plain(x), shipped(x), rtol=TOLERANCE, atol=TOLERANCE)
