"""Labelled conjunctiva images from disk: one `Sample` type, de-duplication and leak-free folds.

Loaders for each layout live beside this file (`cpanemic`, `eyes_defy`, `table`); they all
return `list[Sample]` so training and evaluation never care where the pictures came from.
Copies of one photograph (identical files, re-encoded, shifted, cropped, resized, turned or
mirrored: `duplicates`) are grouped; folds never split a group.
"""

from __future__ import annotations

import dataclasses
import hashlib
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np

from bot.pipeline import colour
from bot.training.data import duplicates

Sex = Literal["f", "m"]

# Hb values of copies of one photograph may differ this much (g/dL) and still count as one
# label: a lab or point-of-care Hb measured twice differs by a few tenths of a g/dL. Beyond
# it at least one label is wrong (or belongs to another child) and we cannot tell which.
HB_TOLERANCE = 0.5
FOLD_RULE = (  # how `deduplicate` and `make_folds` treat copies, for reports and cards
    "folds by photograph: copies of one photo (identical files, re-encoded, shifted, cropped, "
    "resized, turned or mirrored; aligned, and one photo when the mean RGB difference over the "
    f"shared lining is at most {duplicates.RESIDUAL_MAX:g} of 255) are one group; a group whose "
    f"Hb differ by more than {HB_TOLERANCE:g} g/dL is dropped, else one image is kept with the "
    "group's median Hb; no group spans two folds"
)


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
    photo: str = ""  # the photograph shown: the digest of its group's first image ('' = digest)
    dataset: str = ""  # where it came from: "cp-anemic", "eyes-defy", a programme's folder
    site: str | None = None  # a country or site inside the dataset, lower case

    @property
    def population(self) -> str:
        """The key its figures are reported under: "eyes-defy-india", "cp-anemic"."""
        return f"{self.dataset}-{self.site}" if self.site else self.dataset


@dataclass(frozen=True)
class DedupReport:
    """What `deduplicate` found, kept and dropped, so the CLI and the reports can print it."""

    rows: int
    distinct: int  # distinct files (by bytes)
    byte_groups: int  # files saved more than once, byte for byte
    photographs: int  # distinct photographs, each copy of one counted once
    copy_groups: int  # photographs filed more than once, in any form
    kinds: dict[str, int]  # copy groups by the most changed copy in them (`duplicates.KINDS`)
    conflicting_groups: int  # copy groups whose Hb differ by more than `tolerance`: dropped
    differing_groups: int  # copy groups whose Hb differ at all
    multi_site_groups: int  # copy groups filed under more than one hospital or site
    dropped_keys: tuple[str, ...]
    kept: int
    tolerance: float = HB_TOLERANCE
    near: bool = True  # near-duplicates sought (else identical files only)
    gap: tuple[float, float] = (float("nan"), float("nan"))  # `duplicates.Scan.gap`
    unlike_texture: int = 0  # `duplicates.Scan.unlike_texture`
    seconds: float = 0.0  # the search for copies


@dataclass(frozen=True)
class Photos:
    """Samples, each marked with the photograph it shows (`Sample.photo`)."""

    samples: list[Sample]
    grouping: duplicates.Grouping | None = None  # None: grouped by identical bytes only
    groups: dict[str, list[Sample]] = field(init=False)

    def __post_init__(self) -> None:
        groups: dict[str, list[Sample]] = defaultdict(list)
        for s in self.samples:
            groups[unit(s)].append(s)
        object.__setattr__(self, "groups", dict(groups))


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


def unit(s: Sample) -> str:
    """What folds keep together: the photograph, else the file content, else the key."""
    return s.photo or s.digest or s.key


def photo_groups(samples: Sequence[Sample], *, near: bool = True) -> Photos:
    """Mark each sample with its photograph: its group's first digest (by bytes if not near)."""
    if not near:
        return Photos(list(samples))
    grouping = duplicates.group(
        [s.image for s in samples], [s.mask for s in samples], [s.digest for s in samples]
    )
    first: dict[int, Sample] = {}
    for s, label in zip(samples, grouping.labels.tolist(), strict=True):
        first.setdefault(label, s)
    marked = [
        dataclasses.replace(s, photo=first[label].digest or first[label].key)
        for s, label in zip(samples, grouping.labels.tolist(), strict=True)
    ]
    return Photos(marked, grouping)


