"""Weight averages of two U-Nets fine-tuned from one stage 1: `python docs/seg_soup.py A B`.

For each cross-validation fold and for the final network, averages the weights of
runs/sweep/A and runs/sweep/B (segsweep variants that share a stage 1, so their weights lie
in one basin) and writes runs/sweep/soup-A-B at A's input size, laid out as
`anemia-screen train-seg --measure-only --work runs/sweep/soup-A-B --out .../final` reads it.
Each fold's average is made of the two networks that never saw that fold's patients.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import jax
from flax import nnx

from model import unet

SWEEP = Path(__file__).resolve().parents[1] / "runs" / "sweep"


def average(a: Path, b: Path, out: Path) -> None:
    """The mean of two networks' weights, with a's config (its input size), saved in out."""
    ma, mb = unet.load(a), unet.load(b)
    if ma.config.channels != mb.config.channels:
        raise SystemExit(f"{a} and {b} have different levels")
    mean = jax.tree.map(
        lambda x, y: (x + y) / 2, nnx.state(ma, nnx.Param), nnx.state(mb, nnx.Param)
    )
    nnx.update(ma, mean)
    unet.save(ma, out)


def main(a: str, b: str) -> None:
    out = SWEEP / f"soup-{a}-{b}"
    for f in sorted((SWEEP / a / "folds").iterdir()):
        held = f / "held_out.json"
        if held.read_text() != (SWEEP / b / "folds" / f.name / "held_out.json").read_text():
            raise SystemExit(f"fold {f.name} holds out other patients in {a} and {b}")
        average(f, SWEEP / b / "folds" / f.name, out / "folds" / f.name)
        shutil.copy(held, out / "folds" / f.name / "held_out.json")
    average(SWEEP / a / "final", SWEEP / b / "final", out / "final")
    shutil.copy(SWEEP / a / "final" / "seg_metrics.json", out / "final" / "seg_metrics.json")
    print(out)


if __name__ == "__main__":
    main(*sys.argv[1:3])
