"""Whole photos with conjunctiva masks: pairs layouts, Eyes-defy cut-out alignment, EXIF."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from bot.pipeline.decode import decode
from bot.training.data.photos import AnnotatedPhoto, load_photos
from testbed.icc import display_profile

ROTATED = 6  # EXIF "rotate 90° clockwise to show": upright = np.rot90(stored, -1)


def texture(h: int, w: int, seed: int) -> np.ndarray:
    """Blurred colour noise stretched to full range: every patch looks different."""
    noise = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    blurred = cv2.GaussianBlur(noise, (0, 0), 2.0)
    lo, hi = blurred.min(), blurred.max()
    return ((blurred.astype(np.float32) - lo) * (255 / (hi - lo))).round().astype(np.uint8)


def ellipse(h: int, w: int) -> np.ndarray:
    """An off-centre ellipse: any flip or turn of it is visibly a different mask."""
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (w // 3, h // 2), (w // 4, h // 3), 20, 0, 360, 1, -1)
    return mask > 0


def save_photo(path: Path, rgb: np.ndarray, orientation: int | None = None) -> np.ndarray:
    """Write a JPEG/PNG (optionally with an EXIF orientation) and return its stored pixels."""
    path.parent.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    Image.fromarray(rgb).save(path, exif=exif, quality=95)  # PNG ignores quality
    with Image.open(path) as img:
        return np.array(img.convert("RGB"))


def save_mask(path: Path, mask: np.ndarray, *, alpha: bool = False) -> None:
    """A white-on-black mask PNG, or white on transparent (alpha 0 off the conjunctiva)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    gray = mask.astype(np.uint8) * 255
    img = cv2.merge([gray, gray, gray, gray]) if alpha else gray
    assert cv2.imwrite(str(path), img)


def save_cutout(path: Path, rgb: np.ndarray, mask: np.ndarray, *, alpha: bool) -> None:
    """A cut-out PNG: the pixels inside mask, background black or transparent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    bgr = cv2.cvtColor(np.where(mask[..., None], rgb, 0).astype(np.uint8), cv2.COLOR_RGB2BGR)
    img = np.dstack([bgr, mask.astype(np.uint8) * 255]) if alpha else bgr
    assert cv2.imwrite(str(path), img)


def skipped(caplog: pytest.LogCaptureFixture) -> str:
    """The per-folder skip summary the loader logged."""
    return " ".join(r.getMessage() for r in caplog.records if "skipped {" in r.getMessage())


def by_key(photos: list[AnnotatedPhoto]) -> dict[str, AnnotatedPhoto]:
    return {p.key: p for p in photos}


def placed(shape: tuple[int, int], cut: np.ndarray, x: int, y: int) -> np.ndarray:
    """The cut-out's mask placed at (x, y) in a photo-sized mask."""
    full = np.zeros(shape, bool)
    full[y : y + cut.shape[0], x : x + cut.shape[1]] = cut
    return full


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


# ---- pairs


