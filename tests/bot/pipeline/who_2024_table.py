"""WHO 2024 Table 1, written out by hand for the tests, apart from `bot.pipeline.risk`.

World Health Organization (2024). "Guideline on haemoglobin cutoffs to define anaemia in
individuals and populations". Geneva: WHO. ISBN 9789240088542. Table 1: haemoglobin cutoffs
to define anaemia and its severity, at sea level, in g/L as the guideline prints them.

Each row: population -> (anaemia if Hb below, mild range, moderate range, severe if Hb below),
ranges inclusive, whole g/L. The cut-offs of every row match secondary sources quoting the
guideline; the mild and moderate ranges of the two 105 g/L rows (children 6-23 months, second
trimester) are our reading of the table and were not checked against a copy of it. The other
rows' ranges are those of WHO's 2011 table (WHO/NMH/NHD/MNM/11.1), which the 2024 guideline
keeps.
"""

from __future__ import annotations

Range = tuple[int, int]
Row = tuple[int, Range, Range, int]

WHO_2024_TABLE_1: dict[str, Row] = {
    "Children 6-23 months": (105, (95, 104), (70, 94), 70),
    "Children 24-59 months": (110, (100, 109), (70, 99), 70),
    "Children 5-11 years": (115, (110, 114), (80, 109), 80),
    "Children 12-14 years": (120, (110, 119), (80, 109), 80),
    "Non-pregnant women 15 years and over": (120, (110, 119), (80, 109), 80),
    "Men 15 years and over": (130, (110, 129), (80, 109), 80),
    "Pregnant women, first trimester": (110, (100, 109), (70, 99), 70),
    "Pregnant women, second trimester": (105, (95, 104), (70, 94), 70),
    "Pregnant women, third trimester": (110, (100, 109), (70, 99), 70),
}

# Elevation of residence -> g/L added to every cut-off, as (lowest metres, highest metres
# or None, g/L), written out by hand apart from `bot.pipeline.risk`. NOT CONFIRMED against the
# 2024 guideline's own elevation table, whose values no source we could search quotes: these
# are WHO's earlier values (WHO/UNICEF/UNU 2001), as the R package micronutr encodes them.
WHO_ELEVATION_G_L: list[tuple[int, int | None, int]] = [
    (1000, 1499, 2),
    (1500, 1999, 5),
    (2000, 2499, 8),
    (2500, 2999, 13),
    (3000, 3499, 19),
    (3500, 3999, 27),
    (4000, 4499, 35),
    (4500, None, 45),
]
