"""The `anemia-screen` command line: predict, cv and train, and its answers to bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bot.cli.main import main
from bot.texts.i18n import t
from bot.training import segeval
from model import WEIGHTS
from tests.bot.argv import argv as cli_argv

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "docs" / "samples" / "conjunctiva_cp-anemic_017.png"
ROTATED = 6  # EXIF "rotate 90 degrees clockwise to show": upright = np.rot90(stored, -1)


def sample_alpha(pad: int = 0) -> np.ndarray:
    """The sample cut-out's mask (alpha > 0), upright, with a `pad`-pixel frame around it."""
    with Image.open(SAMPLE) as img:
        return np.pad(np.asarray(img.convert("RGBA"))[..., 3] > 0, pad)


def read_mask(path: Path) -> np.ndarray:
    """A mask PNG written by `predict`: single channel, 0/255 only; returned as bool."""
    with Image.open(path) as img:
        assert img.format == "PNG" and img.mode == "L"
        mask = np.asarray(img)
    assert set(np.unique(mask)) <= {0, 255}
    return mask > 0


def rotated_jpeg(path: Path, pad: int = 40) -> np.ndarray:
    """The sample flattened on black with a frame, stored turned a quarter to the left and
    tagged with EXIF orientation 6 (as phones save a portrait shot); returns its upright mask."""
    with Image.open(SAMPLE) as img:
        rgba = np.asarray(img.convert("RGBA"))
    upright = np.where(rgba[..., 3:] > 0, rgba[..., :3], 0).astype(np.uint8)
    upright = np.pad(upright, ((pad, pad), (pad, pad), (0, 0)))
    exif = Image.Exif()
    exif[0x0112] = ROTATED
    Image.fromarray(np.rot90(upright, 1).copy()).save(path, "JPEG", quality=95, exif=exif)
    return sample_alpha(pad)


