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
    steps: int = 1500  # the batch size is the sampler's (bot.training.segjob.MIX)
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4


Batches = Callable[[int], tuple[np.ndarray, np.ndarray]]  # step -> inputs (B,H,W,3), masks (B,H,W)


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
    model: unet.Model,
    tc: SegTrainConfig,
    batches: Batches,
    *,
    seed: int,
    on_step: Callable[[int, float], None] | None = None,
) -> unet.Model:
    """Train `model` (fresh, or pretrained to fine-tune) on `tc.steps` batches from `batches`."""
    schedule = optax.cosine_decay_schedule(tc.learning_rate, max(tc.steps, 1))
    opt = nnx.Optimizer(model, optax.adamw(schedule, weight_decay=tc.weight_decay), wrt=nnx.Param)
    key = jax.random.key(seed)
    for step in range(tc.steps):
        x, y = batches(step)
        key, sub = jax.random.split(key)
        loss = train_step(model, opt, sub, jnp.asarray(x), jnp.asarray(y, jnp.float32))
        if on_step is not None:
            on_step(step, float(loss))
    return model


def epochs(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int) -> Batches:
    """Batches that walk through fixed arrays in a fresh random order each epoch."""
    rng, steps = np.random.default_rng(seed), max(len(x) // batch_size, 1)
    order = np.arange(len(x))

    def batch(step: int) -> tuple[np.ndarray, np.ndarray]:
        nonlocal order
        if step % steps == 0:
            order = rng.permutation(len(x))
        idx = order[(step % steps) * batch_size : (step % steps + 1) * batch_size]
        return x[idx], y[idx]

    return batch


def dice(pred: np.ndarray, target: np.ndarray) -> float:
    """Hard Dice coefficient between two boolean masks (1.0 when both are empty)."""
    total = pred.sum() + target.sum()
    return float(2 * (pred & target).sum() / total) if total else 1.0
