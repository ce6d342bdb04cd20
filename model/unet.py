"""Small U-Net (Ronneberger et al. 2015) that finds the palpebral conjunctiva in a photo.

Input: RGB scaled to [-1, 1] at `height` x `width` (the whole photo, resized). Output: one
logit per pixel, conjunctiva vs not, at the same size. The deepest decoder map is returned
beside the logits, as every model here returns its features.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
from flax import nnx

from model import checkpoint
from model.segment import to_input  # noqa: F401 - training and tests call it here


def stride(levels: int) -> int:
    """Input pixels per bottleneck pixel along each side: every level below the first halves."""
    return 2 ** (levels - 1)


@dataclass(frozen=True)
class Config:
    height: int = 96
    width: int = 128
    channels: tuple[int, ...] = (16, 32, 64)  # per level; the last one is the bottleneck
    version: str = "untrained"

    def __post_init__(self) -> None:
        # the decoder's upsampled maps must meet the encoder's skips at the same size
        if self.height % stride(len(self.channels)) or self.width % stride(len(self.channels)):
            raise ValueError(
                f"a {len(self.channels)}-level U-Net needs height and width divisible by "
                f"{stride(len(self.channels))}, not {self.height}x{self.width}"
            )


class Block(nnx.Module):
    """Two 3x3 convolutions with ReLU: the U-Net's unit at every level."""

    def __init__(self, c_in: int, c_out: int, *, rngs: nnx.Rngs) -> None:
        self.a = nnx.Conv(c_in, c_out, kernel_size=(3, 3), rngs=rngs)
        self.b = nnx.Conv(c_out, c_out, kernel_size=(3, 3), rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return nnx.relu(self.b(nnx.relu(self.a(x))))


class Model(nnx.Module):
    def __init__(self, config: Config, *, rngs: nnx.Rngs) -> None:
        self.config = config
        ch = config.channels
        self.down = nnx.List([Block(a, b, rngs=rngs) for a, b in itertools.pairwise((3, *ch))])
        self.up = nnx.List(
            [
                nnx.ConvTranspose(b, a, kernel_size=(2, 2), strides=(2, 2), rngs=rngs)
                for a, b in itertools.pairwise(ch)
            ][::-1]
        )
        self.merge = nnx.List([Block(2 * a, a, rngs=rngs) for a in ch[:-1]][::-1])
        self.out = nnx.Conv(ch[0], 1, kernel_size=(1, 1), rngs=rngs)

    def __call__(self, x: jax.Array) -> tuple[jax.Array, dict[str, jax.Array]]:
        """(logits (B, H, W), {"decoder": last decoder map}) for images (B, H, W, 3) in [-1, 1]."""
        skips = []
        h = x
        for i, block in enumerate(self.down):
            if i:
                h = nnx.max_pool(h, window_shape=(2, 2), strides=(2, 2))
            h = block(h)
            skips.append(h)
        for up, merge, skip in zip(self.up, self.merge, skips[-2::-1], strict=True):
            h = merge(jnp.concatenate([up(h), skip], axis=-1))
        return self.out(h)[..., 0], {"decoder": h}


def build(config: Config, seed: int = 0) -> Model:
    """A freshly initialised model."""
    return Model(config, rngs=nnx.Rngs(seed))


def save(model: Model, directory: Path, name: str = "unet") -> None:
    """Write the model's config and weights."""
    checkpoint.save(directory, name, model.config, model)


def load(directory: Path, name: str = "unet") -> Model:
    """Read a model written by `save`."""
    return checkpoint.load(directory, name, Config, build)
