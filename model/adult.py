"""The adults' Hb model: a least-squares line on age and sex, plus the mean of a support-vector
regressor (`model.svr`) and extremely randomised trees (`model.trees`) on colour statistics,
age and sex for what the line leaves, with its interval and referral margin.

Why two members: on patient-grouped folds of Eyes-defy (172 adults, three fold seeds) the
average erred less than the SVR alone (MAE 1.07 against 1.10) and as little as the trees alone,
with less error than the trees in India, the harder site (`docs/cv/adult_models.md`).

Why the line under them: the photo must beat what age and sex alone tell. Among candidates
compared on validation folds nested inside each training part (`docs/cv/adult_candidates.md`:
the members on colour and sex, the same with age, this line with the members on its residual,
gradient boosting), this one had the lowest validation MAE (1.07 g/dL, against 1.09 for the
members on colour and sex), and the members on colour and sex alone were never chosen. The
site would help a little more but cannot be served: a new user's camera is neither site's.
Adults always have an age and a sex here (no number is given without them); outside the ages
fitted on (19-88 years) the line goes on straight and the members answer as at the nearest
ages they saw.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from model import checkpoint, jitcache, served, svr, trees

AGE_SEX = (0, 2, 3)  # of preprocess.meta_vector: age in years, female, male


@dataclass(frozen=True)
class Config(served.Binned):
    """The members' configs; the interval (`served.Binned`) gives each bin of the estimate the
    widest width of the sites it was validated on, since a new user's camera is none of them
    (`conformal.widest`)."""

    svr: svr.Config = field(default_factory=lambda: svr.Config(meta_columns=AGE_SEX))
    trees: trees.Config = field(default_factory=lambda: trees.Config(meta_columns=AGE_SEX))
    line_columns: tuple[int, ...] = (0, 3)  # of preprocess.meta_vector: age in years, male
    # the line's fit, set by `fit`; () (weights made before the line): no line
    line_coef: tuple[float, ...] = ()
    line_intercept: float = 0.0
    # the low-attention warning (`attention_lower_half` below this share), set by training
    # only where a low share went with larger errors out of fold; None: no warning
    attention_threshold: float | None = None
    attention_mae: float | None = None  # g/dL: the out-of-fold MAE below that share


class Model(nnx.Module):
    def __init__(self, config: Config, *, rngs: nnx.Rngs) -> None:
        self.config = config
        self.svr = svr.Model(config.svr, rngs=rngs)
        self.trees = trees.Model(config.trees, rngs=rngs)

    def line(self, meta: jax.Array) -> jax.Array:
        """The line on age and sex (B,), g/dL; zeros for weights made without one."""
        c = self.config
        if not c.line_coef:
            return jnp.zeros(meta.shape[0])
        return c.line_intercept + meta[:, list(c.line_columns)] @ jnp.asarray(c.line_coef)

    def __call__(
        self, colour: jax.Array, meta: jax.Array
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        """(Hb (B,) in g/dL, {"line", "svr", "trees": each part's estimate (B,)})."""
        base = self.line(meta)
        a, _ = self.svr(colour, meta)
        b, _ = self.trees(colour, meta)
        return base + (a + b) / 2.0, {"line": base, "svr": a, "trees": b}


def build(config: Config) -> Model:
    """An empty model of the config's shape (filled by `fit` or `load`)."""
    return Model(config, rngs=nnx.Rngs(0))


def fit(config: Config, colour: np.ndarray, meta: np.ndarray, hb: np.ndarray, seed: int) -> Model:
    """Fit the line on these rows, then both members on what it leaves."""
    x = meta[:, list(config.line_columns)].astype(np.float64)
    from sklearn.linear_model import LinearRegression  # fitting only: serving never loads it

    line = LinearRegression().fit(x, hb) if config.line_columns else None
    rest = hb - line.predict(x) if line is not None else hb
    a = svr.fit(config.svr, colour, meta, rest, seed)
    b = trees.fit(config.trees, colour, meta, rest, seed)
    fitted = {"svr": a.config, "trees": b.config}
    if line is not None:
        coef = tuple(float(v) for v in line.coef_)
        fitted |= {"line_coef": coef, "line_intercept": float(line.intercept_)}
    model = build(dataclasses.replace(config, **fitted))  # type: ignore[arg-type]
    nnx.update(model.svr, nnx.state(a))
    nnx.update(model.trees, nnx.state(b))
    return model


def with_calibration(model: Model, **fields: object) -> Model:
    """The same weights under a config with the interval, referral margin or version set."""
    return checkpoint.reconfigured(model, build, **fields)


def predict(model: Model, colour: np.ndarray, meta: np.ndarray) -> np.ndarray:
    """Hb estimates (g/dL) for rows of NumPy inputs."""
    return jitcache.first_output(model, colour, meta)


def save(model: Model, directory: Path, name: str = "adult") -> None:
    """Write the model's config and state."""
    checkpoint.save(directory, name, model.config, model)


def load(directory: Path, name: str = "adult") -> Model:
    """Read a model written by `save`."""
    return checkpoint.load(directory, name, Config, build)
