"""Colour-statistics Hb regressor: RBF support-vector regression, evaluated in JAX.

Used where a few hundred photos from one camera are all there is: one member of the adults'
model (`model.adult`, with `model.trees`) and the head of a programme's adaptation
(`model.adapter`). On patient-grouped folds of Eyes-defy it beat ridge, gradient boosting and
random forests on the same colour statistics (`docs/cv/adult_models.md`). Inputs are
`features.colour_features` plus the columns of `preprocess.meta_vector` named by
`Config.meta_columns`, standardised with training-set constants. The kernel's penalty `C` and
tube `epsilon` are picked by cross-validation inside the training rows only (scikit-learn's
GridSearchCV); scikit-learn fits the dual problem and the support vectors are copied here, so
inference needs only JAX.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from model import checkpoint
from model.cnn import Stat
from model.features import NAMES

# of features.NAMES: colour levels only. The spread of colour inside the mask (*_std) depends
# on resolution and compression: between the published cut-outs and the whole photos of the
# same eyes it moved by 1-1.5 SD, and with it the model lost its signal on whole photos
# (docs/cv/whole_photos.md; `python -m studies.adult_models` compares).
LEVELS = tuple(i for i, name in enumerate(NAMES) if not name.endswith("_std"))


@dataclass(frozen=True)
class Config:
    colour_columns: tuple[int, ...] = LEVELS
    meta_columns: tuple[int, ...] = (2, 3)  # of preprocess.meta_vector: female, male (no age)
    n_support: int = 0  # set by `fit`
    gamma: float = float("nan")  # RBF width on standardised inputs, set by `fit` (1 / inputs)
    grid_c: tuple[float, ...] = (0.3, 1.0, 3.0, 10.0)
    grid_epsilon: tuple[float, ...] = (0.1, 0.3, 0.6)
    inner_folds: int = 5
    c: float = float("nan")  # chosen by the inner search
    epsilon: float = float("nan")

    @property
    def n_inputs(self) -> int:
        return len(self.colour_columns) + len(self.meta_columns)


class Model(nnx.Module):
    def __init__(self, config: Config, *, rngs: nnx.Rngs) -> None:
        del rngs  # nothing random: the weights come from the dual solution
        self.config = config
        n, k = config.n_inputs, max(config.n_support, 1)
        self.mean = Stat(jnp.zeros(n))
        self.std = Stat(jnp.ones(n))
        self.support = Stat(jnp.zeros((k, n)))  # standardised support vectors
        self.dual = Stat(jnp.zeros(k))  # alpha_i - alpha_i*
        self.intercept = Stat(jnp.zeros(()))

    def inputs(self, colour: jax.Array, meta: jax.Array) -> jax.Array:
        """Standardised model inputs (B, n_inputs) from colour (B, F) and meta (B, 4)."""
        c = self.config
        x = jnp.concatenate([colour[:, list(c.colour_columns)], meta[:, list(c.meta_columns)]], -1)
        return (x - self.mean[...]) / self.std[...]

    def __call__(
        self, colour: jax.Array, meta: jax.Array
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        """(Hb (B,) in g/dL, {"inputs": standardised inputs, "kernel": (B, n_support)})."""
        z = self.inputs(colour, meta)
        d2 = jnp.sum((z[:, None, :] - self.support[...][None]) ** 2, axis=-1)
        k = jnp.exp(-self.config.gamma * d2)
        return k @ self.dual[...] + self.intercept[...], {"inputs": z, "kernel": k}


def build(config: Config) -> Model:
    """An empty model of the config's shape (filled by `fit` or `load`)."""
    return Model(config, rngs=nnx.Rngs(0))


def _design(config: Config, colour: np.ndarray, meta: np.ndarray) -> np.ndarray:
    parts = [colour[:, list(config.colour_columns)], meta[:, list(config.meta_columns)]]
    return np.concatenate(parts, axis=-1).astype(np.float64)


def fit(config: Config, colour: np.ndarray, meta: np.ndarray, hb: np.ndarray, seed: int) -> Model:
    """Fit on these rows; C and epsilon chosen by an inner K-fold search on the same rows."""
    # scikit-learn only where models are fitted: serving never loads it (80 MB)
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.svm import SVR

    x = _design(config, colour, meta)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / std
    gamma = 1.0 / z.shape[1]  # scikit-learn's "scale" on unit-variance inputs
    search = GridSearchCV(
        SVR(kernel="rbf", gamma=gamma),
        {"C": list(config.grid_c), "epsilon": list(config.grid_epsilon)},
        cv=KFold(config.inner_folds, shuffle=True, random_state=seed),
        scoring="neg_mean_absolute_error",
    ).fit(z, hb)
    svr: SVR = search.best_estimator_
    best = search.best_params_
    config = dataclasses.replace(
        config, n_support=len(svr.support_), gamma=gamma, c=best["C"], epsilon=best["epsilon"]
    )
    model = build(config)
    model.mean[...] = jnp.asarray(mean, jnp.float32)
    model.std[...] = jnp.asarray(std, jnp.float32)
    if len(svr.support_):  # none when every row lies inside the tube: a constant model
        model.support[...] = jnp.asarray(svr.support_vectors_, jnp.float32)
        model.dual[...] = jnp.asarray(svr.dual_coef_[0], jnp.float32)
    model.intercept[...] = jnp.asarray(svr.intercept_[0], jnp.float32)
    return model


def predict(model: Model, colour: np.ndarray, meta: np.ndarray) -> np.ndarray:
    """Hb estimates (g/dL) for rows of NumPy inputs."""
    return np.asarray(model(jnp.asarray(colour), jnp.asarray(meta))[0])


def save(model: Model, directory: Path, name: str = "svr") -> None:
    """Write the model's config and state."""
    checkpoint.save(directory, name, model.config, model)


def load(directory: Path, name: str = "svr") -> Model:
    """Read a model written by `save`."""
    return checkpoint.load(directory, name, Config, build)
