"""`anemia-screen predict` with several images or a folder: the models load once, each image
gets its line (JSON with --json), a refused one does not stop the others, and the exit code
says whether any was refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main as cli
from bot.pipeline import screening

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "docs" / "samples" / "conjunctiva_cp-anemic_017.png"


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The weights folders a Screener was made from, one entry per loading."""
    made: list[Path] = []
    real = screening.Screener

    def counted(weights: Path) -> screening.Screener:
        made.append(weights)
        return real(weights)

    monkeypatch.setattr(screening, "Screener", counted)
    return made


def test_a_folder_is_screened_with_one_loading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], loads: list[Path]
) -> None:
    folder = tmp_path / "programme"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        shutil.copy(SAMPLE, folder / name)
    (folder / "notes.txt").write_text("not an image")
    (folder / "c.jpg").write_bytes(b"not a jpeg")
    argv = ["predict", str(folder), "--age-months", "30", "--json", "--out", str(tmp_path)]
    assert cli.main(argv) == cli.EXIT_REJECTED  # c.jpg is refused
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [Path(line["image"]).name for line in lines] == ["a.png", "b.png", "c.jpg"]
    assert lines[0]["hb_g_dl"] == lines[1]["hb_g_dl"]
    assert lines[2]["rejected"] == "unsupported_format"
    assert len(loads) == 1
    assert (tmp_path / "a_gradcam.jpg").is_file() and (tmp_path / "b_mask.png").is_file()


def test_several_files_all_screened_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], loads: list[Path]
) -> None:
    argv = ["predict", str(SAMPLE), str(SAMPLE), "--age-months", "30", "--out", str(tmp_path)]
    assert cli.main(argv) == 0
    assert capsys.readouterr().out.count("g/dL") >= 2
    assert len(loads) == 1


def test_a_missing_file_is_a_usage_error_before_any_loading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], loads: list[Path]
) -> None:
    assert cli.main(["predict", str(SAMPLE), str(tmp_path / "gone.jpg")]) == cli.EXIT_USAGE
    assert "gone.jpg" in capsys.readouterr().err and not loads
