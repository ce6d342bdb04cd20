"""Screening end to end: a cut-out, a whole photo, a refused photo, and `predict --json`.

Stand-in weights (an untrained tiny regressor and U-Net) test the plumbing on every machine;
the whole-photo path is also tested with the shipped weights, which must exist in CI.
"""

from __future__ import annotations

import io
import json
import math
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from bot.cli.main import EXIT_REJECTED, main
from bot.pipeline import quality, screening
from bot.pipeline.decode import ImageRejected, decode
from bot.pipeline.risk import Person
from bot.pipeline.screening import Screener
from bot.texts.i18n import t
from bot.training import segeval
from bot.training.data import compose
from bot.training.segeval import SIZE, TEST_SEED_OFFSET
from bot.training.segtraining import byte_copies_removed, split
from model import WEIGHTS, ensemble, seg_train, segment, unet
from testbed.icc import p3_heic
from tests.bot.cutouts import rgba, textured_cutout
from tests.conftest import _in_ci, require_data
from tests.model.seg_synthetic import untrained_unet
from tests.model.synthetic import TINY as TINY_CNN

JPEG_MAGIC = b"\xff\xd8\xff"


def encode(array: np.ndarray, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buf.getvalue()


def refused_jpeg() -> bytes:
    """A generated page of text, as a phone would send it."""
    return encode(compose.negative("text", seed=3), "JPEG")


@pytest.fixture(scope="module")
def stand_in_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Untrained tiny weights in the shipped layout: enough to run every step of the pipeline."""
    out = tmp_path_factory.mktemp("stand_in_weights")
    config = ensemble.Config(cnn=TINY_CNN, members=1, half_width=1.5, version="stand-in")
    ensemble.save(ensemble.build(config), out)
    unet.save(untrained_unet(), out)
    return out


@pytest.fixture(scope="module")
def stand_in(stand_in_weights: Path) -> Screener:
    return Screener(stand_in_weights)


def _require_shipped(name: str, what: str) -> None:
    """Skip locally, fail in CI, when a shipped weights file is missing."""
    if not (WEIGHTS / name).is_file():
        msg = f"no shipped {what} weights yet"
        if _in_ci():
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture(scope="module")
def shipped() -> Screener:
    _require_shipped("unet.msgpack", "U-Net")
    _require_shipped("ensemble.msgpack", "regressor")
    return Screener(WEIGHTS)


def test_transparent_cutout_is_screened_as_a_cutout(stand_in: Screener):
    cutout, mask = textured_cutout(seed=1)
    result = stand_in.screen(encode(rgba(cutout, mask), "PNG"), Person(age_months=24))
    assert result.source == "cutout"
    assert math.isfinite(result.hb_g_dl)
    lo, hi = result.interval
    assert lo < result.hb_g_dl < hi
    assert result.area_fraction == pytest.approx(mask.mean(), abs=1e-4)
    assert result.overlay_jpeg.startswith(JPEG_MAGIC)
    assert result.model_version == "stand-in"


def test_the_cutout_comes_back_only_when_asked_for(stand_in: Screener):
    data = encode(rgba(*textured_cutout(seed=1)), "PNG")
    assert stand_in.screen(data, Person(24.0)).cutout is None  # the bot's usual photo
    kept = stand_in.screen(data, Person(24.0), with_cutout=True).cutout
    decoded = decode(data)
    mask = screening.cutout_mask(decoded)
    assert kept is not None and mask is not None
    assert np.array_equal(kept, screening.cutout(decoded.rgb, mask))
    assert kept.shape[2] == 4 and set(np.unique(kept[..., 3])) == {0, 255}


def _failing_estimate(*args: object) -> None:
    raise RuntimeError("the estimate failed")


def test_a_region_gate_refuses_whatever_the_estimate_beside_it_did(
    stand_in: Screener, monkeypatch: pytest.MonkeyPatch
):
    cutout, mask = textured_cutout(seed=1)
    dark = (cutout * 0.15).astype(np.uint8)
    monkeypatch.setattr(stand_in, "estimate", _failing_estimate)
    with pytest.raises(ImageRejected) as info:
        stand_in.screen(encode(rgba(dark, mask), "PNG"), Person(age_months=24))
    assert info.value.code == "too_dark"


def test_an_estimate_that_fails_beside_passing_gates_is_not_lost(
    stand_in: Screener, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(stand_in, "estimate", _failing_estimate)
    with pytest.raises(RuntimeError, match="the estimate failed"):
        stand_in.screen(encode(rgba(*textured_cutout(seed=1)), "PNG"), Person(age_months=24))


def test_the_region_gates_run_beside_the_estimate(
    stand_in: Screener, monkeypatch: pytest.MonkeyPatch
):
    """The gates wait for the estimate to begin: one after the other, they would time out."""
    began, estimate = threading.Event(), stand_in.estimate

    def gates(*args: object) -> None:
        assert began.wait(timeout=30), "the estimate did not begin while the gates ran"

    def estimating(*args: Any) -> Any:
        began.set()
        return estimate(*args)

    monkeypatch.setattr(quality, "check_region", gates)
    monkeypatch.setattr(stand_in, "estimate", estimating)
    result = stand_in.screen(encode(rgba(*textured_cutout(seed=1)), "PNG"), Person(24.0))
    assert result.source == "cutout"


def test_refused_photo_gives_a_gate_code(stand_in: Screener):
    with pytest.raises(ImageRejected) as info:
        stand_in.screen(refused_jpeg(), Person(36.0))
    assert info.value.code in quality.GATES
    assert info.value.params == {}


def test_no_conjunctiva_when_nothing_is_found(stand_in: Screener, monkeypatch):
    """A photo that passes the whole-photo gates but where the network finds nothing."""
    c = compose.compose(*textured_cutout(), seed=0, size=SIZE)
    quality.check_photo(c.image)
    monkeypatch.setattr(
        "model.segment.logits_at",
        lambda model, rgb, thumb=None: np.full(rgb.shape[:2], -5.0, np.float32),
    )
    with pytest.raises(ImageRejected) as info:
        stand_in.screen(encode(c.image, "JPEG"), Person(36.0))
    assert info.value.code == "no_conjunctiva"


def test_predict_json_on_a_refused_photo_exits_3(
    stand_in_weights: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(refused_jpeg())
    argv = [
        "predict",
        str(photo),
        "--json",
        "--weights",
        str(stand_in_weights),
        "--out",
        str(tmp_path),
        "--age-months",
        "36",
    ]
    assert main(argv) == EXIT_REJECTED == 3
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1
    answer = json.loads(lines[0])
    assert set(answer) == {"rejected", "message"}
    assert answer["rejected"] in quality.GATES
    assert answer["message"] == t("en", f"reject.{answer['rejected']}")
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert not list(tmp_path.glob("*_gradcam.*"))  # nothing is drawn for a refused photo


# --- with the shipped weights ------------------------------------------------------------


@pytest.fixture(scope="module")
def held_out_composites(cp_anemic_dir: Path) -> list[compose.Composite]:
    """Composites of held-out CP-AnemiC cut-outs (fold 0) in unseen scenes, as train-seg makes."""
    samples = byte_copies_removed(cp_anemic_dir)
    test = split(samples, seed=0)[2]
    return [
        compose.compose(s.image, s.mask, seed=TEST_SEED_OFFSET + i, size=SIZE)
        for i, s in enumerate(test[:3])
    ]


def test_whole_photo_is_segmented_and_screened(
    shipped: Screener, held_out_composites: list[compose.Composite]
):
    accepted, refusals = 0, []
    for c in held_out_composites:
        try:
            result = shipped.screen(encode(c.image, "JPEG"), Person(age_months=30, sex="f"))
        except ImageRejected as e:
            refusals.append(e.code)
            continue
        accepted += 1
        assert result.source == "photo"
        assert math.isfinite(result.hb_g_dl) and 3.0 < result.hb_g_dl < 20.0
        lo, hi = result.interval
        assert lo < result.hb_g_dl < hi
        assert result.overlay_jpeg.startswith(JPEG_MAGIC)
        # the found region is the conjunctiva's size, give or take (Dice bar: 0.90)
        assert 0.5 < result.area_fraction / c.mask.mean() < 2.0
    assert accepted >= len(held_out_composites) - 1, refusals


def test_shipped_screener_refuses_a_page_of_text(shipped: Screener):
    with pytest.raises(ImageRejected) as info:
        shipped.screen(refused_jpeg(), Person(36.0))
    assert info.value.code in quality.GATES


# --- real phone photos, as people send them ----------------------------------------------

REAL = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "eyes-defy" / "photos"
REAL_NAMES = ("India_006", "India_013", "India_024")  # a wide, a tight and a dark-skinned frame


@pytest.fixture(scope="module")
def real_photos() -> list[tuple[np.ndarray, np.ndarray]]:
    """Three shared whole-eye photos and their drawn masks (the shipped U-Net saw them in
    training: this guards against regressions; held-out figures are in seg_metrics.json)."""
    folder = require_data(REAL, "labels.csv")
    out = []
    for name in REAL_NAMES:
        image = np.array(Image.open(folder / f"{name}.jpg").convert("RGB"))
        out.append((image, np.array(Image.open(folder / f"{name}_mask.png")) > 127))
    return out


@pytest.mark.parametrize(
    "framing", ["whole", "macro", "landscape", "eye_crop_black", "eye_crop_white"]
)
def test_real_photo_passes_every_gate_in_every_framing(
    shipped: Screener, real_photos: list[tuple[np.ndarray, np.ndarray]], framing: str
):
    for image, truth in real_photos:
        img, mask = (
            (image, truth) if framing == "whole" else segeval.framings(image, truth)[framing]
        )
        found = shipped.locate(img)  # raises ImageRejected, with its code, if a gate refuses
        assert seg_train.dice(found, mask) > 0.6


def test_cutting_logits_finds_what_cutting_probabilities_found(
    shipped: Screener, real_photos: list[tuple[np.ndarray, np.ndarray]]
):
    """`find_small` keeps both looks as logits and cuts them at 0: on real photos, the same
    component and the same confidence as probabilities cut at 0.5."""
    net = shipped.segmenter
    assert net is not None
    for image, _ in real_photos:
        small = segment.work_size(image)
        prob = segment.two_looks(net, small)
        old = None if prob is None else segment.largest_component(prob)
        new = segment.find_small(net, small, thumb=segment.thumbnail(small, net.config))
        assert old is not None and new is not None
        np.testing.assert_array_equal(new.mask, old.mask)
        assert (new.confidence, new.components) == (old.confidence, old.components)


def test_real_photo_is_estimated_at_work_size_and_gated_at_its_own(
    shipped: Screener, real_photos: list[tuple[np.ndarray, np.ndarray]], monkeypatch
):
    """The estimate reads the photo as the lining was found in it (`segment.work_size`); the
    region gates, the mask returned and the research cut-out keep the photo's own size."""
    image, truth = real_photos[0]
    read, gated = [], []
    estimate, check_region = shipped.estimate, quality.check_region

    def estimating(rgb: np.ndarray, mask: np.ndarray, person: Person) -> Any:
        read.append((rgb.shape, mask.shape))
        return estimate(rgb, mask, person)

    def gating(rgb: np.ndarray, mask: np.ndarray, confidence: float) -> None:
        gated.append((rgb.shape, mask.shape))
        check_region(rgb, mask, confidence)

    monkeypatch.setattr(shipped, "estimate", estimating)
    monkeypatch.setattr(quality, "check_region", gating)
    result, mask = shipped.screen_with_mask(decode(encode(image, "JPEG")), Person(240, "f"))
    small = segment.work_size(image).shape
    assert max(small) == segment.WORK_SIDE < max(image.shape)
    assert read == [(small, small[:2])]
    assert gated == [(image.shape, image.shape[:2])] and mask.shape == image.shape[:2]
    assert result.area_fraction == round(np.count_nonzero(mask) / mask.size, 4)
    assert seg_train.dice(mask, truth) > 0.6


def test_real_photo_with_exif_rotation_is_screened_upright(
    shipped: Screener, real_photos: list[tuple[np.ndarray, np.ndarray]]
):
    """Stored turned, with EXIF orientation 6 ("rotate 90 clockwise to view"), as phones save."""
    image, truth = real_photos[0]
    stored = np.ascontiguousarray(np.rot90(image, 1))  # what the camera wrote
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    Image.fromarray(stored).save(buf, "JPEG", quality=92, exif=exif)
    result, mask = shipped.screen_with_mask(decode(buf.getvalue()), Person(240, "f"))
    assert result.source == "photo" and mask.shape == truth.shape
    assert seg_train.dice(mask, truth) > 0.6


def test_real_photo_as_an_iphone_heic_is_screened_like_the_jpeg(
    shipped: Screener, real_photos: list[tuple[np.ndarray, np.ndarray]]
):
    """The same photo as an iPhone saves it: HEIC, in Display P3, turned by the file's own
    rotation. Decoding brings it back to sRGB, upright, so the estimate hardly moves."""
    image, truth = real_photos[0]
    adult = Person(240, "f")
    as_jpeg = shipped.screen_decoded(decode(encode(image, "JPEG")), adult)
    exif = Image.Exif()
    exif[0x0112] = 6
    decoded = decode(p3_heic(np.rot90(image, 1).copy(), exif=exif.tobytes()))
    result, mask = shipped.screen_with_mask(decoded, adult)
    assert decoded.format == "HEIF" and mask.shape == truth.shape
    assert seg_train.dice(mask, truth) > 0.6
    assert abs(result.hb_g_dl - as_jpeg.hb_g_dl) <= 0.3, (result.hb_g_dl, as_jpeg.hb_g_dl)
