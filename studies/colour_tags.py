"""What reading a colour-tagged photo as stored would cost: `python -m studies.colour_tags`.

Each picture is screened twice by the model that serves its people: as it is (untagged, so
sRGB by convention), and as the same pixels tagged with a Display P3-like profile
(`testbed.icc`: P3 colorants, a 2.2 gamma), which says its numbers are P3 colours; the service
converts it to sRGB before any model sees it (`bot.pipeline.colour`). The shift between the
two estimates is the error a P3-tagged photo would carry if its tag were ignored: the same
numbers read as sRGB make a paler eyelid than the P3 colours they stand for. Adults: the 66
Eyes-defy whole photos through the adults' model. Children: the CP-AnemiC cut-outs (one per
picture after removing duplicates), each with the child's own age and sex, through the
children's CNN. Both models were trained on these pictures, so the shift, not the estimate,
is the figure. Writes docs/cv/colour_tags.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from bot.pipeline.decode import ImageRejected
from bot.pipeline.risk import Person
from bot.pipeline.screening import Screener
from bot.training.data import cpanemic, deduplicate
from model import WEIGHTS
from studies import CP_ANEMIC, EYES_DEFY, PAGES, parse_args
from testbed.icc import display_profile, tagged_jpeg, tagged_png

OUT = PAGES / "colour_tags.md"
Tag = Callable[[bytes, bytes], bytes]


def adults() -> Iterable[tuple[bytes, Person]]:
    for path in sorted((EYES_DEFY / "photos").glob("*.jpg")):
        yield path.read_bytes(), Person(age_months=360.0, sex="f")  # the adults' model


def children() -> Iterable[tuple[bytes, Person]]:
    for s in deduplicate(cpanemic.load(CP_ANEMIC), tolerance=0.0, near=False)[0]:
        path = cpanemic.image_path(CP_ANEMIC, s.key)
        if path is not None and s.age_months is not None and s.sex is not None:
            yield path.read_bytes(), Person(age_months=s.age_months, sex=s.sex)


def shifts(screener: Screener, items: Iterable[tuple[bytes, Person]], tag: Tag) -> np.ndarray:
    """Estimate from the tagged copy (converted) minus estimate from the picture as sRGB."""
    icc, out = display_profile("Display P3 (test)"), []
    for data, person in items:
        try:
            plain, tagged = screener.screen(data, person), screener.screen(tag(data, icc), person)
        except ImageRejected:
            continue
        out.append(tagged.hb_g_dl - plain.hb_g_dl)
    return np.array(out)


def main() -> None:
    parse_args(__doc__)
    screener = Screener(WEIGHTS)
    rows = [
        "| population | pictures | mean shift g/dL | median abs shift | 90th percentile abs |",
        "|---|---|---|---|---|",
    ]
    for name, items, tag in (
        ("adults, Eyes-defy whole photos", adults(), tagged_jpeg),
        ("children, CP-AnemiC cut-outs", children(), tagged_png),
    ):
        d = shifts(screener, items, tag)
        rows.append(
            f"| {name} | {len(d)} | {d.mean():+.2f} | {np.median(abs(d)):.2f} "
            f"| {np.percentile(abs(d), 90):.2f} |"
        )
    intro = (__doc__ or "").split("\n\n", 1)[1].split("Writes")[0].strip()
    made = "Made by `python -m studies.colour_tags`."
    OUT.write_text("\n".join(["# Colour-tagged photos", "", intro, "", *rows, "", made]) + "\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
