"""How many people a programme needs to adapt the model to its own people (`python -m
studies.adaptation` -> docs/cv/adaptation.md, docs/cv/adaptation.png, and `adaptation` in
model/weights/metrics.json).

For each population (CP-AnemiC children; Eyes-defy adults, India and Italy): the colour-
statistics model fitted on every *other* population stands for the model a programme starts from
(it never saw these people, as the shipped model never saw a new programme's); k of the
population's people, drawn at random, are its lab-confirmed screenings; `anemia-screen adapt`'s
procedure (`bot.training.adapter_choice.choose_and_fit`: offset, linear, residual or local head,
or none, chosen by cross-validation on the k only) adapts it; the rest of the population is the
test.
Means over 20 draws (`DRAWS`). "The k's mean Hb" is the MAE of telling everyone else the mean
lab Hb of the k people: what an adaptation must beat to have learnt anything from their photos.
`mae_included` is the population's cross-validated figure from the model that serves it, trained
with it included (`populations` in metrics.json: for CP-AnemiC the children's CNN ensemble, for
the adults' sites the adults' colour model).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from bot.training import adapter_choice, adults
from bot.training import jobs as training
from model import WEIGHTS
from studies import CP_ANEMIC, EYES_DEFY, PAGES, parse_args

DATA = (CP_ANEMIC, EYES_DEFY / "labels.csv")
KS = (10, 20, 40, 80)
DRAWS = 20
MIN_TEST = 20  # a k is left out where fewer people would remain to test on
SEED = 0


def site_rows(t: adults.Table, base: np.ndarray, site: str) -> adapter_choice.Rows:
    here = t.population == site
    f64 = np.float64
    return adapter_choice.Rows(
        base,
        t.colour[here].astype(f64),
        t.meta[here].astype(f64),
        t.hb[here].astype(f64),
        t.threshold[here],
    )


def draw(rows: adapter_choice.Rows, k: int, d: int) -> tuple[float, float, float, str]:
    """Adapt on k random people, test on the rest: (unadapted MAE, adapted MAE, MAE of the
    k people's mean Hb, kind)."""
    order = np.random.default_rng([SEED, k, d]).permutation(len(rows))
    train, test = rows.take(order[:k]), rows.take(order[k:])
    fitted = adapter_choice.choose_and_fit(train, seed=d)
    err = np.abs(fitted.predict(test) - test.hb).mean()
    mean = np.abs(train.hb.mean() - test.hb).mean()
    return float(np.abs(test.base - test.hb).mean()), float(err), float(mean), fitted.kind


def table(
    t: adults.Table, bases: dict[str, np.ndarray], included: dict[str, float]
) -> list[dict[str, object]]:
    out = []
    for site, base in bases.items():
        rows = site_rows(t, base, site)
        for k in (k for k in KS if len(rows) - k >= MIN_TEST):
            runs = [draw(rows, k, d) for d in range(DRAWS)]
            un, ad, mean = (np.array([r[i] for r in runs]) for i in (0, 1, 2))
            kinds = Counter(r[3] for r in runs)
            out.append(
                {
                    "site": site,
                    "k": k,
                    "n_test": len(rows) - k,
                    "mae_unadapted": round(float(un.mean()), 3),
                    "mae_adapted": round(float(ad.mean()), 3),
                    "mae_adapted_sd": round(float(ad.std()), 3),
                    "mae_mean_of_k": round(float(mean.mean()), 3),
                    "mae_included": included[site],
                    "kinds": dict(kinds.most_common()),
                }
            )
            print(out[-1], flush=True)
    return out


def markdown(rows: list[dict[str, object]]) -> str:
    head = (
        "| population | k | tested on | unadapted MAE | adapted MAE (SD over draws) | "
        "the k's mean Hb | included MAE | adapted - included | kinds chosen |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        gap = float(r["mae_adapted"]) - float(r["mae_included"])  # type: ignore[arg-type]
        kinds = ", ".join(f"{k} {v}" for k, v in r["kinds"].items())  # type: ignore[attr-defined]
        lines.append(
            f"| {r['site']} | {r['k']} | {r['n_test']} | {r['mae_unadapted']:.2f} | "
            f"{r['mae_adapted']:.2f} ({r['mae_adapted_sd']:.2f}) | "
            f"{r['mae_mean_of_k']:.2f} | {r['mae_included']:.2f}"
            f" | {gap:+.2f} | {kinds} |"
        )
    return "\n".join(lines)


def plot(rows: list[dict[str, object]], path: Path) -> None:
    sites = sorted({str(r["site"]) for r in rows})
    fig, axes = plt.subplots(1, len(sites), figsize=(4 * len(sites), 3.4), sharey=True)
    for ax, site in zip(np.atleast_1d(axes), sites, strict=True):
        rs = [r for r in rows if r["site"] == site]
        ks = [r["k"] for r in rs]
        for key, style, label in (
            ("mae_unadapted", "k--", "unadapted"),
            ("mae_adapted", "o-", "adapted on k"),
            ("mae_included", "g:", "trained with it"),
        ):
            ax.plot(ks, [r[key] for r in rs], style, label=label)
        ax.set(title=site, xlabel="k people adapted on", xscale="log", xticks=ks)
        ax.minorticks_off()
        ax.set_xticklabels([str(k) for k in ks])
    np.atleast_1d(axes)[0].set_ylabel("MAE on the rest, g/dL")
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parse_args(__doc__)
    samples, _ = training.load_samples(DATA)
    served = [s for v in training.split(samples).values() for s in v]
    t = adults.table(served)
    bases = adults.leave_site_out(t, SEED)
    metrics_path = WEIGHTS / "metrics.json"
    metrics = json.loads(metrics_path.read_text())
    included = {site: float(metrics["populations"][site]["mae"]) for site in bases}
    rows = table(t, bases, included)
    plot(rows, PAGES / "adaptation.png")
    text = (__doc__ or "").strip()
    (PAGES / "adaptation.md").write_text(
        f"# Adapting to a new population\n\n{text}\n\n{markdown(rows)}\n\n![MAE against k]"
        "(adaptation.png)\n"
    )
    metrics["adaptation"] = [
        {key: r[key] for key in ("site", "k", "mae_unadapted", "mae_adapted", "mae_included")}
        for r in rows
    ]
    metrics_path.write_text(json.dumps(metrics, indent=2) + "\n")


if __name__ == "__main__":
    main()
