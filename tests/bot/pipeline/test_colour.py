"""Tagged photos reach the models in sRGB, the colours they learned from; untagged ones and
broken tags are read as stored."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms

from bot.pipeline import colour
from bot.pipeline.decode import ImageRejected, decode
from testbed.icc import P3_CODES, P3_D50, display_profile, nclx_heic

P3 = display_profile("Display P3 (test)")
SRGB_TAG = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
PINK = (180, 100, 100)  # a conjunctiva-like colour, inside sRGB once converted

# sRGB's colorants adapted to D50 (Bradford), as LittleCMS's built-in sRGB profile holds them
SRGB_D50 = np.array(
    [[0.4361, 0.3851, 0.1431],
     [0.2225, 0.7169, 0.0606],
     [0.0139, 0.0971, 0.7141]]
)  # fmt: skip


def expected_srgb(rgb: tuple[int, int, int], gamma: float = 2.2) -> np.ndarray:
    """The colour science by hand: stored values -> linear -> XYZ (D50) -> linear sRGB ->
    sRGB's transfer curve (IEC 61966-2-1)."""
    linear = np.linalg.solve(SRGB_D50, P3_D50 @ (np.array(rgb) / 255) ** gamma)
    linear = np.clip(linear, 0, 1)
    encoded = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return encoded * 255


def flat(rgb: tuple[int, ...], mode: str = "RGB", side: int = 8) -> Image.Image:
    return Image.fromarray(np.full((side, side, len(rgb)), rgb, np.uint8), mode)


def test_a_p3_photo_is_converted_as_the_colour_science_says() -> None:
    out = np.asarray(colour.to_srgb(flat(PINK), P3))[0, 0]
    np.testing.assert_allclose(out, expected_srgb(PINK), atol=1.5)
    assert out[0] > PINK[0] and out[1] < PINK[1]  # the same numbers mean a redder pink in P3


def test_alpha_is_kept() -> None:
    out = colour.to_srgb(flat((*PINK, 7), "RGBA"), P3)
    assert out.mode == "RGBA" and np.asarray(out)[0, 0, 3] == 7
    np.testing.assert_allclose(np.asarray(out)[0, 0, :3], expected_srgb(PINK), atol=1.5)


@pytest.mark.parametrize(
    "icc", [None, b"", b"not a profile", SRGB_TAG], ids=["untagged", "empty", "broken", "srgb"]
)
def test_untagged_broken_or_srgb_pictures_are_read_as_stored(icc: bytes | None) -> None:
    img = flat(PINK)
    assert colour.to_srgb(img, icc) is img


def test_a_profile_that_does_not_fit_the_picture_leaves_it_as_stored() -> None:
    grey = Image.fromarray(np.full((8, 8), 100, np.uint8))
    assert colour.to_srgb(grey, P3) is grey  # an RGB profile on a grey picture


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_decode_converts_a_tagged_file(fmt: str) -> None:
    buf = io.BytesIO()
    flat(PINK, side=64).save(buf, fmt, icc_profile=P3, quality=100)
    tagged = decode(buf.getvalue()).rgb
    np.testing.assert_allclose(tagged[32, 32], expected_srgb(PINK), atol=2.5)


def test_decode_turns_and_converts_a_tagged_rotated_photo() -> None:
    stored = np.zeros((40, 60, 3), np.uint8)
    stored[:] = PINK
    stored[:5, :5] = (255, 255, 255)  # a marker to follow the turn
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned 90 degrees clockwise
    buf = io.BytesIO()
    Image.fromarray(stored).save(buf, "PNG", icc_profile=P3, exif=exif)
    rgb = decode(buf.getvalue()).rgb
    assert rgb.shape == (60, 40, 3) and (rgb[:5, -5:] > 250).all()
    np.testing.assert_allclose(rgb[30, 20], expected_srgb(PINK), atol=1.5)


def test_the_profile_of_a_file_is_read_from_its_header() -> None:
    buf = io.BytesIO()
    flat(PINK).save(buf, "PNG", icc_profile=P3)
    assert colour.embedded_profile(buf.getvalue()) == P3
    assert colour.embedded_profile(b"not an image") is None
    converted = colour.rgb_to_srgb(np.asarray(flat(PINK)), P3)
    np.testing.assert_allclose(converted[0, 0], expected_srgb(PINK), atol=1.5)