def _kinds(photos: Photos) -> dict[str, int]:
    """Copy groups by kind: the grouping's, or identical bytes when only bytes were compared."""
    g = photos.grouping
    if g is None:
        return {"identical bytes": sum(len(m) > 1 for m in photos.groups.values())}
    counts = Counter(g.kind(label) for label in set(g.labels.tolist()))
    return {k: counts[k] for k in duplicates.KINDS if counts[k]}


def _sites(members: Sequence[Sample]) -> int:
    return len({s.group or s.site or s.dataset for s in members})


def keep_one(
    photos: Photos, *, tolerance: float = HB_TOLERANCE
) -> tuple[list[Sample], DedupReport]:
    """One sample per photograph: the first loaded, labelled with the group's median Hb;
    a group whose Hb values differ by more than `tolerance` g/dL is dropped whole.

    Copies filed under two children with different Hb cannot be trusted either way, and
    keeping one copy in train and one in test is exactly the leak behind near-perfect
    published accuracies on CP-AnemiC.
    """
    kept: list[Sample] = []
    dropped: list[str] = []
    conflicts = 0
    for members in photos.groups.values():
        hbs = [s.hb for s in members]
        if max(hbs) - min(hbs) > tolerance:
            conflicts += 1
            dropped.extend(s.key for s in members)
            continue
        kept.append(dataclasses.replace(members[0], hb=float(statistics.median(hbs))))
        dropped.extend(s.key for s in members[1:])
    copies = [m for m in photos.groups.values() if len(m) > 1]
    files = Counter(s.digest or s.key for s in photos.samples)
    g = photos.grouping
    report = DedupReport(
        rows=len(photos.samples),
        distinct=len(files),
        byte_groups=sum(n > 1 for n in files.values()),
        photographs=len(photos.groups),
        copy_groups=len(copies),
        kinds=_kinds(photos),
        conflicting_groups=conflicts,
        differing_groups=sum(len({s.hb for s in m}) > 1 for m in copies),
        multi_site_groups=sum(_sites(m) > 1 for m in copies),
        dropped_keys=tuple(sorted(dropped)),
        kept=len(kept),
        tolerance=tolerance,
        near=g is not None,
        gap=g.scan.gap if g else (float("nan"), float("nan")),
        unlike_texture=g.scan.unlike_texture if g else 0,
        seconds=g.seconds if g else 0.0,
    )
    return kept, report


def deduplicate(
    samples: Sequence[Sample], *, tolerance: float = HB_TOLERANCE, near: bool = True
) -> tuple[list[Sample], DedupReport]:
    """One sample per photograph (`keep_one`), copies found in every form (`duplicates`), or
    only identical files when `near` is False."""
    return keep_one(photo_groups(samples, near=near), tolerance=tolerance)


def _merged_groups(samples: Sequence[Sample]) -> list[str]:
    """Group label per sample, merging groups that share a photograph so none spans folds."""
    parent: dict[str, str] = {}

    def root(g: str) -> str:
        while parent.setdefault(g, g) != g:
            g = parent[g]
        return g

    first_group: dict[str, str] = {}
    for s in samples:
        g = s.group or "unknown"
        other = first_group.setdefault(unit(s), g)
        parent[root(g)] = root(other)
    return [root(s.group or "unknown") for s in samples]


def make_folds(
    samples: Sequence[Sample], *, k: int, seed: int, by_group: bool = False
) -> np.ndarray:
    """Fold index per sample; a photograph's copies always share a fold, and so does a group.

    With `by_group` whole hospitals are held out (GroupKFold-style, balanced by size), which
    measures how the model carries to a site it has never seen.
    """
    units = _merged_groups(samples) if by_group else [unit(s) for s in samples]
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
        hb = {unit(s): s.hb for s in samples}
        order = sorted(uniq, key=lambda u: (hb[u], rng.random()))
        unit_fold = {}
        for start in range(0, len(order), k):
            block = order[start : start + k]
            for u, f in zip(block, rng.permutation(k)[: len(block)], strict=True):
                unit_fold[u] = int(f)
    return np.array([unit_fold[u] for u in units], dtype=np.int32)
