"""Tiny shared settings and synthetic inputs for the model tests (no real data, no network)."""

from __future__ import annotations

import jax
import numpy as np
from flax import nnx

from model import cnn, train
from model.cnn import N_META
from model.features import N_FEATURES

# One tiny network and one training config shared by every test, so JAX compiles
# `train.train_step` (whose TrainConfig is a static argument) as few times as possible.
TINY = cnn.Config(height=16, width=32, channels=(8, 8), hidden=16)
FAST = train.TrainConfig(epochs=40, batch_size=32, brightness=0.0, meta_drop=0.0)


def side_inputs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """All-zero colour statistics and age/sex, so only the convolutional path carries signal."""
    return np.zeros((n, N_FEATURES), np.float32), np.zeros((n, N_META), np.float32)


def random_inputs(
    rng: np.random.Generator, n: int, config: cnn.Config = TINY
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A random batch (x, colour, meta) shaped like `preprocess.to_input` output."""
    x = rng.normal(0.0, 0.5, (n, config.height, config.width, 4)).astype(np.float32)
    mask = np.zeros((n, config.height, config.width), np.float32)
    mask[:, 2:-2, 3:-3] = 1.0
    x[..., :3] *= mask[..., None]
    x[..., 3] = mask
    colour = rng.normal(0.0, 1.0, (n, config.n_colour)).astype(np.float32)
    meta = np.tile(np.array([[2.0, 1.0, 1.0, 0.0]], np.float32), (n, 1))
    return x, colour, meta


def arrays(x: np.ndarray, hb: np.ndarray) -> train.Arrays:
    """train.Arrays with zero side inputs."""
    colour, meta = side_inputs(len(hb))
    return train.Arrays(x.astype(np.float32), colour, meta, hb.astype(np.float32))


@nnx.jit
def forward(model: nnx.Module, x: jax.Array, colour: jax.Array, meta: jax.Array):
    """model(x, colour, meta), compiled once per model structure (eager calls are slow on CPU)."""
    return model(x, colour, meta)
