"""`anemia-screen export` and `adapt` at the terminal: one line for every refusal, exit codes,
nothing written where adapting does not help."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.adapt import EXIT_REFUSED
from bot.cli.main import main
from storage.db import migrate_to_head
from storage.settings import get_settings


@pytest.fixture
def empty_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    db = tmp_path / "log.db"
    asyncio.run(migrate_to_head(f"sqlite+aiosqlite:///{db}"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def err_line(argv: list[str], capsys: pytest.CaptureFixture[str], code: int = 2) -> str:
    assert main(argv) == code
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    return err.splitlines()[-1]


def test_export_refuses_a_bad_name_an_empty_log_and_an_unknown_team(
    empty_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ["export", "--lab-confirmed", "--out", str(tmp_path / "x")]
    assert "dataset name 'Clinic A'" in err_line([*out, "--dataset", "Clinic A"], capsys)
    assert "no lab-confirmed screenings" in err_line(out, capsys)
    assert "no team named 'south'" in err_line([*out, "--team", "south"], capsys)
    assert not (tmp_path / "x" / "labels.csv").exists()


def test_adapt_refuses_folders_it_would_overwrite(
    synthetic_adults_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "file").write_text("x")
    base = ["adapt", "--data", str(synthetic_adults_csv)]
    assert "not an empty folder" in err_line([*base, "--out", str(tmp_path / "used")], capsys)
    missing = ["adapt", "--data", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o")]
    assert "no such data file" in err_line(missing, capsys)


def test_too_few_people_is_refused_and_nothing_is_written(
    synthetic_adults_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    few = tmp_path / "few" / "labels.csv"
    few.parent.mkdir()
    lines = synthetic_adults_csv.read_text().splitlines()
    few.write_text(
        "\n".join(lines[:11]).replace("adult_", str(synthetic_adults_csv.parent) + "/adult_") + "\n"
    )
    argv = ["adapt", "--data", str(few), "--out", str(tmp_path / "adapted"), "--json"]
    assert "too few people" in err_line(argv, capsys, code=EXIT_REFUSED)
    assert not (tmp_path / "adapted").exists()


def test_adapting_to_a_redder_camera_writes_a_servable_folder(
    synthetic_adults_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "adapted"
    assert main(["adapt", "--data", str(synthetic_adults_csv), "--out", str(out), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    adults = figures["cohorts"]["adults"]
    assert adults["n"] == 40 and adults["written"] and adults["mae_adapted"] < adults["mae_served"]
    saved = json.loads((out / "metrics.json").read_text())["adapted"]
    assert saved["cohorts"]["adults"]["version"] == adults["version"]
    assert (out / "adapted-adults.msgpack").is_file() and (out / "ADAPTED_CARD.md").is_file()
    image = synthetic_adults_csv.parent / "adult_0.png"
    argv = [
        "predict",
        str(image),
        "--age-months",
        "400",
        "--sex",
        "f",
        "--weights",
        str(out),
        "--json",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["model_version"] == adults["version"] and shown["population"] == figures["dataset"]