# H.273 code points as pillow-heif reads them from a HEIF file's nclx box
P3_NCLX = P3_CODES | {
    "color_primary_red_x": 0.680, "color_primary_red_y": 0.320,
    "color_primary_green_x": 0.265, "color_primary_green_y": 0.690,
    "color_primary_blue_x": 0.150, "color_primary_blue_y": 0.060,
    "color_primary_white_x": 0.3127, "color_primary_white_y": 0.3290,
}  # fmt: skip
# linear Display P3 -> linear sRGB, as CSS Color 4's sample code computes it
P3_TO_SRGB = np.array(
    [[1.2249401, -0.2249404, 0.0],
     [-0.0420569, 1.0420571, 0.0],
     [-0.0196376, -0.0786361, 1.0982735]]
)  # fmt: skip


def expected_from_p3_nclx(rgb: tuple[int, int, int]) -> np.ndarray:
    v = np.array(rgb) / 255
    linear = np.clip(
        P3_TO_SRGB @ np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4), 0, 1
    )
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055) * 255


def pink() -> np.ndarray:
    return np.asarray(flat(PINK, side=64))


def test_p3_code_points_are_converted_as_the_colour_science_says() -> None:
    out = np.asarray(colour.nclx_to_srgb(flat(PINK), P3_NCLX))[0, 0]
    np.testing.assert_allclose(out, expected_from_p3_nclx(PINK), atol=1.0)
    alpha = np.asarray(colour.nclx_to_srgb(flat((*PINK, 7), "RGBA"), P3_NCLX))[0, 0]
    assert alpha[3] == 7 and (alpha[:3] == out).all()


def test_white_stays_white_whatever_the_white_point() -> None:
    dci = P3_NCLX | {
        "color_primaries": 11,
        "transfer_characteristics": 4,  # DCI-P3's white
        "color_primary_white_x": 0.314,
        "color_primary_white_y": 0.351,
    }
    for nclx in (P3_NCLX, dci):
        assert (np.asarray(colour.nclx_to_srgb(flat((255, 255, 255)), nclx)) == 255).all()


@pytest.mark.parametrize("primaries", [1, 2])  # BT.709 (sRGB's own), unspecified
def test_srgb_primaries_are_read_as_stored(primaries: int) -> None:
    img = flat(PINK)
    assert colour.nclx_to_srgb(img, P3_NCLX | {"color_primaries": primaries}) is img


def test_srgb_primaries_with_another_curve_are_brought_to_srgbs_curve() -> None:
    linear = P3_NCLX | {"color_primaries": 1, "transfer_characteristics": 8}
    out = np.asarray(colour.nclx_to_srgb(flat((128, 128, 128)), linear))[0, 0]
    np.testing.assert_allclose(out, 255 * (1.055 * (128 / 255) ** (1 / 2.4) - 0.055), atol=1.0)


@pytest.mark.parametrize("transfer", [16, 18])  # PQ, HLG
def test_hdr_curves_are_refused(transfer: int) -> None:
    with pytest.raises(colour.UnreadableColours):
        colour.nclx_to_srgb(flat(PINK), P3_NCLX | {"transfer_characteristics": transfer})
    hdr = nclx_heic(pink(), P3_CODES | {"transfer_characteristics": transfer}, quality=-1)
    with pytest.raises(ImageRejected) as e:
        decode(hdr)
    assert e.value.code == "unsupported_format"


def test_decode_converts_a_tagged_heif_photo() -> None:
    """HEIC from an iPhone carries an ICC profile; other HEIF writers use nclx code points."""
    by_nclx = decode(nclx_heic(pink(), quality=-1))
    np.testing.assert_allclose(by_nclx.rgb[32, 32], expected_from_p3_nclx(PINK), atol=2.5)
    buf = io.BytesIO()
    flat(PINK, side=64).save(buf, "HEIF", quality=-1, icc_profile=P3)
    by_icc = decode(buf.getvalue())
    np.testing.assert_allclose(by_icc.rgb[32, 32], expected_srgb(PINK), atol=2.5)
