"""The answers of this checkout against another's (e.g. `git worktree add ../head HEAD~3`, the
commit before a speed-up): do both give the same refusals, masks and estimates?

Each tree screens, in a process of its own with its own code and weights, every image of the
shared data with the person's own age and sex: CP-AnemiC's cut-outs, the Eyes-defy whole-eye
photos, and the Eyes-defy conjunctiva crops sent as cut-outs (RGBA PNG, alpha from the drawn
mask). The estimate is read unrounded. Per population: the refusals that differ, the smallest
Dice between the two trees' masks, the largest change of the estimate, and each tree's MAE
against lab Hb beside the MAE of the images' mean Hb. The shipped weights were fitted on these
people: the MAEs are in-sample, a check that a change did not move them, never an accuracy
figure (those are in model/weights/metrics.json). CP-AnemiC counts every file, its duplicates
with conflicting Hb included.
Run: python -m bench.answers OTHER_TREE
"""

from __future__ import annotations

import argparse
import csv
import glob
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench.baseline import REAL

ROOT = Path(__file__).resolve().parents[1]
DATA = REAL.parents[1]  # ../shared/data

# the worker uses only the pipeline's public API, which every tree since c5e034f has
WORKER = """
import json, sys
import numpy as np
from bot.pipeline import screening
from bot.pipeline.decode import ImageRejected, decode
from bot.pipeline.risk import Person
if hasattr(screening, "shown"):  # the estimate unrounded, whichever way the tree rounds it
    screening.shown = float
else:
    screening.round = lambda x, n=None: float(x)
images, out = json.loads(sys.argv[1]), sys.argv[2]
screener, answers, masks = screening.Screener(), [], {}
for i, (path, age, sex) in enumerate(images):
    try:
        result, mask = screener.screen_with_mask(decode(open(path, "rb").read()), Person(age, sex))
    except ImageRejected as e:
        answers.append({"refused": e.code})
        continue
    answers.append({"hb": result.hb_g_dl})
    masks[str(i)] = np.packbits(mask)
json.dump(answers, open(out + ".json", "w"))
np.savez_compressed(out + ".npz", **masks)
"""

Item = tuple[str, float, float, str | None, str]  # path, lab Hb, age in months, sex, population
Answers = tuple[list[dict[str, Any]], dict[str, np.ndarray]]  # per image; packed masks by index


def images(cutouts: Path) -> list[Item]:
    """Every labelled image of the shared data; the Eyes-defy crops written to `cutouts`."""
    out: list[Item] = []
    sheet = DATA / "cp-anemic" / "Anemia_Data_Collection_Sheet.csv"
    for r in csv.DictReader(sheet.open(encoding="utf-8-sig")):
        for path in glob.glob(str(DATA / "cp-anemic" / "*" / f"{r['IMAGE_ID']}.png")):
            sex = {"Female": "f", "Male": "m"}.get(r["GENDER"].strip())
            out.append((path, float(r["HB_LEVEL"]), float(r["Age(Months)"]), sex, "CP-AnemiC"))
    for r in csv.DictReader((DATA / "eyes-defy" / "labels.csv").open()):
        person = (float(r["hb"]), float(r["age_months"]), r["sex"])
        photo = REAL / f"{r['patient']}.jpg"
        if photo.is_file():
            out.append((str(photo), *person, f"Eyes-defy {r['country']}, whole photos"))
        crop = cutouts / f"{r['patient']}.png"
        if _cutout(DATA / "eyes-defy" / r["image"], DATA / "eyes-defy" / r["mask"], crop):
            out.append((str(crop), *person, f"Eyes-defy {r['country']}, cut-outs"))
    return out


def _cutout(image: Path, mask: Path, out: Path) -> bool:
    """The crop as an RGBA PNG, alpha 255 on its drawn mask; False where the two differ in size."""
    rgb = np.asarray(Image.open(image).convert("RGB"))
    alpha = (np.asarray(Image.open(mask).convert("L")) > 127).astype(np.uint8) * 255
    if alpha.shape != rgb.shape[:2]:
        return False
    buf = io.BytesIO()
    Image.fromarray(np.dstack([rgb, alpha])).save(buf, "PNG")
    out.write_bytes(buf.getvalue())
    return True


def screen(tree: Path, todo: list[Item], out: Path) -> Answers:
    """`tree`'s answers and packed masks for `todo`, screened in a process of its own."""
    arg = json.dumps([(path, age, sex) for path, _, age, sex, _ in todo])
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, "-c", WORKER, arg, str(out)], cwd=tree, env=env, check=True)
    with np.load(f"{out}.npz") as masks:
        return json.loads(Path(f"{out}.json").read_text()), dict(masks)


def dice(a: np.ndarray, b: np.ndarray) -> float:
    """Dice of two packed boolean masks of the same size."""
    both = int(np.unpackbits(a & b).sum())
    total = int(np.unpackbits(a).sum() + np.unpackbits(b).sum())
    return 1.0 if total == 0 else 2 * both / total


def table(todo: list[Item], this: Answers, other: Answers) -> list[str]:
    """Markdown rows, one per population: refusals, masks, estimates and in-sample MAEs."""
    rows = [
        "| population | images | screened | refusals differing | smallest Dice | largest "
        "change, g/dL | MAE this / other | MAE of the mean |",
        "|" + "---|" * 8,
    ]
    for pop in dict.fromkeys(p for *_, p in todo):
        idx = [i for i, item in enumerate(todo) if item[4] == pop]
        differ = sum(this[0][i].get("refused") != other[0][i].get("refused") for i in idx)
        both = [i for i in idx if "hb" in this[0][i] and "hb" in other[0][i]]
        lab = np.array([todo[i][1] for i in both])
        est = [np.array([t[0][i]["hb"] for i in both]) for t in (this, other)]
        worst = min((dice(this[1][str(i)], other[1][str(i)]) for i in both), default=1.0)
        change = float(np.abs(est[0] - est[1]).max()) if both else 0.0
        mae = [float(np.abs(e - lab).mean()) if both else float("nan") for e in est]
        base = float(np.abs(lab - lab.mean()).mean()) if both else float("nan")
        rows.append(
            f"| {pop} | {len(idx)} | {len(both)} | {differ} | {worst:.4f} | {change:.3f} "
            f"| {mae[0]:.3f} / {mae[1]:.3f} | {base:.3f} |"
        )
    return rows


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.answers", description=__doc__)
    p.add_argument("other", type=Path, help="the other checkout's root")
    a = p.parse_args()
    if not REAL.is_dir():
        raise SystemExit(f"bench: no shared data at {DATA}")
    with tempfile.TemporaryDirectory() as tmp:
        todo = images(Path(tmp))
        this = screen(ROOT, todo, Path(tmp) / "this")
        other = screen(a.other.resolve(), todo, Path(tmp) / "other")
    print(f"{len(todo)} images, this checkout against {a.other}\n")
    print("\n".join(table(todo, this, other)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
