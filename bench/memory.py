"""Peak memory of one photo's screening: an ordinary photo (a 1280x960 JPEG as a chat delivers
it) beside the costliest inputs the decoder still accepts (bot/pipeline/decode.py): the largest
8-bit PNG with transparency, 16-bit PNG, float TIFF and HEIC under the decoding budget, and a
JPEG large enough to be read at reduced scale.

Each input is screened in a fresh process that has loaded the models and screened the ordinary
photo twice (JIT compilation done, malloc settled); the kernel's peak-RSS mark is then reset
(/proc/self/clear_refs, Linux) and one screening of the input read from the new peak
(VmHWM), and its time, each screening with the research cut-out (the costliest case: a person
who keeps it). "Above ordinary" is that peak minus the ordinary photo's, both measured so.
Run: python -m bench.memory [--only ordinary png-rgba ...]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from bench.baseline import PERSON, real_photos
from bot.pipeline.decode import (
    CODES,
    MAX_DECODE_BYTES,
    MAX_PIXELS,
    ORIENTATION,
    ImageRejected,
    decode_cost,
)
from bot.pipeline.screening import Screener
from testbed.icc import display_profile, tagged_jpeg

ROOT = Path(__file__).resolve().parents[1]
BAR_MB = 300.0  # the worst accepted input may cost at most this much above an ordinary photo


def _ordinary() -> bytes:
    return real_photos(1)[0][0]


def _scaled(pixels: int, sharp: bool = False) -> Image.Image:
    """The ordinary photo scaled up (same aspect) to about `pixels` pixels; `sharp`: by
    repeating pixels, which a lossless format compresses into a file Telegram can carry."""
    resample = Image.Resampling.NEAREST if sharp else Image.Resampling.BICUBIC
    with Image.open(io.BytesIO(_ordinary())) as img:
        k = math.sqrt(pixels / (img.width * img.height))
        return img.convert("RGB").resize((int(img.width * k), int(img.height * k)), resample)


def _encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _png_rgba(pixels: int) -> bytes:
    img = _scaled(pixels, sharp=True)
    img.putalpha(255)  # opaque, but decoded with its alpha band
    return _encode(img, "PNG")


def _jpeg_tagged_turned(pixels: int) -> bytes:
    """A Display P3 photo lying on its side: decoding turns it and converts its colours."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    jpeg = _encode(
        _scaled(pixels).transpose(Image.Transpose.ROTATE_90),
        "JPEG",
        quality=90,
        exif=exif.tobytes(),
    )
    return tagged_jpeg(jpeg, display_profile())


def _png16(pixels: int) -> bytes:
    grey = np.asarray(_scaled(pixels, sharp=True).convert("L"), np.uint16) * 257
    return _encode(Image.fromarray(grey), "PNG")


def _tiff_float(pixels: int) -> bytes:
    grey = np.asarray(_scaled(pixels, sharp=True).convert("L"), np.float32) / 255
    return _encode(Image.fromarray(grey), "TIFF", compression="tiff_adobe_deflate")


def _heic(pixels: int) -> bytes:
    return _encode(_scaled(pixels), "HEIF", quality=80)


def _jpeg_drafted(pixels: int) -> bytes:
    """Four times the most pixels a JPEG may have: libjpeg decodes it at a smaller scale."""
    return _encode(_scaled(4 * pixels), "JPEG", quality=90)


INPUTS: dict[str, Callable[[int], bytes]] = {
    "ordinary": lambda _: _ordinary(),
    "png-rgba": _png_rgba,
    "jpeg-p3-turned": _jpeg_tagged_turned,
    "png-16bit": _png16,
    "tiff-float": _tiff_float,
    "heic": _heic,
    "jpeg-drafted": _jpeg_drafted,
}


def largest(make: Callable[[int], bytes]) -> bytes:
    """`make`'s input with the most pixels the decoding budget accepts (1% below it, for the
    rounding of the sides)."""
    sample = 1_000_000
    per_pixel = decode_cost(make(sample)) / sample
    return make(int(0.99 * min(MAX_PIXELS, MAX_DECODE_BYTES / per_pixel)))


def _peak_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def one(name: str) -> dict[str, object]:
    """In this process: warm up on the ordinary photo, then the peak of screening `name`."""
    data = _ordinary() if name == "ordinary" else largest(INPUTS[name])
    screener = Screener()
    for _ in range(2):
        screener.screen(_ordinary(), PERSON, with_cutout=True)
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak-RSS mark to the current RSS
    outcome, started = "screened", time.perf_counter()
    try:  # with the research cut-out: the costliest case, a person who keeps it
        screener.screen(data, PERSON, with_cutout=True)
    except ImageRejected as e:
        outcome = f"refused: {e.code}"
    seconds = time.perf_counter() - started
    with Image.open(io.BytesIO(data)) as img:
        size, mode = img.size, img.mode
    return {
        "input": name,
        "kb": len(data) // 1024,
        "size": size,
        "mode": mode,
        "cost_mb": decode_cost(data) / 2**20,
        "outcome": outcome,
        "peak_mb": _peak_kb() / 1024,
        "s": seconds,
    }


def measure(names: list[str]) -> list[dict[str, object]]:
    """Each input measured by `one` in a fresh interpreter."""
    rows = []
    for name in names:
        command = [sys.executable, "-m", "bench.memory", "--one", name]
        done = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
        rows.append(json.loads(done.stdout.splitlines()[-1]))
    return rows


def table(rows: list[dict[str, object]]) -> list[str]:
    """Markdown rows: each input's peak and its excess over the ordinary photo's."""
    base = next((float(str(r["peak_mb"])) for r in rows if r["input"] == "ordinary"), None)
    out = [
        "| input | file KB | size, mode | outcome | s | peak MB | above ordinary MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        peak = float(str(r["peak_mb"]))
        above = "" if base is None or r["input"] == "ordinary" else f"{peak - base:+.0f}"
        size = "x".join(map(str, r["size"]))  # type: ignore[call-overload]
        out.append(
            f"| {r['input']} | {r['kb']} | {size} {r['mode']} | {r['outcome']} "
            f"| {float(str(r['s'])):.2f} | {peak:.0f} | {above} |"
        )
    return out


def worst_above(rows: list[dict[str, object]]) -> float:
    """MB above the ordinary photo's peak of the costliest input the decoder accepted (a gate
    may still have refused it after decoding)."""
    base = next(float(str(r["peak_mb"])) for r in rows if r["input"] == "ordinary")
    accepted = [r for r in rows if str(r["outcome"]).removeprefix("refused: ") not in CODES]
    return max(float(str(r["peak_mb"])) - base for r in accepted)


def verdict(rows: list[dict[str, object]]) -> str:
    worst = worst_above(rows)
    met = "met" if worst <= BAR_MB else "NOT met"
    return (
        f"worst input the decoder accepts: {worst:+.0f} MB above an ordinary photo "
        f"(target <= {BAR_MB:.0f} MB: {met})"
    )


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    p.add_argument("--only", nargs="+", choices=list(INPUTS), help="these inputs (default all)")
    p.add_argument("--one", choices=list(INPUTS), help=argparse.SUPPRESS)  # the measuring child
    a = p.parse_args()
    if a.one:
        print(json.dumps(one(a.one)))
        return 0
    names = a.only or list(INPUTS)
    if "ordinary" not in names:
        names = ["ordinary", *names]
    rows = measure(names)
    print("\n".join(table(rows)) + "\n\n" + verdict(rows))
    return 0 if worst_above(rows) <= BAR_MB else 1


if __name__ == "__main__":
    sys.exit(main())
