"""Write `screening.json`: what the pipeline answered, before its speed-ups, on real photos and
cut-outs (`test_expected.py` holds today's pipeline to it).

Computed once from the pipeline as it was (main at ff6c3fb, the same answers as c5e034f);
run it again only when the models or the gates change on purpose:

    python -m tests.bot.pipeline.expected.make

After one model is retrained, renew only its person's estimates, on the masks kept:

    python -m tests.bot.pipeline.expected.make --only child
"""

from __future__ import annotations

import argparse
import base64
import json
import zlib
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bot.pipeline.decode import ImageRejected, decode
from bot.pipeline.result import Estimate
from bot.pipeline.risk import Person
from bot.pipeline.screening import Screener

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[3] / ".." / "shared" / "data"
PHOTOS = SHARED / "eyes-defy" / "photos"
CUTOUTS = SHARED / "cp-anemic"
PEOPLE = {"child": Person(36.0), "adult": Person(360.0, "f")}
N_PHOTOS = 12  # the first Eyes-defy whole photos by name (as bench.baseline sends them)
N_LAST = 3  # and the last ones
N_CUTOUTS = 4  # CP-AnemiC cut-outs: the first two by name, and the last two
# pictures the gates refuse, made from the first photo (as PNG: decoded to the same pixels)
SPOILT = {
    "dark": lambda rgb: rgb // 6,
    "grey": lambda rgb: np.repeat(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2),
    "blurred": lambda rgb: cv2.GaussianBlur(rgb, (0, 0), 8),
    "flat": lambda rgb: np.full_like(rgb, 128),
}


def inputs() -> list[Path]:
    """The photos and cut-outs the expectations cover, as paths relative to SHARED."""
    photos = sorted(PHOTOS.glob("*.jpg"))
    cutouts = [p for d in ("Anemic", "Non-anemic") for p in sorted((CUTOUTS / d).glob("*.png"))]
    half = N_CUTOUTS // 2
    return [*photos[:N_PHOTOS], *photos[-N_LAST:], *cutouts[:half], *cutouts[-half:]]


def pack(mask: np.ndarray) -> str:
    """A boolean mask as base64 of its zlib-compressed bits."""
    return base64.b64encode(zlib.compress(np.packbits(mask).tobytes(), 9)).decode()


def unpack(text: str, shape: tuple[int, int]) -> np.ndarray:
    bits = np.frombuffer(zlib.decompress(base64.b64decode(text)), np.uint8)
    return np.unpackbits(bits)[: shape[0] * shape[1]].reshape(shape).astype(bool)


def spoilt(how: str) -> bytes:
    """The first photo spoilt `how` (SPOILT), as PNG bytes."""
    rgb = decode(sorted(PHOTOS.glob("*.jpg"))[0].read_bytes()).rgb
    ok, buf = cv2.imencode(".png", cv2.cvtColor(SPOILT[how](rgb), cv2.COLOR_RGB2BGR))
    assert ok
    return buf.tobytes()


def read(name: str) -> bytes:
    """An input's bytes by its `file` in screening.json: a path under SHARED or spoilt:HOW."""
    kind, _, how = name.partition(":")
    return spoilt(how) if kind == "spoilt" else (SHARED / name).read_bytes()


def names() -> list[str]:
    return [str(p.relative_to(SHARED)) for p in inputs()] + [f"spoilt:{h}" for h in SPOILT]


def answer(got: Estimate) -> dict[str, float | None]:
    """One model's unrounded estimate, half-width and map share, as screening.json keeps them."""
    return {"hb": got.hb, "half_width": got.half_width, "share": got.attention_lower_half}


def expected(screener: Screener, name: str) -> dict[str, object]:
    """The mask, each model's unrounded estimate and Grad-CAM share, or the refusal's code."""
    decoded = decode(read(name))
    row: dict[str, object] = {"file": name}
    try:
        result, mask = screener.screen_with_mask(decoded, PEOPLE["child"])
    except ImageRejected as e:
        return row | {"refused": e.code}
    row |= {"shape": list(mask.shape), "mask": pack(mask), "source": result.source}
    for who, person in PEOPLE.items():
        got = screener.estimate(decoded.rgb, mask, person)
        row[who] = answer(got)
    return row


def renewed(screener: Screener, row: dict[str, Any], who: str) -> dict[str, Any]:
    """`row` with `who`'s estimate made again on the row's own mask (the rest kept)."""
    if "refused" in row:
        return row
    h, w = row["shape"]
    mask = unpack(row["mask"], (h, w))
    got = screener.estimate(decode(read(str(row["file"]))).rgb, mask, PEOPLE[who])
    return row | {who: answer(got)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=tuple(PEOPLE), help="renew this person's estimates")
    only = parser.parse_args().only
    screener = Screener()
    if only:
        old = json.loads((HERE / "screening.json").read_text())
        rows = [renewed(screener, row, only) for row in old]
    else:
        rows = [expected(screener, name) for name in names()]
    (HERE / "screening.json").write_text(json.dumps(rows, indent=1) + "\n")
    print(f"{len(rows)} inputs, {sum('refused' in r for r in rows)} refused")


if __name__ == "__main__":
    main()
