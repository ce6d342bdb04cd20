"""Whole eyelid photos with conjunctiva masks, to train the segmentation network on real data.

Pairs layout: `<name>.jpg|jpeg|png` beside `<name>_mask.png`, or `images/<name>.*` with
`masks/<name>.png`. Eyes-defy-anemia: `<Country>/<n>/<photo>.jpg` with `<photo>_palpebral.png`
beside it, a cut-out usually cropped from the photo: it is found there by masked template
matching and kept only where the photo's pixels agree. Photos are decoded upright (EXIF applied),
as `predict` sees them; a mask drawn on the stored, unturned pixels is recognised and turned.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import cv2
import numpy as np
from PIL import Image

from bot.pipeline import colour
from bot.training.data import decode_rgba
from bot.training.data.eyes_defy import _cutouts

log = logging.getLogger(__name__)

Job = tuple[Path, Path]  # (photo, the file its mask comes from)
MaskOf = Callable[["_Photo", Path, Counter[str]], "np.ndarray | None"]

PHOTO_EXTS = (".jpg", ".jpeg", ".png")
COARSE_SIDE = 512  # photo's long side for the coarse search: a 12 MP photo is slow at full size
MIN_TEMPLATE = 16  # but keep the shrunk cut-out this many pixels a side, or its texture is lost
TOLERANCE = 12.0  # mean |grey difference| inside the cut-out below which it is the same pixels
ASPECT_TOL = 0.01  # a mask this close in aspect ratio was saved at another resolution
UNREADABLE = (OSError, ValueError, SyntaxError, Image.DecompressionBombError)  # PIL raises all

# EXIF orientation -> the transpose that turns stored pixels upright, as ImageOps.exif_transpose
T = Image.Transpose
UPRIGHT = {
    2: T.FLIP_LEFT_RIGHT,
    3: T.ROTATE_180,
    4: T.FLIP_TOP_BOTTOM,
    5: T.TRANSPOSE,
    6: T.ROTATE_270,
    7: T.TRANSVERSE,
    8: T.ROTATE_90,
}


@dataclass(frozen=True)
class AnnotatedPhoto:
    """One whole photo and the conjunctiva drawn on it."""

    key: str  # path of the photo relative to the data folder
    image: np.ndarray  # (H, W, 3) uint8 RGB, upright
    mask: np.ndarray  # (H, W) bool, True on the palpebral conjunctiva


class _Photo(NamedTuple):
    """A decoded photo: upright, plus the stored pixels and the EXIF turn between them."""

    upright: np.ndarray
    stored: np.ndarray
    orientation: int  # 1 (or a value not in UPRIGHT) when stored is already upright


def _read_photo(path: Path) -> _Photo:
    """Decode with PIL, which (unlike cv2.imdecode) tells us the EXIF orientation; UPRIGHT
    turns the stored pixels as `ImageOps.exif_transpose` would."""
    with Image.open(path) as img:
        img.load()  # Image.open is lazy: truncated files fail here, inside the caller's try
        orientation = img.getexif().get(0x0112, 1)  # values not in UPRIGHT leave it as stored
        # in sRGB, as the service reads what people send; converted once, then turned
        stored = np.array(colour.to_srgb(img, img.info.get("icc_profile")).convert("RGB"))
    return _Photo(_turn(stored, orientation), stored, orientation)


def _turn(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Stored pixels (a photo or a mask) turned the way EXIF `orientation` shows them."""
    if orientation not in UPRIGHT:
        return pixels
    return np.array(Image.fromarray(pixels).transpose(UPRIGHT[orientation]))


def _orient(mask: np.ndarray, orientation: int) -> np.ndarray:
    """Turn a mask drawn on the stored pixels the way EXIF turns the photo upright."""
    return _turn(mask.astype(np.uint8) * 255, orientation) > 0