def test_pairs_in_both_layouts(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    m = ellipse(40, 60)
    a = save_photo(tmp_path / "a.jpg", texture(40, 60, 1))
    save_mask(tmp_path / "a_mask.png", m)
    save_photo(tmp_path / "sub/b.PNG", texture(40, 60, 2))  # upper-case extension
    save_mask(tmp_path / "sub/b_mask.png", ~m, alpha=True)
    save_photo(tmp_path / "images/c.jpeg", texture(40, 60, 3))
    save_mask(tmp_path / "masks/c.png", m)
    save_photo(tmp_path / "lonely.jpg", texture(40, 60, 4))  # no mask: counted
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    save_mask(tmp_path / "broken_mask.png", m)
    save_photo(tmp_path / ".hidden.jpg", texture(40, 60, 5))  # macOS litter: ignored
    with caplog.at_level(logging.WARNING):
        got = by_key(load_photos(tmp_path))
    assert sorted(got) == ["a.jpg", "images/c.jpeg", "sub/b.PNG"]  # masks are never photos
    assert np.array_equal(got["a.jpg"].image, a) and got["a.jpg"].image.dtype == np.uint8
    assert np.array_equal(got["a.jpg"].mask, m) and got["a.jpg"].mask.dtype == bool
    assert np.array_equal(got["sub/b.PNG"].mask, ~m)  # alpha > 0 is the conjunctiva
    assert np.array_equal(got["images/c.jpeg"].mask, m)
    assert "'photo without mask': 1" in skipped(caplog)
    assert "'unreadable photo': 1" in skipped(caplog)


def test_mask_of_other_size(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    save_photo(tmp_path / "half.png", texture(40, 60, 1))
    small = np.zeros((20, 30), bool)
    small[5:15, 10:20] = True
    save_mask(tmp_path / "half_mask.png", small)  # same aspect: resized with nearest
    save_photo(tmp_path / "square.png", texture(40, 60, 2))
    save_mask(tmp_path / "square_mask.png", np.ones((40, 40), bool))  # other aspect: skipped
    with caplog.at_level(logging.WARNING):
        got = by_key(load_photos(tmp_path))
    assert list(got) == ["half.png"]
    expected = np.zeros((40, 60), bool)
    expected[10:30, 20:40] = True
    assert np.array_equal(got["half.png"].mask, expected)
    assert "square_mask.png: mask (40, 40) does not fit photo (40, 60)" in caplog.text
    assert "'mask shape differs': 1" in skipped(caplog)


def test_exif_rotated_photo(tmp_path: Path) -> None:
    stored = save_photo(tmp_path / "turned.jpg", texture(40, 60, 1), ROTATED)
    upright_mask = ellipse(60, 40)  # drawn on the photo as a phone shows it
    save_mask(tmp_path / "turned_mask.png", upright_mask)
    save_photo(tmp_path / "raw.jpg", texture(40, 60, 2), ROTATED)
    save_mask(tmp_path / "raw_mask.png", ellipse(40, 60))  # drawn on the stored pixels
    got = by_key(load_photos(tmp_path))
    assert got["turned.jpg"].image.shape == (60, 40, 3)
    assert np.array_equal(got["turned.jpg"].image, np.rot90(stored, -1))
    assert np.array_equal(got["turned.jpg"].mask, upright_mask)
    assert np.array_equal(got["raw.jpg"].mask, np.rot90(ellipse(40, 60), -1))


def test_max_side_shrinks_photo_and_mask(tmp_path: Path) -> None:
    save_photo(tmp_path / "a.png", texture(40, 60, 1))
    save_mask(tmp_path / "a_mask.png", np.pad(np.ones((20, 30), bool), ((10, 10), (14, 16))))
    (photo,) = load_photos(tmp_path, max_side=30)
    assert photo.image.shape == (20, 30, 3) and photo.mask.shape == (20, 30)
    assert photo.mask.dtype == bool and photo.mask.sum() == 10 * 15


# ---- Eyes-defy


@pytest.fixture
def eyes(tmp_path: Path) -> dict[str, np.ndarray]:
    """Italy/<n>/IMG_<n>.jpg with cut-outs: cropped (large and small photo), whole-size,
    from another picture, larger than the photo, and one without a photo. Returns true masks."""
    it = tmp_path / "Italy"
    big = texture(900, 1200, 1)  # long side > 512: coarse search, then refinement
    save_photo(it / "1/IMG_1.jpg", big)
    cut1 = ellipse(150, 260)
    save_cutout(it / "1/IMG_1_palpebral.png", big[311:461, 517:777], cut1, alpha=False)
    save_cutout(
        it / "1/IMG_1_forniceal_palpebral.png", big[:50, :50], ~ellipse(50, 50), alpha=False
    )
    small = save_photo(it / "2/IMG_2.jpg", texture(200, 300, 2))  # searched at full size
    cut2 = ellipse(60, 90)
    save_cutout(it / "2/IMG_2_palpebral.png", small[37:97, 151:241], cut2, alpha=True)
    whole = save_photo(it / "3/IMG_3.jpg", texture(100, 150, 3))
    save_cutout(it / "3/IMG_3_palpebral.png", whole, ellipse(100, 150), alpha=True)
    save_photo(it / "4/IMG_4.jpg", texture(200, 300, 4))
    save_cutout(it / "4/IMG_4_palpebral.png", texture(60, 90, 99), ellipse(60, 90), alpha=False)
    save_photo(it / "5/IMG_5.jpg", texture(50, 60, 5))
    save_cutout(it / "5/IMG_5_palpebral.png", texture(60, 90, 5), ellipse(60, 90), alpha=True)
    save_cutout(it / "6/IMG_6_palpebral.png", texture(60, 90, 6), ellipse(60, 90), alpha=True)
    return {
        "Italy/1/IMG_1.jpg": placed((900, 1200), cut1, 517, 311),
        "Italy/2/IMG_2.jpg": placed((200, 300), cut2, 151, 37),
        "Italy/3/IMG_3.jpg": ellipse(100, 150),
    }


def test_eyes_defy_cutouts_aligned(
    tmp_path: Path, eyes: dict[str, np.ndarray], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        got = by_key(load_photos(tmp_path))
    assert sorted(got) == sorted(eyes)
    for key, mask in eyes.items():
        assert got[key].mask.shape == got[key].image.shape[:2] == mask.shape
        assert iou(got[key].mask, mask) > 0.98, key
    assert np.array_equal(got["Italy/1/IMG_1.jpg"].mask, eyes["Italy/1/IMG_1.jpg"])  # exact
    summary = skipped(caplog)
    assert "'unaligned cut-out': 1" in summary  # IMG_4: cut from another picture
    assert "'cut-out larger than photo': 1" in summary  # IMG_5
    assert "'cut-out without photo': 1" in summary  # IMG_6


def test_eyes_defy_exif_rotated(tmp_path: Path) -> None:
    folder = tmp_path / "India/1"
    stored = save_photo(folder / "up.jpg", texture(300, 400, 1), ROTATED)
    upright = np.rot90(stored, -1)  # (400, 300): the view the cut-out was made on
    cut = ellipse(80, 60)
    save_cutout(folder / "up_palpebral.png", upright[210:290, 40:100], cut, alpha=True)
    stored2 = save_photo(folder / "raw.jpg", texture(300, 400, 2), ROTATED)
    save_cutout(folder / "raw_palpebral.png", stored2[20:100, 200:260], cut, alpha=True)
    got = by_key(load_photos(tmp_path))
    assert got["India/1/up.jpg"].image.shape == (400, 300, 3)
    assert np.array_equal(got["India/1/up.jpg"].mask, placed((400, 300), cut, 40, 210))
    from_stored = np.rot90(placed((300, 400), cut, 200, 20), -1)  # made on unturned pixels
    assert np.array_equal(got["India/1/raw.jpg"].mask, from_stored)


# ---- dispatch


def test_load_photos_dispatch(tmp_path: Path, eyes: dict[str, np.ndarray]) -> None:
    assert sorted(p.key for p in load_photos(tmp_path)) == sorted(eyes)
    pairs = tmp_path / "pairs"
    save_photo(pairs / "a.png", texture(40, 60, 1))
    save_mask(pairs / "a_mask.png", ellipse(40, 60))
    assert [p.key for p in load_photos(pairs)] == ["a.png"]


def test_load_photos_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no usable annotated photos \(no image files\)"):
        load_photos(tmp_path)
    save_photo(tmp_path / "a.png", texture(40, 60, 1))
    with pytest.raises(ValueError, match="'photo without mask': 1"):
        load_photos(tmp_path)
    with pytest.raises(ValueError, match="not a folder"):
        load_photos(tmp_path / "missing")


@pytest.mark.parametrize("mask_on", ["upright", "stored"])
def test_a_tagged_photo_is_read_in_srgb_as_the_service_reads_it(
    tmp_path: Path, mask_on: str
) -> None:
    exif = Image.Exif()
    exif[0x0112] = ROTATED
    Image.fromarray(texture(40, 60, 1)).save(
        tmp_path / "p3.png", icc_profile=display_profile(), exif=exif
    )
    save_mask(
        tmp_path / "p3_mask.png", ellipse(60, 40) if mask_on == "upright" else ellipse(40, 60)
    )
    (got,) = load_photos(tmp_path)
    served = decode((tmp_path / "p3.png").read_bytes()).rgb
    assert np.array_equal(got.image, served)
    assert not np.array_equal(got.image, np.rot90(texture(40, 60, 1), -1))  # converted
