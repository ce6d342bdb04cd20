"""The `anemia-screen` command line: predict, cv and train, and its answers to bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bot.cli import main
from model import WEIGHTS

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "docs" / "samples" / "conjunctiva_cp-anemic_017.png"


def test_predict_json_with_shipped_weights(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (WEIGHTS / "ensemble.msgpack").is_file(), "weights must ship in the package"
    code = main(["predict", str(SAMPLE), "--age-months", "24", "--sex", "m", "--json",
                 "--out", str(tmp_path)])  # fmt: skip
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert 3.0 < out["hb_g_dl"] < 20.0
    lo, hi = out["interval"]
    assert lo < out["hb_g_dl"] < hi
    assert out["risk"] in ("none", "mild", "moderate", "severe")
    assert 0.0 <= out["attention_lower_half"] <= 1.0
    png = Path(out["gradcam"])
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "not a diagnosis" in out["disclaimer"]


def test_predict_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", str(SAMPLE), "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "g/dL" in text and "interval" in text and "not a diagnosis" in text


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
    synthetic_csv: Path, trained_weights: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["cv", "--data", str(synthetic_csv), "--folds", "3", "--epochs", "3", "--members", "2",
            "--report", str(tmp_path), "--json"]  # fmt: skip
    assert main(argv) == 0
    cv = json.loads(capsys.readouterr().out)
    shipped = json.loads((trained_weights / "metrics.json").read_text())
    assert cv == shipped  # same seed, same data: the same figures
    for key in ("mae", "rmse", "pearson_r", "auroc", "coverage", "n"):
        assert key in cv
    assert (tmp_path / "report.md").is_file() and (tmp_path / "scatter.png").is_file()
    assert (trained_weights / "MODEL_CARD.md").read_text().count("g/dL") > 2


def test_predict_with_trained_weights(trained_weights: Path, synthetic_csv: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    image = synthetic_csv.parent / "img_0.png"
    assert main(["predict", str(image), "--weights", str(trained_weights), "--json",
                 "--out", str(tmp_path)]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert np.isfinite(out["hb_g_dl"])


def test_cv_missing_data_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cv", "--data", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err.startswith("anemia-screen: no such data")


def test_cv_unknown_layout_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cv", "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_train_seg_then_measure_only(
    synthetic_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["train-seg", "--data", str(synthetic_csv), "--epochs", "1", "--per-cutout", "1",
            "--negatives", "10", "--eval-negatives", "2", "--out", str(tmp_path),
            "--json"]  # fmt: skip
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert 0.0 <= first["dice_composite"] <= 1.0 and 0.0 <= first["refuse_negative"] <= 1.0
    assert (tmp_path / "unet.msgpack").is_file() and (tmp_path / "SEGMENTATION_CARD.md").is_file()
    assert main([*argv, "--measure-only"]) == 0
    assert json.loads(capsys.readouterr().out) == first  # same weights, same held-out scenes


def test_train_seg_missing_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train-seg", "--data", str(tmp_path / "none")]) == 2
    assert "no such data" in capsys.readouterr().err
