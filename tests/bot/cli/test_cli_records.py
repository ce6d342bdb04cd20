"""`anemia-screen followups list|contacted|decline|note|assign|resolve` and `stats` on a SQLite
log named by DATABASE_URL."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.followups import RecordsError, add_parsers, run
from bot.cli.main import main
from bot.pipeline.risk import Person, classify
from bot.services.screening_record import screening_record
from storage import followups, screenings, subjects, workers
from storage.db import make_engine, make_sessionmaker, migrate_to_head
from storage.settings import get_settings
from tests.storage.helpers import pseudonymizer, record

P = pseudonymizer()


def _parse(argv: list[str]) -> argparse.Namespace:
    """The `anemia-screen` parser as bot/cli/main.py builds it, with these sub-commands."""
    parser = argparse.ArgumentParser(prog="anemia-screen")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


async def _seed(url: str) -> None:
    await migrate_to_head(url)
    engine = make_engine(url)
    async with make_sessionmaker(engine).begin() as session:
        team = await workers.get_or_create_team(session, name="north")
        for i, (hb, risk) in enumerate([(12.1, "none"), (9.0, "moderate"), (6.2, "severe")]):
            s = await subjects.create_subject(
                session, pseudonym=P.pseudonym(i), consent_version="v1", team_id=team.id
            )
            await screenings.record_screening(session, subject_id=s.id, record=record(hb, risk))
    await engine.dispose()


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    db = tmp_path / "log.db"
    url = f"sqlite+aiosqlite:///{db}"
    asyncio.run(_seed(url))
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def _out(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert run(_parse(argv)) == 0
    return capsys.readouterr().out


def test_list_formats(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = json.loads(_out(["followups", "list", "--format", "json"], capsys))
    assert isinstance(cases, list) and [c["risk"] for c in cases] == ["moderate", "severe"]
    assert cases[0]["hb_g_dl"] == 9.0 and cases[0]["interval"] == [7.5, 10.5]
    assert cases[0]["status"] == "pending" and cases[0]["team"] == "north"
    assert len(cases[0]["case_code"]) == 9 and cases[0]["case_code"][4] == "-"
    rows = list(csv.DictReader(io.StringIO(_out(["followups", "list", "--format", "csv"], capsys))))
    assert [r["case_code"] for r in rows] == [c["case_code"] for c in cases]
    assert rows[1]["interval_low"] == "4.7"
    table = _out(["followups", "list", "--risk", "severe", "--status", "pending"], capsys)
    assert "severe" in table and "moderate" not in table and "1 case(s)" in table
    since = _out(["followups", "list", "--since", "2999-01-01", "--format", "json"], capsys)
    assert json.loads(since) == []


def test_resolve_then_stats(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = json.loads(_out(["followups", "list", "--format", "json"], capsys))
    code = cases[0]["case_code"]
    out = _out(["followups", "resolve", code.lower(), "--lab-hb", "9.8", "--note", "lab"], capsys)
    assert f"resolved {code}" in out and "-0.8" in out
    pending = json.loads(
        _out(["followups", "list", "--status", "pending", "--format", "json"], capsys)
    )
    assert [c["case_code"] for c in pending] == [cases[1]["case_code"]]
    stats = json.loads(_out(["stats", "--format", "json"], capsys))
    assert stats["screenings"] == 3 and stats["risk_mix"]["severe"] == 1
    assert stats["followups"]["resolved"] == 1 and stats["followups"]["completion"] == 0.5
    assert stats["lab_comparison"] == {
        "n": 1,
        "mae_g_dl": 0.8,
        "bias_g_dl": -0.8,
        "interval_coverage": 1.0,
    }
    [group] = stats["by_model"]  # one population and model version so far
    assert (group["population"], group["n"], group["bias_g_dl"]) == ("cp-anemic", 1, -0.8)
    assert group["limits_of_agreement_g_dl"] == [-0.8, -0.8]
    text = _out(["stats", "--since", "2000-01-01"], capsys)
    assert "MAE 0.80 g/dL" in text and "bias -0.80" in text and "screenings: 3" in text
    assert "cp-anemic, test-1: n 1" in text and "specificity" in text


def test_stats_plot(log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plot = tmp_path / "agreement.png"
    assert main(["stats", "--plot", str(plot)]) == 2  # no lab Hb yet: nothing to plot
    assert "nothing to plot" in capsys.readouterr().err and not plot.exists()
    code = json.loads(_out(["followups", "list", "--format", "json"], capsys))[0]["case_code"]
    _out(["followups", "resolve", code, "--lab-hb", "9.8"], capsys)
    assert main(["stats", "--plot", str(plot)]) == 0
    assert plot.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["followups", "list", "--risk", "awful"], "--risk: unknown awful"),
        (["followups", "list", "--status", "lost"], "--status: unknown lost"),
        (["followups", "list", "--since", "yesterday"], "--since must be a date"),
        (["followups", "list", "--team", "nowhere"], "no team named"),
        (["followups", "resolve", "ZZZZ-ZZZZ", "--lab-hb", "9"], "no follow-up with case code"),
        (["followups", "contacted", "ZZZZ-ZZZZ"], "no follow-up with case code"),
        (["followups", "decline", "ZZZZ-ZZZZ", "--reason", "moved"], "no follow-up with case"),
        (["followups", "decline", "ZZZZ-ZZZZ", "--reason", " "], "--reason must not be empty"),
        (["followups", "note", "ZZZZ-ZZZZ", "--text", "hello"], "no follow-up with case code"),
        (["followups", "assign", "ZZZZ-ZZZZ", "--unassign"], "no follow-up with case code"),
        (["stats", "--since", "2024-13-01"], "--since must be a date"),
    ],
)
def test_bad_input_is_one_line(log: Path, argv: list[str], message: str) -> None:
    with pytest.raises(RecordsError, match=message) as e:
        run(_parse(argv))
    assert "\n" not in str(e.value)


def _assign_to_a_worker(code: str) -> None:
    async def assign() -> None:
        engine = make_engine(get_settings().database_url)
        async with make_sessionmaker(engine).begin() as session:
            team = await workers.get_or_create_team(session, name="north")
            nurse = await workers.ensure_worker(
                session, pseudonym=P.pseudonym(7, "worker"), team_id=team.id, role="health_worker"
            )
            await followups.assign_followup(
                session, case_code=code, worker=nurse, assignee_id=nurse.id
            )
        await engine.dispose()

    asyncio.run(assign())


def test_contacted_note_assign_decline(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = json.loads(_out(["followups", "list", "--format", "json"], capsys))[0]["case_code"]
    typed = code.replace("-", "").lower()  # accepted without the dash, in lower case
    assert _out(["followups", "contacted", typed, "--note", "called"], capsys) == (
        f"contacted {code}\n"
    )
    assert _out(["followups", "contacted", code], capsys) == f"contacted {code}\n"  # again
    assert _out(["followups", "note", code, "--text", "lab booked"], capsys) == (
        f"note added to {code}\n"
    )
    _assign_to_a_worker(code)

    def case() -> dict[str, object]:
        cases = json.loads(_out(["followups", "list", "--format", "json"], capsys))
        return next(c for c in cases if c["case_code"] == code)

    assert case()["status"] == "contacted" and case()["assigned_worker_id"] is not None
    assert _out(["followups", "assign", code, "--unassign"], capsys) == (
        f"{code} is now assigned to nobody\n"
    )
    assert case()["assigned_worker_id"] is None
    assert _out(["followups", "decline", code, "--reason", "moved away"], capsys) == (
        f"declined {code}\n"
    )
    assert case()["status"] == "declined"
    with pytest.raises(RecordsError, match="is declined; it cannot become contacted"):
        run(_parse(["followups", "contacted", code]))
    with pytest.raises(RecordsError, match="a note must have"):
        run(_parse(["followups", "note", code, "--text", "  "]))
    assert _out(["followups", "note", code, "--text", "moved to the city"], capsys) == (
        f"note added to {code}\n"
    )  # a closed case takes notes


def test_errors_are_one_line_with_exit_code_2(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = json.loads(_out(["followups", "list", "--format", "json"], capsys))[0]["case_code"]
    assert main(["followups", "decline", code, "--reason", "no"]) == 0
    assert capsys.readouterr().out == f"declined {code}\n"
    for argv in (
        ["followups", "contacted", code, "--note", "again"],
        ["followups", "decline", code, "--reason", "no"],
        ["followups", "note", "ZZZZ-ZZZZ", "--text", "x"],
        ["followups", "note", code, "--text", "x" * 2001],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("anemia-screen: ") and err.count("\n") == 1, err
        assert "Traceback" not in err
    for argv in (
        ["followups", "assign", code],  # the operator only unassigns
        ["followups", "decline", code],  # a reason is required
        ["followups", "note", code],
    ):
        with pytest.raises(SystemExit) as e:
            main(argv)
        assert e.value.code == 2


def test_out_of_range_lab_hb(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = json.loads(_out(["followups", "list", "--format", "json"], capsys))[0]["case_code"]
    with pytest.raises(RecordsError, match="lab Hb must be"):
        run(_parse(["followups", "resolve", code, "--lab-hb", "98"]))


def test_missing_or_unmigrated_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    get_settings.cache_clear()
    with pytest.raises(RecordsError, match="no database at"):
        run(_parse(["stats"]))
    assert not (tmp_path / "none.db").exists()  # a read creates nothing
    (tmp_path / "empty.db").touch()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    with pytest.raises(RecordsError, match="alembic upgrade head"):
        run(_parse(["stats"]))
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    get_settings.cache_clear()
    with pytest.raises(RecordsError, match="database error"):
        run(_parse(["stats"]))
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/log")
    get_settings.cache_clear()
    with pytest.raises(RecordsError, match="DATABASE_URL must be"):
        run(_parse(["stats"]))
    get_settings.cache_clear()


def test_screening_record_from_a_screening() -> None:
    from bot.pipeline.result import Screening  # the bot's result type (imports no weights)

    risk = classify(9.1, (7.6, 10.6), Person(age_months=30, sex="f"))
    values = {
        "hb_g_dl": 9.1,
        "interval": (7.6, 10.6),
        "coverage": 0.9,
        "risk": risk,
        "attention_lower_half": 0.62,
        "warnings": ("low_attention",),
        "source": "photo",
        "area_fraction": 0.08,
        "overlay_jpeg": b"",
        "model_version": "v7",
        "refer": True,
        "population": "cp-anemic",
        "cohort": "children",
    }
    rec = screening_record(Screening(**values))  # type: ignore[arg-type]
    assert (rec.risk, rec.bands, rec.reliable, rec.followup_reason) == (
        "moderate",
        (11.0, 10.0, 7.0),
        False,
        "moderate",
    )
    assert rec.model_version == "v7" and rec.hb_g_dl == 9.1
    assert (rec.image_source, rec.segmentation_area) == ("photo", 0.08)
    assert (rec.population, rec.refer) == ("cp-anemic", True)


async def _seed_lab_confirmed(url: str, n: int) -> None:
    """`n` flagged children resolved with a lab Hb that is a straight line in their age."""
    await migrate_to_head(url)
    engine = make_engine(url)
    async with make_sessionmaker(engine).begin() as session:
        for i in range(n):
            s = await subjects.create_subject(
                session, pseudonym=P.pseudonym(i), consent_version="v1"
            )
            age = 12.0 + 4 * i
            profile = subjects.Profile(age_months=age, sex="fm"[i % 2])
            await subjects.set_profile(session, subject_id=s.id, profile=profile)
            _, case = await screenings.record_screening(
                session, subject_id=s.id, record=record(9.0, "moderate")
            )
            assert case is not None
            await followups.resolve_followup(
                session, case_code=case.case_code, worker=None, lab_hb_g_dl=8 + 0.05 * age
            )
    await engine.dispose()


def test_stats_sets_the_photo_beside_age_and_sex(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'log.db'}"
    asyncio.run(_seed_lab_confirmed(url, 12))
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    stats = json.loads(_out(["stats", "--format", "json"], capsys))
    [line] = stats["demographics_baseline"]
    assert (line["population"], line["n"], line["mae_age_sex_line_g_dl"]) == ("cp-anemic", 12, 0.0)
    assert line["mae_photo_g_dl"] > 0.5 and line["photo_clearly_better"] is False
    text = _out(["stats"], capsys)
    assert "errs 0.00 g/dL on these 12 cases" in text and "NOT clearly better" in text
    get_settings.cache_clear()
