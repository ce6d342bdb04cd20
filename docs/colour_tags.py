"""What reading a colour-tagged photo as stored would cost: `python -m docs.colour_tags`.

Each Eyes-defy whole photo (untagged, so sRGB by convention) is sent twice through the shipped
pipeline: as it is, and as the same JPEG bytes tagged with a Display P3-like profile
(`testbed.icc`: P3 colorants, a 2.2 gamma), which says its numbers are P3 colours; the service
converts it to sRGB before any model sees it (`bot.pipeline.colour`). The shift between the
two estimates is the error a P3-tagged photo would carry if its tag were ignored: the same
numbers read as sRGB make a paler eyelid than the P3 colours they stand for. The estimates are
the shipped models' (trained on these photos for adults), so the shift, not the estimate, is
the figure. Writes
docs/cv/colour_tags.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.pipeline.decode import ImageRejected
from bot.pipeline.risk import Person
from bot.pipeline.screening import Screener
from model import WEIGHTS
from testbed.icc import display_profile, tagged_jpeg

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT / ".." / "shared" / "data" / "eyes-defy" / "photos"
OUT = ROOT / "docs" / "cv" / "colour_tags.md"
PEOPLE = {"adult (30 years, female)": Person(age_months=360.0, sex="f"),
          "child (3 years, female)": Person(age_months=36.0, sex="f")}  # fmt: skip


def shifts(screener: Screener, person: Person, icc: bytes) -> np.ndarray:
    """Estimate from the tagged copy (converted) minus estimate from the photo read as sRGB."""
    out = []
    for path in sorted(PHOTOS.glob("*.jpg")):
        data = path.read_bytes()
        try:
            plain, tagged = (
                screener.screen(data, person),
                screener.screen(tagged_jpeg(data, icc), person),
            )
        except ImageRejected:
            continue
        if plain.hb_g_dl is not None and tagged.hb_g_dl is not None:
            out.append(tagged.hb_g_dl - plain.hb_g_dl)
    return np.array(out)


def main() -> None:
    screener, icc = Screener(WEIGHTS), display_profile("Display P3 (test)")
    rows = ["| served as | photos | mean shift g/dL | median abs shift | 90th percentile abs |",
            "|---|---|---|---|---|"]  # fmt: skip
    for name, person in PEOPLE.items():
        d = shifts(screener, person, icc)
        rows.append(f"| {name} | {len(d)} | {d.mean():+.2f} | {np.median(abs(d)):.2f} "
                    f"| {np.percentile(abs(d), 90):.2f} |")  # fmt: skip
    intro = (__doc__ or "").split("\n\n", 1)[1].split("Writes")[0].strip()
    OUT.write_text("\n".join(["# Colour-tagged photos", "", intro, "", *rows]) + "\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