def test_predict_json_with_shipped_weights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (WEIGHTS / "ensemble.msgpack").is_file(), "weights must ship in the package"
    code = main(
        [
            "predict",
            str(SAMPLE),
            "--age-months",
            "24",
            "--sex",
            "m",
            "--json",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert 3.0 < out["hb_g_dl"] < 20.0
    lo, hi = out["interval"]
    assert lo < out["hb_g_dl"] < hi
    assert out["risk"] in ("none", "mild", "moderate", "severe")
    assert 0.0 <= out["attention_lower_half"] <= 1.0
    assert (out["population"], out["cohort"]) == ("cp-anemic", "children")
    assert isinstance(out["refer"], bool) and out["advice"]
    # the pipeline's codes, with the English words the bot would write for them
    assert out["advice"] == t("en", f"advice.{out['advice_code']}")
    assert out["risk_group_label"] == t("en", f"group.{out['risk_group']}")
    overlay = Path(out["gradcam"])
    assert overlay.is_file() and overlay.read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG
    assert "not a diagnosis" in out["disclaimer"]
    assert Path(out["mask"]) == tmp_path / f"{SAMPLE.stem}_mask.png"
    # a transparent cut-out's mask is its alpha mask, at the input's own size
    assert np.array_equal(read_mask(Path(out["mask"])), sample_alpha())


def test_predict_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", str(SAMPLE), "--out", str(tmp_path), "--age-months", "30"]) == 0
    text = capsys.readouterr().out
    assert "g/dL" in text and "interval" in text and "not a diagnosis" in text
    mask = tmp_path / f"{SAMPLE.stem}_mask.png"
    assert [line for line in text.splitlines() if str(mask) in line]
    assert read_mask(mask).shape == sample_alpha().shape


def test_predict_judges_by_the_programmes_elevation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the option, then the bot's ALTITUDE_M setting: the same raised cut-offs as the bot's
    argv = ["predict", str(SAMPLE), "--age-months", "30", "--json", "--out", str(tmp_path)]
    assert main([*argv, "--altitude-m", "2000"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["threshold_g_dl"], out["altitude_m"]) == (11.8, 2000.0)  # 110 + 8 g/L
    monkeypatch.setenv("ALTITUDE_M", "3000")
    assert main(argv[:-3] + ["--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "anaemia is Hb below 12.9 g/dL" in text and "raised by 1.9 g/dL" in text
    with pytest.raises(SystemExit) as usage:
        main([*argv, "--altitude-m", "high"])
    assert usage.value.code == 2
    assert "not a number of metres" in capsys.readouterr().err


def test_predict_mask_of_an_exif_rotated_photo_is_upright(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = tmp_path / "turned.jpg"
    truth = rotated_jpeg(photo)
    with Image.open(photo) as img:
        stored_w, stored_h = img.size
    argv = ["predict", str(photo), "--json", "--out", str(tmp_path / "out"), "--age-months", "30"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["source"] == "photo"  # no alpha: the U-Net had to find the conjunctiva
    mask = read_mask(Path(out["mask"]))
    assert mask.shape == (stored_w, stored_h) == truth.shape  # upright: W and H swapped
    iou = (mask & truth).sum() / (mask | truth).sum()
    assert iou > 0.6, iou  # on the conjunctiva as shown upright, not as stored


@pytest.mark.parametrize(
    ("content", "code"),
    [(None, 2), (b"", 3), (b"hello, not an image", 3), (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, 3)],
)
def test_predict_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, code: int
) -> None:
    path = tmp_path / "input.png"
    if content is not None:
        path.write_bytes(content)
    assert main(["predict", str(path)]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_predict_enormous_file_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.jpg"
    path.write_bytes(b"\xff\xd8\xff" + bytes(25 * 1024 * 1024))
    assert main(["predict", str(path), "--json"]) == 3
    captured = capsys.readouterr()
    assert json.loads(captured.out)["rejected"] == "too_large_file"
    assert "Traceback" not in captured.err


def test_cv_json_matches_train_metrics(
    synthetic_csv: Path,
    synthetic_adults_csv: Path,
    trained_weights: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = (synthetic_csv, synthetic_adults_csv)
    argv = cli_argv("cv", *data, folds=3, epochs=3, members=2, report=tmp_path, json=True)
    assert main(argv) == 0
    cv = json.loads(capsys.readouterr().out)
    shipped = json.loads((trained_weights / "metrics.json").read_text())
    assert cv == shipped  # same seed, same data: the same figures
    for key in ("mae", "rmse", "pearson_r", "auroc", "coverage", "n"):
        assert key in cv  # the children's figures stay at the top level
    # a CSV's dataset is its folder's name unless a column says; `site` splits it
    kids, grown = synthetic_csv.parent.name, synthetic_adults_csv.parent.name
    sites = {f"{grown}-north", f"{grown}-south"}
    assert set(cv["populations"]) == {kids, grown, *sites}
    for population in cv["populations"].values():
        assert {"mae", "rmse", "pearson_r", "auroc", "coverage", "n"} <= set(population)
        assert {"sensitivity", "specificity"} <= set(population)
        has_baselines_and_referral_costs(population, repeats=population.get("repeats"))
        # the share of each model's map on the lower half against its error, out of fold
        relation = {"spearman_rho", "rho_ci95", "mae_by_tertile", "holds", "warn_below"}
        assert relation <= set(population["attention"])
    # the children's line is on age and sex; the adults' also on the site
    assert cv["populations"][kids]["baselines"]["demographics"]["inputs"] == "age and sex"
    assert cv["populations"][grown]["baselines"]["demographics"]["inputs"] == "sex, age and site"
    assert "MAE demographics" in (trained_weights / "MODEL_CARD.md").read_text()
    assert (
        "blood tests per anaemic person found" in (trained_weights / "ADULTS_CARD.md").read_text()
    )
    assert cv["populations"][grown]["n"] == 40 and cv["populations"][f"{grown}-north"]["n"] == 20
    # adults' figures are means over the fold splits, with their spread; children's are one CV
    assert cv["populations"][grown]["repeats"] == 5 and "mae" in cv["populations"][grown]["sd"]
    assert "repeats" not in cv["populations"][kids]
    assert set(cv["leave_one_site_out"]) == {kids, *sites}
    assert cv["leave_one_site_out"][kids]["trained_on"] == sorted(sites)
    # adults: each site's own interval, and the one served to a new user (widest of the sites;
    # here pooled, as each site's 13 calibration rows per fold are under `widest`'s 20), which
    # must cover near 90% of each site's 20 people
    for site in sites:
        m = cv["populations"][site]
        assert m["coverage_served"] >= 0.75 and m["half_width_served"] > 0
    assert (tmp_path / "report.md").is_file() and (tmp_path / "scatter.png").is_file()
    assert (trained_weights / "MODEL_CARD.md").read_text().count("g/dL") > 2
    for card in ("MODEL_CARD.md", "ADULTS_CARD.md"):
        assert "## Where each estimate came from" in (trained_weights / card).read_text()


def has_baselines_and_referral_costs(population: dict, repeats: int | None = None) -> None:
    """A population's object has both baselines and the three rules' costs, with the keys of
    the population's own figures (and, over repeated splits, their mean and spread)."""
    keys = {"mae", "rmse", "pearson_r", "auroc", "sensitivity", "specificity", "n"}
    for name in ("mean", "demographics"):
        figures = population["baselines"][name]
        assert keys <= set(figures) and figures["n"] == population["n"]
        assert figures.get("repeats") == repeats and (repeats is None or "mae" in figures["sd"])
    for rule in ("served", "everyone", "demographics"):
        cost = population["referral"][rule]
        assert {"tests_per_case", "net_benefit", "threshold_probability"} <= set(cost)
    assert population["referral"]["everyone"]["referred"] == 1.0
    assert population["referral"]["served"]["sensitivity"] == population["sensitivity"]


def test_predict_with_trained_weights(
    trained_weights: Path,
    synthetic_csv: Path,
    synthetic_adults_csv: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    image = synthetic_csv.parent / "img_0.png"
    assert (
        main(
            [
                "predict",
                str(image),
                "--weights",
                str(trained_weights),
                "--json",
                "--out",
                str(tmp_path),
                "--age-months",
                "30",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert np.isfinite(out["hb_g_dl"]) and out["population"] == synthetic_csv.parent.name
    adult = synthetic_adults_csv.parent / "adult_0.png"
    assert (
        main(
            [
                "predict",
                str(adult),
                "--weights",
                str(trained_weights),
                "--json",
                "--out",
                str(tmp_path),
                "--age-months",
                "400",
                "--sex",
                "f",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert (out["population"], out["cohort"]) == (synthetic_adults_csv.parent.name, "adults")
    share = out["attention_lower_half"]  # of the occlusion map: a number, as for children
    assert isinstance(share, float) and 0.0 <= share <= 1.0
    with Image.open(out["gradcam"]) as picture:  # the map over the crop, written beside
        assert picture.format == "JPEG" and min(picture.size) > 0
    lo, hi = out["interval"]
    assert lo < out["hb_g_dl"] < hi


def test_predict_for_whom_no_model_is_validated_gives_no_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["predict", str(SAMPLE), "--json", "--out", str(tmp_path), "--pregnant"]
    assert main(argv) == 3
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["rejected"] == "not_covered_pregnant" and "hb_g_dl" not in out
    assert "antenatal" in captured.err and captured.err.count("\n") == 1
    assert main(["predict", str(SAMPLE), "--out", str(tmp_path)]) == 3  # age unknown
    err = capsys.readouterr().err
    assert "--age-months" in err and "/profile" not in err
    argv = ["predict", str(SAMPLE), "--out", str(tmp_path), "--age-months", "360"]
    assert main(argv) == 3  # an adult of unknown sex
    err = capsys.readouterr().err
    assert "--sex" in err and "/profile" not in err
    assert main([*argv, "--json"]) == 3  # a program reads the same sentence
    assert "--sex" in json.loads(capsys.readouterr().out)["message"]


def test_cv_missing_data_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cv", "--data", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err.startswith("anemia-screen: no such data")


def test_cv_of_one_cohort_keeps_every_population_in_leave_one_site_out(
    synthetic_csv: Path,
    synthetic_adults_csv: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = (synthetic_csv, synthetic_adults_csv)
    argv = cli_argv("cv", *data, cohort="adults", folds=3, repeats=2, report=tmp_path, json=True)
    assert main(argv) == 0
    cv = json.loads(capsys.readouterr().out)
    kids, grown = synthetic_csv.parent.name, synthetic_adults_csv.parent.name
    assert "mae" not in cv and kids not in cv["populations"]  # no children's CNN was run
    assert cv["populations"][grown]["repeats"] == 2
    for population in cv["populations"].values():  # the pooled adults and each site
        has_baselines_and_referral_costs(population, repeats=2)
    assert "MAE demographics" in (tmp_path / "report.md").read_text()
    # the adults' sites are scored without themselves, the children's data among the rest
    assert set(cv["leave_one_site_out"]) == {f"{grown}-north", f"{grown}-south"}
    assert kids in cv["leave_one_site_out"][f"{grown}-north"]["trained_on"]


def test_cv_needs_one_repeat_at_least(
    synthetic_adults_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cv", "--data", str(synthetic_adults_csv), "--repeats", "0"]) == 2
    assert capsys.readouterr().err == "anemia-screen: --repeats must be at least 1\n"


def test_cv_unknown_layout_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cv", "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_train_seg_then_measure_only(
    synthetic_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = cli_argv(
        "train-seg",
        synthetic_csv,
        pretrain_steps=2,
        per_cutout=1,
        negatives=10,
        eval_negatives=2,
        out=tmp_path,
        work=tmp_path / "work",
        json=True,
        channels="4,8",
        size="32x48",
    )
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    stage1 = json.loads((tmp_path / "work" / "stage1" / "unet.json").read_text())
    assert (stage1["channels"], stage1["height"], stage1["width"]) == ([4, 8], 32, 48)
    assert first["network"] == "2 levels (4, 8 channels), 32x48 input"
    comp = first["composites"]
    assert 0.0 <= comp["dice_composite"] <= 1.0 and 0.0 <= comp["refuse_negative"] <= 1.0
    assert (tmp_path / "unet.msgpack").is_file() and (tmp_path / "SEGMENTATION_CARD.md").is_file()
    assert main([*argv, "--measure-only"]) == 0
    assert json.loads(capsys.readouterr().out) == first  # same weights, same held-out scenes


def annotated_photos(folder: Path, n: int) -> Path:
    """n eye-like photos (a red band on grey) with masks, in the <name>.jpg + _mask.png layout."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        img = rng.integers(100, 140, (240, 320, 3), dtype=np.uint8)
        mask = np.zeros((240, 320), np.uint8)
        top = int(rng.integers(100, 160))
        mask[top : top + 30, 40:280] = 255
        img[mask > 0] = (210, 60, 60)
        Image.fromarray(img).save(folder / f"p{i}.jpg", quality=90)
        Image.fromarray(mask).save(folder / f"p{i}_mask.png")
    return folder


def test_train_seg_cross_validates_on_real_photos(
    synthetic_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photos = annotated_photos(tmp_path / "photos", 10)
    argv = cli_argv(
        "train-seg",
        synthetic_csv,
        photos,
        pretrain_steps=1,
        finetune_steps=1,
        real_folds=2,
        per_cutout=1,
        negatives=10,
        eval_negatives=1,
        out=tmp_path / "w",
        work=tmp_path / "work",
        mix="2,1,1",
        json=True,
    )
    assert main(argv) == 0
    real = json.loads(capsys.readouterr().out)["real_cv"]
    assert real["n"] == 10 and real["folds"] == 2 and len(real["dice_median_per_fold"]) == 2
    assert 0.0 <= real["dice"]["median"] <= 1.0 and 0.0 <= real["accepted"] <= 1.0
    assert set(real["gate_false_refusal"]) == set(segeval.GATES)
    card = (tmp_path / "w" / "SEGMENTATION_CARD.md").read_text()
    assert "real photos (CV)" in card and "fires on negatives" in card
    assert "batches of\n2 real views, 1 composite views and 1 negative views" in card
    assert (tmp_path / "work" / "folds" / "1" / "unet.msgpack").is_file()
    assert main([*argv, "--measure-only", "--mix", "11,3,2"]) == 0  # kept folds, measured again
    assert json.loads(capsys.readouterr().out)["real_cv"] == real
    card = (tmp_path / "w" / "SEGMENTATION_CARD.md").read_text()
    assert "2 real views, 1 composite views" in card  # as trained, not as the flag says
    (photos / "p9.jpg").rename(photos / "p10.jpg")  # another patient than the folds held out
    (photos / "p9_mask.png").rename(photos / "p10_mask.png")
    assert main([*argv, "--measure-only"]) == 2
    assert "train first" in capsys.readouterr().err


@pytest.mark.parametrize("flag", [["--mix", "11,3"], ["--mix", "11,0,2"]])
def test_train_seg_mix_is_three_positive_counts(
    tmp_path: Path, flag: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["train-seg", "--data", str(tmp_path), *flag])
    assert exit_.value.code == 2 and "--mix" in capsys.readouterr().err


@pytest.mark.parametrize("flag", [["--size", "30x50"], ["--channels", "4,8,16", "--size", "34x48"]])
def test_train_seg_refuses_a_size_its_levels_cannot_halve(
    tmp_path: Path, flag: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train-seg", "--data", str(tmp_path), *flag]) == 2
    assert "--size must divide by" in capsys.readouterr().err


def test_train_seg_missing_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train-seg", "--data", str(tmp_path / "none")]) == 2
    assert "no such data" in capsys.readouterr().err


@pytest.mark.parametrize("flag", [["--real-folds", "1"], ["--eval-negatives", "0"]])
def test_train_seg_refuses_settings_it_cannot_measure_with(
    tmp_path: Path, flag: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train-seg", "--data", str(tmp_path), *flag]) == 2
    assert "at least" in capsys.readouterr().err
