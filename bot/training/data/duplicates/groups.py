"""Images grouped by photograph: identical files, identical pixels, then the finder's matches."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from bot.training.data.duplicates.align import KINDS, Kind
from bot.training.data.duplicates.finder import Scan, scan
from bot.training.data.duplicates.views import picture


@dataclass(frozen=True)
class Link:
    """Images i and j (indices into the input) show one photograph."""

    i: int
    j: int
    kind: Kind


@dataclass(frozen=True)
class Grouping:
    """Which photograph each image shows, and how the copies were found."""

    labels: np.ndarray  # photograph index per image, numbered by first appearance
    links: tuple[Link, ...]
    scan: Scan  # the finder's view of the distinct pixel contents
    seconds: float

    def kind(self, label: int) -> Kind | None:
        """The most changed kind of copy in a group; None for a photograph seen once."""
        kinds = {k.kind for k in self.links if self.labels[k.i] == label}
        return max(kinds, key=KINDS.index) if kinds else None


def _pixel_key(image: np.ndarray, mask: np.ndarray) -> str:
    """Same decoded pixels and mask, whatever the file's bytes (PNG settings, metadata)."""
    h = hashlib.sha256(repr(image.shape).encode())
    h.update(np.ascontiguousarray(image).tobytes())
    h.update(np.packbits(mask).tobytes())
    return h.hexdigest()


def _firsts(keys: Sequence[str], among: Sequence[int], kind: Kind) -> tuple[list[int], list[Link]]:
    """The first index of each key among `among`, and links from the others to it."""
    first: dict[str, int] = {}
    links = []
    for i in among:
        j = first.setdefault(keys[i], i)
        if j != i:
            links.append(Link(j, i, kind))
    return list(first.values()), links


def _labels(n: int, links: Sequence[Link]) -> np.ndarray:
    """Connected components, renumbered by each component's first image."""
    rows, cols = [k.i for k in links], [k.j for k in links]
    graph = coo_matrix((np.ones(len(links)), (rows, cols)), shape=(n, n))
    _, raw = connected_components(graph, directed=False)
    order = {c: i for i, c in enumerate(dict.fromkeys(raw.tolist()))}
    return np.array([order[c] for c in raw.tolist()], dtype=np.int64)


def group(
    images: Sequence[np.ndarray], masks: Sequence[np.ndarray], digests: Sequence[str]
) -> Grouping:
    """Group images showing the same photograph (digests: file hashes, '' when unknown)."""
    start = time.perf_counter()
    n = len(images)
    byte_keys = [d or f"#{i}" for i, d in enumerate(digests)]
    files, byte_links = _firsts(byte_keys, range(n), "identical bytes")
    keyed = set(files)
    pixel_keys = [_pixel_key(images[i], masks[i]) if i in keyed else "" for i in range(n)]
    distinct, pixel_links = _firsts(pixel_keys, files, "same pixels")
    found = scan([picture(images[i], masks[i]) for i in distinct])
    links = byte_links + pixel_links
    links += [Link(distinct[m.a], distinct[m.b], m.kind) for m in found.matches]
    return Grouping(_labels(n, links), tuple(links), found, time.perf_counter() - start)
