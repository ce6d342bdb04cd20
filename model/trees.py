"""Extremely randomised trees (Geurts et al. 2006) on colour statistics, evaluated in JAX.

The second member of the adults' model (`model.adult`): a tree ensemble errs differently from
the support-vector regressor on the same inputs (it cuts colour space into boxes instead of
smoothing it); `model.adult` has the figures of the average. scikit-learn grows the
trees; their nodes are copied into padded arrays here, so inference needs only JAX: every
tree walks down one level per step, and a leaf points to itself.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from model import checkpoint, jitcache
from model.cnn import Stat
from model.svr import LEVELS


@dataclass(frozen=True)
class Config:
    colour_columns: tuple[int, ...] = LEVELS  # of features.NAMES: colour levels only (as svr)
    meta_columns: tuple[int, ...] = (2, 3)  # of preprocess.meta_vector: female, male
    n_trees: int = 500
    min_samples_leaf: int = 3  # 172 adults: deeper leaves fit single patients
    max_nodes: int = 1  # nodes of the largest tree, set by `fit`
    depth: int = 0  # of the deepest tree, set by `fit`

    @property
    def n_inputs(self) -> int:
        return len(self.colour_columns) + len(self.meta_columns)


class Model(nnx.Module):
    def __init__(self, config: Config, *, rngs: nnx.Rngs) -> None:
        del rngs  # nothing random at inference: the trees come from `fit`
        self.config = config
        shape = (max(config.n_trees, 1), config.max_nodes)
        self.feature = Stat(jnp.zeros(shape, jnp.int32))  # input column tested at each node
        self.threshold = Stat(jnp.zeros(shape))  # go left when input <= threshold
        self.left = Stat(jnp.zeros(shape, jnp.int32))  # a leaf's children are itself
        self.right = Stat(jnp.zeros(shape, jnp.int32))
        self.value = Stat(jnp.zeros(shape))  # g/dL, the mean Hb of a leaf's training rows

    def inputs(self, colour: jax.Array, meta: jax.Array) -> jax.Array:
        """Model inputs (B, n_inputs): the chosen colour statistics, then the chosen meta."""
        c = self.config
        return jnp.concatenate(
            [colour[:, list(c.colour_columns)], meta[:, list(c.meta_columns)]], -1
        )

    def __call__(
        self, colour: jax.Array, meta: jax.Array
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        """(Hb (B,) in g/dL, {"inputs": (B, n_inputs), "leaves": (B, n_trees) node index})."""
        x = self.inputs(colour, meta).astype(jnp.float32)
        n_trees, n_nodes = self.feature.shape
        # Every tree's nodes in one flat table (node number: tree * n_nodes + index), so that
        # each step gathers once from a vector, and the depth unrolled: XLA:CPU walks 50 rows
        # through 500 trees in about half the time of a loop of gathers by (tree, node).
        first = jnp.arange(n_trees, dtype=jnp.int32) * n_nodes
        left, right = ((a[...] + first[:, None]).ravel() for a in (self.left, self.right))
        feature, threshold = self.feature[...].ravel(), self.threshold[...].ravel()
        row = (jnp.arange(x.shape[0], dtype=jnp.int32) * x.shape[1])[:, None]
        flat = x.ravel()
        node = jnp.broadcast_to(first, (x.shape[0], n_trees))
        for _ in range(self.config.depth):  # a leaf points to itself: deeper steps stay put
            goes_left = flat[row + feature[node]] <= threshold[node]
            node = jnp.where(goes_left, left[node], right[node])
        return self.value[...].ravel()[node].mean(axis=1), {"inputs": x, "leaves": node - first}


def build(config: Config) -> Model:
    """An empty model of the config's shape (filled by `fit` or `load`)."""
    return Model(config, rngs=nnx.Rngs(0))


def _design(config: Config, colour: np.ndarray, meta: np.ndarray) -> np.ndarray:
    parts = [colour[:, list(config.colour_columns)], meta[:, list(config.meta_columns)]]
    return np.concatenate(parts, axis=-1).astype(np.float32)  # the trees' own dtype


def fit(config: Config, colour: np.ndarray, meta: np.ndarray, hb: np.ndarray, seed: int) -> Model:
    """Grow the trees on these rows and copy them into a JAX model."""
    # scikit-learn only where models are fitted: serving never loads it (80 MB)
    from sklearn.ensemble import ExtraTreesRegressor

    forest = ExtraTreesRegressor(
        config.n_trees, min_samples_leaf=config.min_samples_leaf, random_state=seed
    ).fit(_design(config, colour, meta), hb)
    grown = [e.tree_ for e in forest.estimators_]
    config = dataclasses.replace(
        config, max_nodes=max(t.node_count for t in grown), depth=max(t.max_depth for t in grown)
    )
    arrays = {k: np.zeros((config.n_trees, config.max_nodes), np.float32) for k in ("t", "v")}
    index = {k: np.zeros((config.n_trees, config.max_nodes), np.int32) for k in ("f", "l", "r")}
    for i, t in enumerate(grown):
        n, leaf = t.node_count, t.children_left < 0
        own = np.arange(n)
        index["f"][i, :n] = np.where(leaf, 0, t.feature)
        index["l"][i, :n] = np.where(leaf, own, t.children_left)
        index["r"][i, :n] = np.where(leaf, own, t.children_right)
        arrays["t"][i, :n] = _below(t.threshold)
        arrays["v"][i, :n] = t.value[:, 0, 0]
    model = build(config)
    model.feature[...], model.left[...], model.right[...] = (
        jnp.asarray(index[k]) for k in ("f", "l", "r")
    )
    model.threshold[...], model.value[...] = (jnp.asarray(arrays[k]) for k in ("t", "v"))
    return model


def _below(threshold: np.ndarray) -> np.ndarray:
    """The largest float32 at or below each float64 threshold: for float32 inputs x,
    x <= it exactly when x <= the threshold (rounding to nearest could flip a comparison)."""
    t32 = threshold.astype(np.float32)
    return np.where(t32 > threshold, np.nextafter(t32, np.float32(-np.inf)), t32)


def predict(model: Model, colour: np.ndarray, meta: np.ndarray) -> np.ndarray:
    """Hb estimates (g/dL) for rows of NumPy inputs."""
    return jitcache.first_output(model, colour, meta)


def save(model: Model, directory: Path, name: str = "trees") -> None:
    """Write the model's config and state."""
    checkpoint.save(directory, name, model.config, model)


def load(directory: Path, name: str = "trees") -> Model:
    """Read a model written by `save`."""
    return checkpoint.load(directory, name, Config, build)