def _read_mask(path: Path) -> np.ndarray:
    """Mask PNG: alpha > 0 when some of it is transparent, else any nonzero pixel."""
    arr = cv2.imdecode(np.frombuffer(path.read_bytes(), np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise ValueError("not a readable mask image")
    if arr.ndim == 3 and arr.shape[2] == 4 and arr[..., 3].min() == 0:
        return arr[..., 3] > 0  # an opaque alpha says nothing: the colours hold the mask then
    return (arr if arr.ndim == 2 else arr[..., :3].max(axis=2)) > 0


def _same_aspect(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    """True when two (H, W, ...) shapes have the same aspect ratio within ASPECT_TOL."""
    return abs(a[0] * b[1] / (a[1] * b[0]) - 1) <= ASPECT_TOL


def _fit(photo: _Photo, path: Path, why: Counter[str]) -> np.ndarray | None:
    """The mask PNG at the photo's upright size, or None (logged, counted) when it cannot fit."""
    mask, shape = _read_mask(path), photo.upright.shape[:2]
    if not _same_aspect(mask.shape, shape) and _same_aspect(mask.shape, photo.stored.shape):
        mask = _orient(mask, photo.orientation)  # drawn on the stored pixels, before EXIF turn
    if _same_aspect(mask.shape, shape):  # maybe saved at another resolution
        return cv2.resize(mask.astype(np.uint8), shape[::-1], interpolation=cv2.INTER_NEAREST) > 0
    log.warning("%s: mask %s does not fit photo %s; skipped", path, mask.shape, shape)
    why["mask shape differs"] += 1
    return None


def _shrink(image: np.ndarray, f: float) -> np.ndarray:
    """Image scaled by f with area averaging (the size rounded the same way for every input)."""
    h, w = image.shape[:2]
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _item(key: str, image: np.ndarray, mask: np.ndarray, max_side: int | None) -> AnnotatedPhoto:
    """The training item, shrunk to max_side: hundreds of 12 MP photos do not fit in memory."""
    f = 1.0 if max_side is None else max_side / max(image.shape[:2])
    if f < 1:
        image = _shrink(image, f)
        mask = _shrink(mask.astype(np.uint8) * 255, f) >= 128
    return AnnotatedPhoto(key, image, mask)


def _files(root: Path) -> list[Path]:
    """Every visible file under root, sorted; '._x.jpg' and '.DS_Store' are macOS litter."""
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def _named(candidates: list[Path], by_name: dict[str, Path]) -> Path | None:
    """The first candidate that exists, ignoring case ('IMG_1.JPG' for 'IMG_1.jpg')."""
    return next((by_name[k] for c in candidates if (k := str(c).lower()) in by_name), None)


def _is_photo(path: Path) -> bool:
    """A photo of the pairs layout: an image that is not itself a mask."""
    name = path.name.lower()
    is_mask = name.endswith("_mask.png") or path.parent.name.lower() == "masks"
    return name.endswith(PHOTO_EXTS) and not is_mask


def _mask_for(photo: Path, by_name: dict[str, Path]) -> Path | None:
    """The mask named after photo in either pairs layout, if there is one."""
    candidates = [photo.with_name(f"{photo.stem}_mask.png")]
    if photo.parent.name.lower() == "images":
        masks = photo.parent.parent / "masks"
        candidates += [masks / f"{photo.stem}.png", masks / f"{photo.stem}_mask.png"]
    return _named(candidates, by_name)


def _best(image: np.ndarray, templ: np.ndarray, mask: np.ndarray) -> tuple[int, int]:
    """Top-left (x, y) where templ, inside mask, differs least from image (sum of squares)."""
    scores = cv2.matchTemplate(
        image.astype(np.float32), templ.astype(np.float32), cv2.TM_SQDIFF, mask=mask
    )
    x, y = cv2.minMaxLoc(scores)[2]
    return int(x), int(y)


def _agrees(photo: np.ndarray, cut: np.ndarray, mask: np.ndarray, x: int, y: int) -> bool:
    """True when the photo under the cut-out shows the same pixels (JPEG noise aside)."""
    h, w = mask.shape
    grey = [cv2.cvtColor(a, cv2.COLOR_RGB2GRAY).astype(np.float32) for a in (photo, cut)]
    return float(np.abs(grey[0][y : y + h, x : x + w] - grey[1])[mask].mean()) < TOLERANCE


def _locate(photo: np.ndarray, cut: np.ndarray, mask: np.ndarray) -> tuple[int, int] | None:
    """Top-left (x, y) of the cut-out in the photo: coarse search shrunk, then exact nearby."""
    (h, w), (ph, pw) = mask.shape, photo.shape[:2]
    f = min(1.0, max(COARSE_SIDE / max(ph, pw), MIN_TEMPLATE / min(h, w)))
    x, y = 0, 0
    r = max(ph, pw)  # without a coarse pass the "nearby" window is the whole photo
    if f < 1:
        cover = _shrink(mask.astype(np.float32), f)
        core = (cover > min(0.99, cover.max() / 2)).astype(np.uint8)  # edges are part background
        cx, cy = _best(_shrink(photo, f), _shrink(cut, f), core)
        x, y, r = round(cx / f), round(cy / f), int(np.ceil(1 / f)) + 2
    x0, y0 = min(max(0, x - r), pw - w), min(max(0, y - r), ph - h)
    window = photo[y0 : min(ph, y + h + r), x0 : min(pw, x + w + r)]
    dx, dy = _best(window, cut, mask.astype(np.uint8))
    return (x0 + dx, y0 + dy) if _agrees(photo, cut, mask, x0 + dx, y0 + dy) else None


def _align(view: np.ndarray, cut: np.ndarray, cut_mask: np.ndarray) -> np.ndarray | str:
    """The cut-out's mask in the coordinates of view, or why it does not fit there."""
    (h, w), (ph, pw) = cut_mask.shape, view.shape[:2]
    if not cut_mask.any():
        return "empty cut-out"
    if (h, w) == (ph, pw):
        return cut_mask  # the whole photo with the background blacked out: nothing to find
    if h > ph or w > pw:
        return "cut-out larger than photo"
    at = _locate(view, cut, cut_mask)
    if at is None:
        return "unaligned cut-out"
    mask = np.zeros((ph, pw), bool)
    mask[at[1] : at[1] + h, at[0] : at[0] + w] = cut_mask
    return mask


def _cutout_mask(photo: _Photo, cut_path: Path, why: Counter[str]) -> np.ndarray | None:
    """Mask on the upright photo from its cut-out; tries the stored pixels if EXIF turned them."""
    cut, cut_mask = decode_rgba(cut_path.read_bytes())
    views = [(photo.upright, 1)]
    if photo.orientation in UPRIGHT:
        views.append((photo.stored, photo.orientation))
    reasons = []
    for view, orientation in views:
        found = _align(view, cut, cut_mask)
        if not isinstance(found, str):
            return _orient(found, orientation)
        reasons.append(found)
    log.warning("%s: %s; skipped", cut_path, reasons[0])
    why[reasons[0]] += 1  # the upright view's reason: that is where the cut-out should be
    return None


def _photo_for(cut_path: Path, by_name: dict[str, Path]) -> Path | None:
    """The photo a cut-out was cut from: its name without '_palpebral.png'."""
    stem = cut_path.name[: -len("_palpebral.png")]
    return _named([cut_path.with_name(stem + ext) for ext in PHOTO_EXTS], by_name)


def _pair_jobs(files: list[Path], by_name: dict[str, Path], why: Counter[str]) -> list[Job]:
    """(photo, mask PNG) for every photo that has a mask in either pairs layout."""
    found = [(p, _mask_for(p, by_name)) for p in filter(_is_photo, files)]
    why["photo without mask"] += sum(m is None for _, m in found)
    return [(p, m) for p, m in found if m is not None]


def _cutout_jobs(files: list[Path], by_name: dict[str, Path], why: Counter[str]) -> list[Job]:
    """(photo, cut-out) for every palpebral cut-out under root, at any depth."""
    visible = set(files)  # _cutouts lists a folder, hidden litter included
    folders = sorted({p.parent for p in files if p.name.lower().endswith("_palpebral.png")})
    cuts = [c for d in folders for c in _cutouts(d) if c in visible]
    found = [(_photo_for(c, by_name), c) for c in cuts]
    why["cut-out without photo"] += sum(p is None for p, _ in found)
    return [(p, c) for p, c in found if p is not None]


def _annotated(
    root: Path, job: Job, mask_of: MaskOf, why: Counter[str], max_side: int | None
) -> AnnotatedPhoto | None:
    """Decode one photo and its mask source; None (logged, counted) when either is unusable."""
    (photo_path, mask_path), failing = job, job[0]
    try:
        photo = _read_photo(photo_path)
        failing = mask_path  # from here on a decoding error is the mask file's
        mask = mask_of(photo, mask_path, why)
    except UNREADABLE as e:  # one bad file must not stop a programme's training run
        log.warning("%s: unreadable (%s); skipped", failing, e)
        why["unreadable photo" if failing == photo_path else "unreadable mask"] += 1
        return None
    if mask is None:
        return None
    return _item(photo_path.relative_to(root).as_posix(), photo.upright, mask, max_side)


def _load(root: Path, eyes: bool, max_side: int | None, why: Counter[str]) -> list[AnnotatedPhoto]:
    """Photos of one layout; skips are counted in why and logged, so none is lost silently."""
    files = _files(root)
    by_name = {str(p).lower(): p for p in files}
    jobs = (_cutout_jobs if eyes else _pair_jobs)(files, by_name, why)
    mask_of: MaskOf = _cutout_mask if eyes else _fit
    photos = [a for job in jobs if (a := _annotated(root, job, mask_of, why, max_side)) is not None]
    if +why:  # unary + drops the zero counts
        log.warning("%s: skipped %s", root, dict(+why))
    return photos


def load_photos(root: Path, *, max_side: int | None = None) -> list[AnnotatedPhoto]:
    """Photos from whichever layout root holds; skips are logged, ValueError if none is usable."""
    if not root.is_dir():
        raise ValueError(f"{root}: not a folder")
    # any cut-out means Eyes-defy: segmentation needs no Hb sheet, unlike is_eyes_defy
    eyes = any(p.name.lower().endswith("_palpebral.png") for p in _files(root))
    why: Counter[str] = Counter()
    photos = _load(root, eyes, max_side, why)
    if not photos:
        raise ValueError(
            f"{root}: no usable annotated photos ({dict(+why) or 'no image files'}); expected"
            " <name>.jpg + <name>_mask.png, images/<name>.jpg + masks/<name>.png, or"
            " Eyes-defy-anemia <photo>.jpg + <photo>_palpebral.png"
        )
    return photos
