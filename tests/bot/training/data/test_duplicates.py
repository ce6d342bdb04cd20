"""The near-duplicate finder on copies of real CP-AnemiC photographs made here: every kind of
copy is grouped with its original, and two different photographs are not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from bot.training.data import cpanemic, decode_rgba, duplicates
from bot.training.data.duplicates import views

Pair = tuple[np.ndarray, np.ndarray]  # RGB image, bool mask


def _jpeg(rgb: np.ndarray, mask: np.ndarray) -> Pair:
    ok, buf = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 75]
    )
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    assert ok and decoded is not None
    return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB), mask


def _shift(rgb: np.ndarray, mask: np.ndarray, dy: int = 9, dx: int = 17) -> Pair:
    """The content moved down and right in the same frame (what leaves the frame is lost)."""
    moved, inside = np.zeros_like(rgb), np.zeros_like(mask)
    moved[dy:, dx:], inside[dy:, dx:] = rgb[:-dy, :-dx], mask[:-dy, :-dx]
    return moved, inside


def _crop(rgb: np.ndarray, mask: np.ndarray, keep: float = 0.8) -> Pair:
    """The central `keep` of the frame's height and width."""
    h, w = mask.shape
    y, x = round(h * (1 - keep) / 2), round(w * (1 - keep) / 2)
    box = (slice(y, y + round(h * keep)), slice(x, x + round(w * keep)))
    return rgb[box], mask[box]


def _resize(rgb: np.ndarray, mask: np.ndarray, scale: float = 0.7) -> Pair:
    size = (round(mask.shape[1] * scale), round(mask.shape[0] * scale))
    small = cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), small


def _mirror(rgb: np.ndarray, mask: np.ndarray) -> Pair:
    return rgb[:, ::-1], mask[:, ::-1]


def _turn(rgb: np.ndarray, mask: np.ndarray) -> Pair:
    return np.rot90(rgb), np.rot90(mask)


COPIES: dict[str, tuple[Callable[[np.ndarray, np.ndarray], Pair], duplicates.Kind]] = {
    "JPEG quality 75": (_jpeg, "re-encoded"),
    "shifted 9 and 17 px": (_shift, "shifted or cropped"),
    "cropped to 80%": (_crop, "shifted or cropped"),
    "resized to 0.7": (_resize, "resized"),
    "mirrored": (_mirror, "mirrored"),
    "turned a quarter": (_turn, "rotated"),
}
PHOTOS = ("Image_001", "Image_003")  # two different photographs (different children)


def _real(root: Path, key: str) -> Pair:
    path = cpanemic.image_path(root, key)
    assert path is not None
    return decode_rgba(path.read_bytes())


@pytest.fixture(scope="module")
def copies(cp_anemic_dir: Path) -> tuple[list[str], duplicates.Grouping]:
    """Both photographs, each followed by its copies; names and how the finder grouped them."""
    names, images, masks = [], [], []
    for key in PHOTOS:
        rgb, mask = _real(cp_anemic_dir, key)
        made = [(key, (rgb, mask))] + [(f"{key} {n}", f(rgb, mask)) for n, (f, _) in COPIES.items()]
        for name, (image, inside) in made:
            names.append(name)
            images.append(np.ascontiguousarray(image))
            masks.append(np.ascontiguousarray(inside))
    return names, duplicates.group(images, masks, [""] * len(images))


def test_every_copy_is_grouped_with_its_original(
    copies: tuple[list[str], duplicates.Grouping],
) -> None:
    names, grouping = copies
    label = dict(zip(names, grouping.labels.tolist(), strict=True))
    for key in PHOTOS:
        assert {label[f"{key} {n}"] for n in COPIES} == {label[key]}, key
    assert label[PHOTOS[0]] != label[PHOTOS[1]]  # two photographs stay apart


def test_each_copy_is_named_for_what_was_done(
    copies: tuple[list[str], duplicates.Grouping],
) -> None:
    names, grouping = copies
    kinds = {(names[k.i], names[k.j]): k.kind for k in grouping.links}
    for key in PHOTOS:
        for name, (_, kind) in COPIES.items():
            assert kinds.get((key, f"{key} {name}")) == kind, name


def test_the_two_photographs_are_far_apart(copies: tuple[list[str], duplicates.Grouping]) -> None:
    """However the finder aligns one photograph's copies with the other's, they differ."""
    _, grouping = copies
    _, other = grouping.scan.gap
    assert other > 2 * duplicates.RESIDUAL_MAX


def test_identical_files_and_pixels_are_linked_without_the_finder() -> None:
    rgb = np.random.default_rng(0).integers(0, 255, (40, 60, 3), dtype=np.uint8)
    mask = np.ones((40, 60), bool)
    grouping = duplicates.group([rgb, rgb.copy(), rgb.copy()], [mask] * 3, ["d1", "d1", "d2"])
    assert grouping.labels.tolist() == [0, 0, 0]
    assert [k.kind for k in grouping.links] == ["identical bytes", "same pixels"]
    assert grouping.kind(0) == "same pixels"


def test_empty_and_tiny_masks_are_their_own_photographs() -> None:
    rgb = np.zeros((2, 2, 3), np.uint8)
    masks = [np.zeros((2, 2), bool), np.ones((2, 2), bool)]
    grouping = duplicates.group([rgb, rgb + 1], masks, ["a", "b"])
    assert grouping.labels.tolist() == [0, 1] and grouping.links == ()


@pytest.mark.parametrize("v", views.ORIENTATIONS)
def test_orient_matrix_maps_pixels_where_orient_puts_them(v: int) -> None:
    a = np.arange(12).reshape(3, 4)
    turned, m = views.orient(a, v), views.orient_matrix(v, 3, 4)
    assert turned.shape == views.oriented_shape(v, 3, 4)
    for y in range(3):
        for x in range(4):
            tx, ty, _ = m @ [x, y, 1]
            assert turned[round(ty), round(tx)] == a[y, x]
