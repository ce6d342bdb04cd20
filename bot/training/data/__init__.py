"""Labelled conjunctiva images from disk: one `Sample` type, de-duplication and leak-free folds.

Loaders for each layout live beside this file (`cpanemic`, `eyes_defy`, `table`); they all
return `list[Sample]` so training and evaluation never care where the pictures came from.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from bot.pipeline import colour

Sex = Literal["f", "m"]


@dataclass(frozen=True, eq=False)
class Sample:
    """One labelled image: RGB pixels, the conjunctiva mask and what we know of the child."""

    key: str  # identifier inside its source (file stem or IMAGE_ID)
    image: np.ndarray  # (H, W, 3) uint8 RGB
    mask: np.ndarray  # (H, W) bool, True on the palpebral conjunctiva
    hb: float  # lab haemoglobin, g/dL
    age_months: float | None = None
    sex: Sex | None = None
    group: str | None = None  # hospital or site, for grouped folds
    digest: str = ""  # sha256 of the image file bytes: equal digests mean the same picture
    dataset: str = ""  # where it came from: "cp-anemic", "eyes-defy", a programme's folder
    site: str | None = None  # a country or site inside the dataset, lower case

    @property
    def population(self) -> str:
        """The key its figures are reported under: "eyes-defy-india", "cp-anemic"."""
        return f"{self.dataset}-{self.site}" if self.site else self.dataset


@dataclass(frozen=True)
class DedupReport:
    """What `deduplicate` kept and dropped, so the CLI can print it."""

    rows: int
    distinct: int
    duplicate_groups: int
    conflicting_groups: int
    dropped_keys: tuple[str, ...]
    kept: int


def file_digest(data: bytes) -> str:
    """Content hash used to find byte-identical images filed under different ids."""
    return hashlib.sha256(data).hexdigest()


def decode_rgba(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Decode PNG/JPEG bytes to RGB uint8 and a mask: alpha > 0, else non-black pixels."""
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise ValueError("not a readable image")
    if arr.dtype != np.uint8:  # 16-bit PNGs: keep the top 8 bits
        arr = (arr // 257).astype(np.uint8)
    if arr.ndim == 2:
        arr = cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR)
    icc = colour.embedded_profile(data)  # in sRGB, as the service reads what people send
    if arr.shape[2] == 4:
        rgb = colour.rgb_to_srgb(cv2.cvtColor(arr, cv2.COLOR_BGRA2RGB), icc)
        return rgb, arr[..., 3] > 0
    rgb = colour.rgb_to_srgb(cv2.cvtColor(arr, cv2.COLOR_BGR2RGB), icc)
    return rgb, rgb.max(axis=2) > 8  # cut-outs saved on black: background is (near) zero


def deduplicate(
    samples: Sequence[Sample], *, tolerance: float = 0.0
) -> tuple[list[Sample], DedupReport]:
    """Keep one sample per image content; drop whole groups whose Hb labels disagree.

    Identical bytes filed under two children with different Hb cannot be trusted either way,
    and keeping one copy in train and one in test is exactly the leak behind near-perfect
    published accuracies on CP-AnemiC.
    """
    by_digest: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_digest[s.digest or s.key].append(s)
    kept: list[Sample] = []
    dropped: list[str] = []
    dup_groups = conflicts = 0
    for group in by_digest.values():
        if len(group) > 1:
            dup_groups += 1
            hbs = [g.hb for g in group]
            if max(hbs) - min(hbs) > tolerance:
                conflicts += 1
                dropped.extend(g.key for g in group)
                continue
            dropped.extend(g.key for g in group[1:])
        kept.append(group[0])
    report = DedupReport(
        rows=len(samples),
        distinct=len(by_digest),
        duplicate_groups=dup_groups,
        conflicting_groups=conflicts,
        dropped_keys=tuple(sorted(dropped)),
        kept=len(kept),
    )
    return kept, report


def _merged_groups(samples: Sequence[Sample]) -> list[str]:
    """Group label per sample, merging groups that share an image so no content spans folds."""
    parent: dict[str, str] = {}

    def root(g: str) -> str:
        while parent.setdefault(g, g) != g:
            g = parent[g]
        return g

    first_group: dict[str, str] = {}
    for s in samples:
        g = s.group or "unknown"
        other = first_group.setdefault(s.digest or s.key, g)
        parent[root(g)] = root(other)
    return [root(s.group or "unknown") for s in samples]


def make_folds(
    samples: Sequence[Sample], *, k: int, seed: int, by_group: bool = False
) -> np.ndarray:
    """Fold index per sample; identical content always shares a fold, and so does a group.

    With `by_group` whole hospitals are held out (GroupKFold-style, balanced by size), which
    measures how the model carries to a site it has never seen.
    """
    units = _merged_groups(samples) if by_group else [s.digest or s.key for s in samples]
    uniq = sorted(set(units))
    rng = np.random.default_rng(seed)
    if by_group:
        if len(uniq) < k:
            raise ValueError(
                f"only {len(uniq)} groups for {k} folds once groups sharing an image are merged"
                " (deduplicate first)"
            )
        sizes = {u: units.count(u) for u in uniq}
        order = sorted(uniq, key=lambda u: (-sizes[u], rng.random()))
        load = np.zeros(k)
        unit_fold: dict[str, int] = {}
        names = rng.permutation(k)  # which fold number each bin gets varies with the seed
        for u in order:  # largest group first onto the lightest fold
            f = int(np.argmin(load))
            unit_fold[u] = int(names[f])
            load[f] += sizes[u]
    else:  # stratify by Hb: sort units by label, deal each block of k to the k folds at random
        hb = {s.digest or s.key: s.hb for s in samples}
        order = sorted(uniq, key=lambda u: (hb[u], rng.random()))
        unit_fold = {}
        for start in range(0, len(order), k):
            block = order[start : start + k]
            for u, f in zip(block, rng.permutation(k)[: len(block)], strict=True):
                unit_fold[u] = int(f)
    return np.array([unit_fold[u] for u in units], dtype=np.int32)
