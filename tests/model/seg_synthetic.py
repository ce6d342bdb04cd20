"""Tiny U-Net settings and a synthetic segmentation task shared by the segmentation tests.

Every test that builds a U-Net uses `TINY_UNET`, so JAX compiles its initialisers and its
forward pass once per test session (each new configuration costs seconds on a shared CPU).
"""

from __future__ import annotations

import functools

import jax
import numpy as np
from flax import nnx

from model import unet

TINY_UNET = unet.Config(height=32, width=48, channels=(4, 8), version="tiny-test")


@functools.cache
def untrained_unet() -> unet.Model:
    """One untrained tiny U-Net (seed 0), built once: tests must not change its weights."""
    return unet.build(TINY_UNET, seed=0)


@nnx.jit
def forward(model: unet.Model, x: jax.Array) -> tuple[jax.Array, dict[str, jax.Array]]:
    """model(x), compiled once per model structure (eager calls are slow on CPU)."""
    return model(x)


def rectangles(n: int, seed: int, config: unet.Config = TINY_UNET) -> tuple[np.ndarray, np.ndarray]:
    """Network inputs (n, H, W, 3) in [-1, 1]: a bright rectangle on dark noise; its 0/1 mask."""
    rng = np.random.default_rng(seed)
    h, w = config.height, config.width
    x = rng.uniform(-1.0, 0.0, (n, h, w, 3)).astype(np.float32)
    y = np.zeros((n, h, w), np.float32)
    for i in range(n):
        rh, rw = int(rng.integers(h // 4, h * 5 // 8)), int(rng.integers(w // 5, w * 5 // 8))
        r, c = int(rng.integers(0, h - rh)), int(rng.integers(0, w - rw))
        x[i, r : r + rh, c : c + rw] = rng.uniform(0.6, 1.0, (rh, rw, 3))
        y[i, r : r + rh, c : c + rw] = 1.0
    return x, y
