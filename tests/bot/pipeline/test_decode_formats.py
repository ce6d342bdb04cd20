"""Every format and mode we accept: colours kept, alpha as the mask, EXIF turned upright,
the first frame or page of many."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from bot.pipeline.decode import Decoded, ImageRejected, decode
from tests.bot.bad_inputs import RED, encode, quadrants, solid


def check(out: Decoded, shape: tuple[int, int], fmt: str) -> None:
    assert isinstance(out, Decoded)
    assert out.rgb.shape == (*shape, 3) and out.rgb.dtype == np.uint8
    assert out.rgb.flags.writeable and out.rgb.flags.c_contiguous
    assert out.format == fmt


@pytest.mark.parametrize(
    ("fmt", "kwargs", "tolerance"),
    [
        ("PNG", {}, 0),
        ("BMP", {}, 0),
        ("TIFF", {}, 0),
        ("WEBP", {"lossless": True}, 0),
        ("WEBP", {"quality": 90}, 12),
        ("JPEG", {"quality": 95}, 12),
        ("HEIF", {"quality": 95}, 12),  # HEIC, as iPhones save it
    ],
)
def test_rgb_formats(fmt, kwargs, tolerance):
    a = quadrants()
    out = decode(encode(Image.fromarray(a), fmt, **kwargs))
    check(out, (48, 64), fmt)
    assert out.alpha is None
    inner = (slice(4, 20), slice(4, 28))  # away from block edges, where lossy codecs blur
    diff = np.abs(out.rgb[inner].astype(int) - a[inner].astype(int))
    assert diff.max() <= tolerance


def test_mpo_reads_as_jpeg():
    data = encode(solid(), "MPO", save_all=True, append_images=[solid(colour=(0, 0, 255))])
    out = decode(data)
    check(out, (48, 64), "JPEG")
    assert np.abs(out.rgb[24, 32].astype(int) - RED).max() <= 6


def test_sixteen_bit_png_is_scaled_not_clipped():
    grey = np.linspace(0, 65535, 64 * 48).round().astype(np.uint16).reshape(48, 64)
    grey[0, :4] = (0, 1000, 32896, 65535)  # 32896 = 128 * 257
    img = Image.fromarray(grey)
    assert img.mode == "I;16"
    out = decode(encode(img, "PNG"))
    check(out, (48, 64), "PNG")
    assert out.rgb[0, :4, 0].tolist() == [0, 4, 128, 255]  # clipping would give 255 for 1000
    np.testing.assert_array_equal(out.rgb[..., 0], np.rint(grey / 257).astype(np.uint8))
    assert (out.rgb[..., 0] == out.rgb[..., 2]).all()


def test_32_bit_and_float_tiff():
    ints = np.full((40, 40), 32896, np.int32)
    floats = np.full((40, 40), 0.5, np.float32)
    for a in (ints, floats):
        out = decode(encode(Image.fromarray(a), "TIFF"))
        check(out, (40, 40), "TIFF")
        assert (out.rgb == 128).all()


def test_float_tiff_outside_unit_range_is_stretched():
    a = np.tile(np.linspace(-3.0, 5.0, 40, dtype=np.float32), (40, 1))
    out = decode(encode(Image.fromarray(a), "TIFF"))
    assert (out.rgb[0, 0, 0], out.rgb[0, -1, 0]) == (0, 255)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_greyscale(fmt):
    out = decode(encode(solid("L", colour=90), fmt))
    check(out, (48, 64), fmt)
    assert np.abs(out.rgb.astype(int) - 90).max() <= 1


def test_one_bit():
    img = solid("1", colour=0)
    img.paste(1, (0, 0, 32, 48))
    out = decode(encode(img, "PNG"))
    assert (out.rgb[:, :32] == 255).all() and (out.rgb[:, 32:] == 0).all()


def test_cmyk_jpeg():
    cmyk = solid().convert("CMYK")
    out = decode(encode(cmyk, "JPEG", quality=95))
    check(out, (48, 64), "JPEG")
    assert np.abs(out.rgb[24, 32].astype(int) - RED).max() <= 8


def transparent_centre(mode: str) -> tuple[Image.Image, np.ndarray]:
    """An image with a fully transparent left third and an opaque, half-transparent rest."""
    img = solid("RGBA").convert(mode)
    a = np.full((48, 64), 255, np.uint8)
    a[:, :20], a[:, 40:] = 0, 128
    img.putalpha(Image.fromarray(a))
    return img, a > 0


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_mask(mode):
    img, mask = transparent_centre(mode)
    out = decode(encode(img, "PNG"))
    check(out, (48, 64), "PNG")
    np.testing.assert_array_equal(out.alpha, mask)
    if mode == "RGBA":
        assert tuple(out.rgb[10, 30]) == RED


def test_webp_alpha():
    img, mask = transparent_centre("RGBA")
    out = decode(encode(img, "WEBP", lossless=True))
    np.testing.assert_array_equal(out.alpha, mask)


def test_opaque_alpha_channel_gives_no_mask():
    out = decode(encode(solid("RGBA", colour=(*RED, 255)), "PNG"))
    assert out.alpha is None and tuple(out.rgb[0, 0]) == RED


def test_palette_with_transparency():
    img = Image.new("P", (64, 48), 1)
    img.putpalette([0, 0, 0, *RED] + [0] * (256 - 2) * 3)
    img.paste(0, (0, 0, 16, 48))
    out = decode(encode(img, "PNG", transparency=0))
    mask = np.ones((48, 64), bool)
    mask[:, :16] = False
    np.testing.assert_array_equal(out.alpha, mask)
    assert tuple(out.rgb[0, 40]) == RED


def test_palette_without_transparency():
    img = solid().convert("P", palette=Image.Palette.ADAPTIVE)
    out = decode(encode(img, "PNG"))
    assert out.alpha is None and tuple(out.rgb[0, 0]) == RED


def test_exif_orientation_6_is_applied():
    a = quadrants(64, 48)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    out = decode(encode(Image.fromarray(a), "JPEG", quality=95, exif=exif))
    check(out, (64, 48), "JPEG")  # width and height swapped
    want = np.rot90(a, k=-1)  # clockwise
    for y, x in [(12, 12), (12, 36), (52, 12), (52, 36)]:  # the four block centres
        assert np.abs(out.rgb[y, x].astype(int) - want[y, x]).max() <= 12


def test_heif_turned_by_its_own_rotation_is_upright_once():
    """A phone's HEIC holds the turn twice: as the file's own rotation (irot), which libheif
    applies, and as EXIF orientation 6, which pillow-heif then reads as 1."""
    a = quadrants(64, 48)
    exif = Image.Exif()
    exif[0x0112] = 6
    # given EXIF as bytes, pillow-heif writes both, as phones do
    out = decode(encode(Image.fromarray(a), "HEIF", quality=95, exif=exif.tobytes()))
    check(out, (64, 48), "HEIF")
    want = np.rot90(a, k=-1)
    for y, x in [(12, 12), (12, 36), (52, 12), (52, 36)]:
        assert np.abs(out.rgb[y, x].astype(int) - want[y, x]).max() <= 12


def test_heif_is_checked_on_its_header_and_cut_files_are_corrupt():
    data = encode(Image.fromarray(quadrants()), "HEIF", quality=95)
    with pytest.raises(ImageRejected) as e:
        decode(data, max_pixels=64 * 48 - 1)
    assert e.value.code == "too_many_pixels"
    with pytest.raises(ImageRejected) as e:
        decode(data[: len(data) * 2 // 3])
    assert e.value.code == "corrupt"


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_broken_exif_does_not_reject_the_picture(monkeypatch):
    data = encode(Image.fromarray(quadrants()), "JPEG", exif=b"Exif\x00\x00II*\x00\xff\xff\xff\x7f")
    check(decode(data), (48, 64), "JPEG")

    def broken(img):
        raise SyntaxError("bad EXIF")

    monkeypatch.setattr("bot.pipeline.decode.ImageOps.exif_transpose", broken)
    check(decode(data), (48, 64), "JPEG")


def test_animated_gif_gives_first_frame():
    colours = (RED, (0, 0, 255), (0, 255, 0))
    frames = [solid(colour=c).convert("P", palette=Image.Palette.ADAPTIVE) for c in colours]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) == 3
    out = decode(data)
    check(out, (48, 64), "GIF")
    assert tuple(out.rgb[24, 32]) == RED


def test_multi_page_tiff_gives_first_page():
    pages = [solid(colour=c) for c in (RED, (0, 0, 255))]
    data = encode(pages[0], "TIFF", save_all=True, append_images=pages[1:])
    assert tuple(decode(data).rgb[0, 0]) == RED
