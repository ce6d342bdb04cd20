"""Every pair of pictures that shows one photograph, however the copy was changed.

Candidates: the colour neighbours of each picture and the pairs sharing exact pixel blocks.
Each candidate is aligned by every proposal (shared blocks, frames of matching shape, ORB with
RANSAC on the picture and its mirror image); the best alignment, refined by ECC when it is
close but not exact, decides by its residual (`align.RESIDUAL_MAX`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.training.data.duplicates import align, exact, features
from bot.training.data.duplicates.align import Fit, Kind
from bot.training.data.duplicates.candidates import colour_pairs
from bot.training.data.duplicates.views import Picture

EXACT = 0.5  # a residual this low needs no refinement: lossless copies are at 0-0.2


@dataclass(frozen=True)
class Match:
    """Pictures a and b (indices) show one photograph."""

    a: int
    b: int
    kind: Kind
    residual: float


@dataclass(frozen=True)
class Scan:
    """What the finder saw: its matches, and every candidate pair's best fit."""

    matches: tuple[Match, ...]
    fits: dict[tuple[int, int], Fit | None] = field(default_factory=dict)

    @property
    def gap(self) -> tuple[float, float]:
        """(largest residual of a match, smallest of a candidate pair that did not match)."""
        matched = {(m.a, m.b) for m in self.matches}
        inside = [m.residual for m in self.matches]
        outside = [f.residual for p, f in self.fits.items() if p not in matched and f is not None]
        return max(inside, default=math.nan), min(outside, default=math.nan)

    @property
    def unlike_texture(self) -> int:
        """Pairs close enough in colour whose fine texture did not correlate (not copies)."""
        return sum(
            f is not None and f.residual <= align.RESIDUAL_MAX and f.texture < align.MIN_TEXTURE
            for f in self.fits.values()
        )


def _better(best: Fit | None, fit: Fit) -> Fit | None:
    if fit.overlap < align.MIN_OVERLAP:
        return best
    return fit if best is None or fit.residual < best.residual else best


@dataclass
class _Finder:
    pictures: Sequence[Picture]
    blocks: dict[tuple[int, int], list[np.ndarray]]
    keypoints: dict[int, tuple[features.Keypoints, features.Keypoints]] = field(
        default_factory=dict
    )

    def _points(self, i: int) -> tuple[features.Keypoints, features.Keypoints]:
        if i not in self.keypoints:
            self.keypoints[i] = features.keypoints(self.pictures[i])
        return self.keypoints[i]

    def _orb(self, a: int, b: int) -> list[np.ndarray]:
        return features.proposals(self._points(a), self._points(b), self.pictures[b].mask.shape)

    def fit(self, a: int, b: int) -> Fit | None:
        """The best alignment of b onto a: cheap proposals first, ORB only if they fail."""
        pa, pb, best = self.pictures[a], self.pictures[b], None
        for m in self.blocks.get((a, b), []) + align.frame_proposals(pa, pb):
            best = _better(best, align.measure(pa, pb, m))
        if best is None or not best.match:
            for m in self._orb(a, b):
                best = _better(best, align.measure(pa, pb, m))
        if best is not None and EXACT < best.residual <= align.REFINE_BELOW:
            best = _better(best, align.refine(pa, pb, best.matrix))
        return best


def scan(pictures: Sequence[Picture]) -> Scan:
    """Match every candidate pair of pictures (give each distinct pixel content once)."""
    finder = _Finder(pictures, exact.proposals(pictures))
    matches, fits = [], {}
    for a, b in sorted(colour_pairs(pictures) | finder.blocks.keys()):
        fits[a, b] = fit = finder.fit(a, b)
        if fit is not None and fit.match:
            shapes = pictures[a].mask.shape, pictures[b].mask.shape
            matches.append(Match(a, b, align.kind_of(fit, *shapes), fit.residual))
    return Scan(tuple(matches), fits)
