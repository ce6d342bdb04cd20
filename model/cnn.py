"""CNN Hb regressor on the masked conjunctiva crop, fused with its regional colour statistics.

Input: masked CIELAB + mask at `height` x `width` (see `preprocess.to_input`). Three 3x3 conv
stages with average pooling between them, masked mean pooling over the last feature map, then a
small MLP over [pooled, standardised colour statistics, age/sex]. The last conv map is returned
beside the estimate so Grad-CAM needs no hooks.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
from flax import nnx

from model import checkpoint
from model.features import N_FEATURES

N_META = 4  # preprocess.meta_vector: age years, age known, female, male


@dataclass(frozen=True)
class Config:
    height: int = 64
    width: int = 128
    channels: tuple[int, ...] = (32, 64, 64)
    hidden: int = 64
    dropout: float = 0.2
    n_colour: int = N_FEATURES
    n_meta: int = N_META


class Stat(nnx.Variable[jax.Array]):
    """A constant set from the training data (normalisation), never touched by the optimiser."""


class Model(nnx.Module):
    def __init__(self, config: Config, *, rngs: nnx.Rngs) -> None:
        self.config = config
        widths = (4, *config.channels)
        self.convs = nnx.List(
            [nnx.Conv(a, b, kernel_size=(3, 3), rngs=rngs) for a, b in itertools.pairwise(widths)]
        )
        self.colour_mean = Stat(jnp.zeros(config.n_colour))
        self.colour_std = Stat(jnp.ones(config.n_colour))
        self.hb_mean = Stat(jnp.asarray(11.0))
        self.hb_std = Stat(jnp.asarray(1.0))
        n_in = config.channels[-1] + config.n_colour + config.n_meta
        self.hidden = nnx.Linear(n_in, config.hidden, rngs=rngs)
        self.drop = nnx.Dropout(config.dropout, rngs=rngs)
        self.out = nnx.Linear(config.hidden, 1, rngs=rngs)

    def features(self, x: jax.Array) -> jax.Array:
        """(B, H, W, 4) input -> (B, h, w, C) last convolutional feature map."""
        h = x
        for i, conv in enumerate(self.convs):
            if i:
                h = nnx.avg_pool(h, window_shape=(2, 2), strides=(2, 2))
            h = nnx.relu(conv(h))
        return h

    def head(self, fmap: jax.Array, x: jax.Array, colour: jax.Array, meta: jax.Array) -> jax.Array:
        """Hb in g/dL from the last feature map (masked mean pool) and the side inputs."""
        f = 2 ** (len(self.convs) - 1)
        m = nnx.avg_pool(x[..., 3:], window_shape=(f, f), strides=(f, f))
        pooled = (fmap * m).sum(axis=(1, 2)) / (m.sum(axis=(1, 2)) + 1e-6)
        z_colour = (colour - self.colour_mean[...]) / self.colour_std[...]
        z = jnp.concatenate([pooled, z_colour, meta], axis=-1)
        z = self.drop(nnx.relu(self.hidden(z)))
        return self.hb_mean[...] + self.hb_std[...] * self.out(z)[:, 0]

    def baseline(self) -> jax.Array:
        """The training-set mean Hb (g/dL): what the model says with no information."""
        return self.hb_mean[...]

    def __call__(
        self, x: jax.Array, colour: jax.Array, meta: jax.Array
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        """(Hb g/dL of shape (B,), {"last_conv": feature map}) for a batch."""
        fmap = self.features(x)
        return self.head(fmap, x, colour, meta), {"last_conv": fmap}


def build(config: Config, seed: int = 0) -> Model:
    """A freshly initialised model."""
    return Model(config, rngs=nnx.Rngs(seed))


def save(model: Model, directory: Path, name: str = "cnn") -> None:
    """Write the model's config and state."""
    checkpoint.save(directory, name, model.config, model)


def load(directory: Path, name: str = "cnn") -> Model:
    """Read a model written by `save`, ready for inference (dropout off)."""
    model = checkpoint.load(directory, name, Config, build)
    model.eval()
    return model
