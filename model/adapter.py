"""A programme's adaptation of a served model: Hb = a + b * base + head(colour, sex), g/dL.

`base` is the estimate of the model it adapts (the children's CNN ensemble or the adults'
colour model) on the same crop; `head` is a colour-statistics support-vector regressor
(`model.svr`) fitted on the programme's own lab-confirmed photos. The four kinds that
`bot.training.adapter_choice` chooses between are special cases:

- offset:   b = 1, no head (the camera or population shifts every estimate alike);
- linear:   a and b fitted, no head (estimates shrunk or stretched as well as shifted);
- residual: a = 0, b = 1, head fitted on lab Hb - base (what the base model misses here);
- local:    a = b = 0, head fitted on lab Hb (a new model for this population).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import jax
from flax import nnx

from model import checkpoint, served, svr
from model.served import adapter_exists as exists  # noqa: F401 - callers ask here
from model.served import adapter_stem as file_stem

KINDS = ("offset", "linear", "residual", "local")


def no_head() -> svr.Config:
    """A head that adds nothing: one zero support vector, and gamma 0 so its kernel is 1."""
    return svr.Config(gamma=0.0)


@dataclass(frozen=True)
class Config(served.Binned):
    """The adaptation; its interval (`served.Binned`) comes from the programme's out-of-fold
    residuals (one bin when there are too few people for two), its population is the
    programme's dataset."""

    cohort: str = ""  # "children" or "adults": whose served estimate this adapts
    kind: str = "offset"  # one of KINDS
    a: float = 0.0  # g/dL
    b: float = 1.0
    head: svr.Config = field(default_factory=no_head)
    base_version: str = ""  # the model whose estimate is `base`
    n: int = 0  # people it was adapted on
    months: str = ""  # when they were screened, e.g. "2026-01..2026-06"


class Model(nnx.Module):
    def __init__(self, config: Config, *, rngs: nnx.Rngs) -> None:
        self.config = config
        self.head = svr.Model(config.head, rngs=rngs)

    def __call__(
        self, base: jax.Array, colour: jax.Array, meta: jax.Array
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        """(Hb (B,) in g/dL, {"base", "head" (B,), and the head's "inputs" and "kernel"})."""
        head, maps = self.head(colour, meta)
        c = self.config
        return c.a + c.b * base + head, {"base": base, "head": head, **maps}


def build(config: Config) -> Model:
    """An empty adapter of the config's shape (its head filled by `assemble` or `load`)."""
    return Model(config, rngs=nnx.Rngs(0))


def assemble(config: Config, head: svr.Model | None) -> Model:
    """An adapter with `head`'s weights (None: the kind has no head)."""
    if head is None:
        return build(dataclasses.replace(config, head=no_head()))
    out = build(dataclasses.replace(config, head=head.config))
    nnx.update(out.head, nnx.state(head))
    return out


def with_calibration(model: Model, **fields: object) -> Model:
    """The same weights under a config with the interval, margin or version set."""
    return checkpoint.reconfigured(model, build, **fields)


def save(model: Model, directory: Path) -> None:
    """Write the adapter beside the weights it adapts."""
    checkpoint.save(directory, file_stem(model.config.cohort), model.config, model)


def load(directory: Path, cohort: str) -> Model:
    """Read the adapter of this cohort written by `save`."""
    return checkpoint.load(directory, file_stem(cohort), Config, build)
