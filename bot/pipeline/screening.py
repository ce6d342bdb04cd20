"""One screening: image bytes and what we know of the person -> Hb estimate, interval, risk,
Grad-CAM overlay and plain warnings. Shared by the CLI and the bot.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.pipeline import lazy, malloc, populations
from bot.pipeline.decode import Decoded, ImageRejected, decode
from bot.pipeline.populations import ADULTS, CHILDREN, Cohort
from bot.pipeline.result import Estimate, Screening, refers, warning_codes
from bot.pipeline.risk import Person, classify, shown
from model import WEIGHTS
from model.served import adapter_exists

if TYPE_CHECKING:
    from bot.pipeline import quality
    from model import (
        adapter,
        adult,
        conformal,
        ensemble,
        exported,
        features,
        gradcam,
        jitcache,
        occlusion,
        preprocess,
        segment,
        unet,
    )
else:  # imported on first use: the bot's process needs this module's types, not JAX
    quality = lazy.module("bot.pipeline.quality")
    adapter, adult, conformal, ensemble, exported, features = (
        lazy.module(f"model.{m}")
        for m in ("adapter", "adult", "conformal", "ensemble", "exported", "features")
    )
    gradcam, jitcache, occlusion, preprocess, segment, unet = (
        lazy.module(f"model.{m}")
        for m in ("gradcam", "jitcache", "occlusion", "preprocess", "segment", "unet")
    )

MIN_MASK_PIXELS = 400  # below this the conjunctiva is too small to measure colour reliably


@dataclass(frozen=True)
class Crop:
    """The conjunctiva's bounding box and what every model reads of it, computed once."""

    image: np.ndarray  # (h, w, 3) uint8
    mask: np.ndarray  # (h, w) bool
    colour: np.ndarray  # (F,) `model.features.colour_features`
    meta: np.ndarray  # (4,) `model.preprocess.meta_vector`

    @classmethod
    def of(cls, rgb: np.ndarray, mask: np.ndarray, person: Person) -> Crop:
        return cls.measured(rgb, mask, person)[0]

    @classmethod
    def measured(
        cls, rgb: np.ndarray, mask: np.ndarray, person: Person
    ) -> tuple[Crop, features.Lining]:
        """`of`, and the lining's pixels it measured, which the adults' occlusion map reads
        again (not kept in the crop: tools keep many crops)."""
        image, crop_mask = preprocess.crop(rgb, mask)
        lining = features.lining(image, crop_mask)
        meta = preprocess.meta_vector(person.age_months, person.sex)
        return cls(image, crop_mask, features.statistics(lining), meta), lining


def cutout_mask(decoded: Decoded) -> np.ndarray | None:
    """The conjunctiva mask of a transparent cut-out (like CP-AnemiC's), or None for a photo."""
    alpha = decoded.alpha
    if alpha is None or alpha.mean() > 0.98:  # opaque: an ordinary photo
        return None
    if alpha.sum() < MIN_MASK_PIXELS:
        raise quality.reject("too_small")
    return alpha


