"""Training loop for the U-Net: Adam with cosine decay on binary cross-entropy plus soft Dice.

Dice keeps the thin conjunctiva strip from being drowned by the background pixels that make
up most of a photo; cross-entropy keeps early training stable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from model import unet


@dataclass(frozen=True)
class SegTrainConfig:
    epochs: int = 12
    batch_size: int = 16
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4


def soft_dice(logits: jax.Array, target: jax.Array) -> jax.Array:
    """Mean over the batch of 1 - soft Dice between sigmoid(logits) and the 0/1 target."""
    p = jax.nn.sigmoid(logits)
    inter = (p * target).sum(axis=(1, 2))
    return (1 - (2 * inter + 1) / (p.sum(axis=(1, 2)) + target.sum(axis=(1, 2)) + 1)).mean()


def _loss(model: unet.Model, x: jax.Array, y: jax.Array) -> jax.Array:
    logits, _ = model(x)
    return optax.sigmoid_binary_cross_entropy(logits, y).mean() + soft_dice(logits, y)


@nnx.jit
def train_step(
    model: unet.Model, opt: nnx.Optimizer, key: jax.Array, x: jax.Array, y: jax.Array
) -> jax.Array:
    """One step on a batch with random horizontal flips; returns the loss."""
    flip = jax.random.bernoulli(key, 0.5, (x.shape[0], 1, 1))
    x = jnp.where(flip[..., None], x[:, :, ::-1], x)
    y = jnp.where(flip, y[:, :, ::-1], y)
    loss, grads = nnx.value_and_grad(_loss)(model, x, y)
    opt.update(model, grads)
    return loss


def fit(
    config: unet.Config,
    tc: SegTrainConfig,
    x: np.ndarray,
    y: np.ndarray,
    *,
    seed: int,
    on_epoch: Callable[[int, float], None] | None = None,
) -> unet.Model:
    """Train a fresh U-Net on inputs x (N, H, W, 3) and 0/1 masks y (N, H, W)."""
    model = unet.build(config, seed)
    steps = max(len(x) // tc.batch_size, 1)
    schedule = optax.cosine_decay_schedule(tc.learning_rate, tc.epochs * steps)
    opt = nnx.Optimizer(model, optax.adamw(schedule, weight_decay=tc.weight_decay), wrt=nnx.Param)
    rng, key = np.random.default_rng(seed), jax.random.key(seed)
    for epoch in range(tc.epochs):
        order = rng.permutation(len(x))
        losses = []
        for s in range(steps):
            idx = order[s * tc.batch_size : (s + 1) * tc.batch_size]
            key, sub = jax.random.split(key)
            losses.append(
                train_step(model, opt, sub, jnp.asarray(x[idx]), jnp.asarray(y[idx], jnp.float32))
            )
        if on_epoch is not None:
            on_epoch(epoch, float(jnp.mean(jnp.stack(losses))))
    return model


@nnx.jit
def _logits(model: unet.Model, x: jax.Array) -> jax.Array:
    return model(x)[0]


def predict_logits(model: unet.Model, x: np.ndarray, batch_size: int = 32) -> np.ndarray:
    """Logits (N, H, W) for inputs (N, H, W, 3), in batches."""
    return np.concatenate(
        [
            np.asarray(_logits(model, jnp.asarray(x[i : i + batch_size])))
            for i in range(0, len(x), batch_size)
        ]
    )


def dice(pred: np.ndarray, target: np.ndarray) -> float:
    """Hard Dice coefficient between two boolean masks (1.0 when both are empty)."""
    total = pred.sum() + target.sum()
    return float(2 * (pred & target).sum() / total) if total else 1.0