def cutout(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The conjunctiva's bounding box as RGBA, alpha 255 on the lining and 0 elsewhere."""
    import cv2  # here: the bot's own process imports this module without OpenCV

    image, crop_mask = preprocess.crop(rgb, mask)
    alpha = crop_mask.view(np.uint8) * np.uint8(255)
    out = cv2.cvtColor(image, cv2.COLOR_RGB2RGBA)
    out[..., 3] = alpha
    # a mask of four channels, not OpenCV's `mask=` argument: the same pixels, 25x faster
    return cv2.bitwise_and(out, cv2.cvtColor(alpha, cv2.COLOR_GRAY2RGBA))


class Screener:
    """Holds the loaded models; `screen` is safe to call from one thread at a time."""

    def __init__(self, weights: Path = WEIGHTS, cache: Path | None = None) -> None:
        """The models in `weights`; their compiled programs kept in `cache` (default
        `model.jitcache.CACHE`)."""
        # whatever process screens (a worker, the bot, the CLI, a benchmark) reuses its
        # photo-sized buffers instead of faulting them in again on every photo
        malloc.tune()
        # Flax and the NNX models' modules load only where a program is missing or stale
        lazy.load(quality, conformal, exported, features, gradcam, jitcache, preprocess, segment)
        lazy.load(occlusion)
        cache = jitcache.CACHE if cache is None else cache
        self._gates = ThreadPoolExecutor(max_workers=1, thread_name_prefix="region-gates")
        jitcache.disk_cache(cache)  # compiled once on this machine, then loaded
        self.model: ensemble.Model | exported.Model = _served(weights, "ensemble")
        self.config = self.model.config
        self.adult: adult.Model | exported.Model | None = None
        self.segmenter: unet.Model | exported.Model | None = None
        if (weights / "adult.msgpack").is_file():
            self.adult = _served(weights, "adult")
        if (weights / "unet.msgpack").is_file():
            self.segmenter = _served(weights, "unet")
        # a programme's adaptations (`anemia-screen adapt`), applied to the served estimate
        self.adapters = {
            c.key: adapter.load(weights, c.key)
            for c in populations.COHORTS
            if adapter_exists(weights, c.key)
        }
        rgb, mask = np.full((96, 128, 3), (180, 60, 60), np.uint8), np.ones((96, 128), bool)
        for person in (Person(36.0), Person(360.0, "f")):  # compile once, before any user
            if self.covers(person):
                self.estimate(rgb, mask, person)
        if self.segmenter is not None:
            segment.probabilities(self.segmenter, rgb)
        malloc.trim()  # loading and compiling left scratch memory no photo reuses

    def covers(self, person: Person) -> bool:
        """Whether a validated model here serves this person."""
        cohort = populations.cohort_of(person)
        return cohort is CHILDREN or (cohort is ADULTS and self.adult is not None)

    def cohort(self, person: Person) -> Cohort:
        """The cohort whose model serves the person; refuses (with why) when none does."""
        cohort = populations.cohort_of(person)
        if isinstance(cohort, str) or not self.covers(person):
            code = f"not_covered_{cohort if isinstance(cohort, str) else 'adults_unavailable'}"
            raise ImageRejected(code)
        return cohort

    def locate(self, rgb: np.ndarray) -> np.ndarray:
        """Find the conjunctiva in a whole photo, or refuse the photo with a reason."""
        return quality.locate(self._segmenter(), rgb).mask

    def _segmenter(self) -> unet.Model | exported.Model:
        if self.segmenter is None:
            raise RuntimeError("no segmentation weights: run `anemia-screen train-seg`")
        return self.segmenter

    def estimate(self, rgb: np.ndarray, mask: np.ndarray, person: Person) -> Estimate:
        """The model serving this person, on the mask's crop (refuses whom none serves)."""
        crop, measured = Crop.measured(rgb, mask, person)
        return self.estimate_crop(crop, person, measured)

    def estimate_crop(
        self, crop: Crop, person: Person, measured: features.Lining | None = None
    ) -> Estimate:
        """`estimate` on a crop already measured (tools that also read its statistics);
        `measured`: its lining's pixels (`Crop.measured`), where they are at hand."""
        cohort = self.cohort(person)
        served = self._child(crop) if cohort is CHILDREN else self._adult(crop, measured)
        fitted = self.adapters.get(cohort.key)
        return served if fitted is None else _adapted(fitted, served, crop)

    def _child(self, crop: Crop) -> Estimate:
        """CNN ensemble with Grad-CAM (ages 6 to under 60 months only: `cohort` saw to it)."""
        cfg = self.config
        x = preprocess.to_input(crop.image, crop.mask, cfg.height, cfg.width)
        ex = gradcam.explain(self.model, x, crop.colour, crop.meta)
        # No Grad-CAM heat at all (NaN share) means no visible evidence: as unreliable as
        # attention outside the lower half, and stored as 0 so the log never holds a NaN.
        share = ex.lower_share if np.isfinite(ex.lower_share) else 0.0
        overlay = gradcam.overlay_jpeg(crop.image, crop.mask, ex.heatmap)
        # weights calibrated before referral margins existed refer whenever the interval
        # reaches below the cut-off: the cautious reading of an uncalibrated rule
        margin = cfg.half_width if np.isnan(cfg.refer_margin) else cfg.refer_margin
        return Estimate(
            ex.estimate,
            cfg.half_width,
            cfg.coverage,
            margin,
            round(share, 3),
            overlay,
            cfg.version,
            cfg.population,
            cfg.attention_threshold,
        )

    def _adult(self, crop: Crop, measured: features.Lining | None) -> Estimate:
        """Colour statistics, age and sex through the adults' model, with its occlusion map
        (how far hiding each part of the lining moves the estimate) as the overlay."""
        assert self.adult is not None  # `cohort` refuses adults when it is missing
        cfg = self.adult.config
        ex = occlusion.of_adult(
            self.adult, crop.image, crop.mask, crop.colour, crop.meta, measured=measured
        )
        hw = float(conformal.width_at(ex.estimate, cfg.bin_edges, cfg.half_widths))
        share = ex.lower_share if np.isfinite(ex.lower_share) else 0.0  # as the children's
        overlay = gradcam.overlay_jpeg(crop.image, crop.mask, ex.heatmap)
        return Estimate(
            ex.estimate,
            hw,
            cfg.coverage,
            cfg.refer_margin,
            round(share, 3),
            overlay,
            cfg.version,
            cfg.population,
            cfg.attention_threshold,
        )

    def screen(self, data: bytes, person: Person, *, with_cutout: bool = False) -> Screening:
        """Screen one image; raises ImageRejected with a friendly message when it cannot.
        `with_cutout`: also return the lining's cut-out (`Screening.cutout`), for research."""
        return self.screen_decoded(decode(data), person, with_cutout=with_cutout)

    def screen_decoded(
        self, decoded: Decoded, person: Person, *, with_cutout: bool = False
    ) -> Screening:
        """Screen an image already decoded by `bot.pipeline.decode.decode`."""
        return self.screen_with_mask(decoded, person, with_cutout=with_cutout)[0]

    def screen_with_mask(
        self, decoded: Decoded, person: Person, *, with_cutout: bool = False
    ) -> tuple[Screening, np.ndarray]:
        """`screen_decoded`, and the conjunctiva mask it measured: (H, W) bool at the size of
        `decoded.rgb` (upright, EXIF applied); for a transparent cut-out, its alpha mask.

        The cut-out (an RGBA crop: 1.4 MB from the median Eyes-defy photo, 11.6 MB from a 12 MP
        one) is made only when asked for: the bot's inference process would otherwise send it
        back with every photo, at 1-17 ms of the bot's CPU (docs/BENCHMARKS.md), for the few
        people who keep theirs."""
        cohort = self.cohort(person)  # before any work: whom no model serves gets no number
        view = self.view(decoded)
        e, mask = self._gated(decoded.rgb, view, person)
        hb, interval = shown(e.hb), (shown(e.hb - e.half_width), shown(e.hb + e.half_width))
        risk = classify(hb, interval, person)  # what is shown is what is classified
        result = Screening(
            hb_g_dl=hb,
            interval=interval,
            coverage=e.coverage,
            risk=risk,
            refer=refers(e, risk),
            attention_lower_half=e.attention_lower_half,
            warnings=warning_codes(e),
            source=view.source,
            area_fraction=round(np.count_nonzero(mask) / mask.size, 4),
            overlay_jpeg=e.overlay_jpeg,
            model_version=e.model_version,
            population=e.population,
            cohort=cohort.key,
            cutout=cutout(decoded.rgb, mask) if with_cutout else None,
        )
        return result, mask

    def view(self, decoded: Decoded) -> View:
        """The conjunctiva as the estimate reads it: a cut-out's alpha (a cut-out still has to
        pass the region gates), or found in a whole photo, at the size it was found."""
        mask = cutout_mask(decoded)
        if mask is None:
            small, found = quality.find_small(self._segmenter(), decoded.rgb)
            return View(small, found.mask, found.confidence, "photo")
        return View(decoded.rgb, mask, 1.0, "cutout")

    def _gated(self, rgb: np.ndarray, view: View, person: Person) -> tuple[Estimate, np.ndarray]:
        """`estimate` on the view, and the view's mask at the size of `rgb` with the region
        gates on it, run beside the estimate on a second thread: they read nothing of each
        other, and NumPy and OpenCV let go of the GIL, so a photo costs about the longer of
        the two, not their sum. A gate that fails refuses the photo, whatever the estimate did.
        The gates read the photo as taken: their glare, blur and size were set there."""
        # scaled up here, not on the gates' thread: there a 20 MP photo's float32 resize
        # (79 MB) overlapped the estimate and raised the peak by 73 MB (docs/BENCHMARKS.md)
        mask = segment.upscaled(view.mask, rgb.shape[:2])
        gates = self._gates.submit(quality.check_region, rgb, mask, view.confidence)
        try:
            estimate = self.estimate(view.image, view.mask, person)
        finally:
            gates.result()
        return estimate, mask


@dataclass(frozen=True)
class View:
    """The picture an estimate reads and the lining in it: a photo at `segment.work_size`,
    the size the lining was found at (a 1280x960 photo at half its sides), or a cut-out as
    sent. The colour statistics, the adults' map and the overlay cost a third as much or
    less on a half-size crop; on the 66 Eyes-defy photos the estimates moved by at most
    0.021 g/dL for an adult and 0.040 for a child, the masks and refusals not at all
    (docs/BENCHMARKS.md), and the CNN reads a 64x128 resize of the crop either way."""

    image: np.ndarray  # (h, w, 3) uint8
    mask: np.ndarray  # (h, w) bool
    confidence: float  # the network's mean probability inside the mask; 1 for a cut-out
    source: str  # "photo" or "cutout"


def _served(weights: Path, name: str) -> Any:
    """The network `name` (`ensemble`, `adult`, `unet`) in `weights`: its exported program where
    it matches the weights (`python -m model.export`), else the NNX model, frozen."""
    program = exported.load(weights, name)
    if program is not None:
        return program
    model = {"ensemble": ensemble, "adult": adult, "unet": unet}[name].load(weights)
    jitcache.freeze(model)  # never trained here: skip NNX's per-call graph work
    return model


def _adapted(fitted: adapter.Model, served: Estimate, crop: Crop) -> Estimate:
    """The programme's adaptation of the served estimate, with its own interval, referral
    margin, version and population; the overlay still shows what the served model saw."""
    cfg = fitted.config
    import jax.numpy as jnp  # here: only the inference process, with an adaptation, needs it

    base = jnp.asarray([served.hb], jnp.float32)
    hb = float(fitted(base, jnp.asarray(crop.colour[None]), jnp.asarray(crop.meta[None]))[0][0])
    hw = float(conformal.width_at(hb, cfg.bin_edges, cfg.half_widths))
    return dataclasses.replace(
        served,
        hb=hb,
        half_width=hw,
        coverage=cfg.coverage,
        refer_margin=cfg.refer_margin,
        model_version=cfg.version,
        population=cfg.population,
    )
