"""The entry points as a person runs them: `anemia-bot --local --port P` with no token serves
a page with a file input at `/`; `/dashboard` without a session shows no case; a link from
`anemia-screen web-link --team default --base-url ...` opens it once; `anemia-web` serves the
same dashboard on the same database."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.cli.main import main
from bot.texts.i18n import t
from storage.db import migrate_to_head
from storage.settings import get_settings
from testbed.bot import free_port
from tests.bot.e2e import weights_dir

__all__ = ["weights_dir"]
ROOT = Path(__file__).resolve().parents[3]
START_S = 180.0


def _env(tmp_path: Path, weights: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PSEUDONYM_"))}
    return {
        **env,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'anemia.db'}",
        "ANEMIA_LOCAL_DIR": str(tmp_path / "local"),
        "ANEMIA_WEIGHTS": str(weights),
    }


def _wait(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.3)
    pytest.fail(f"did not answer in {START_S} s: {log.read_text()[-2000:]}")


def _running(argv: list[str], env: dict[str, str], log: Path, url: str) -> Iterator[None]:
    with log.open("ab") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        _wait(url, process, log)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def local(tmp_path: Path, weights_dir: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    port, env, log = free_port(), _env(tmp_path, weights_dir), tmp_path / "local.log"
    argv = [sys.executable, "-m", "bot.cli.serve", "--local", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    yield from ((base, env, log) for _ in _running(argv, env, log, base + "/"))


def web_link(env: dict[str, str], base: str, *extra: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "bot.cli.main", "web-link", "--team", "default"]
    return subprocess.run(
        [*argv, "--base-url", base, *extra], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_the_local_trial_and_a_link_that_opens_the_dashboard_once(local, tmp_path) -> None:
    base, env, log = local
    page = httpx.get(base + "/")
    assert page.status_code == 200
    assert re.search(r'<input[^>]*type="file"[^>]*accept="image/\*"', page.text)
    assert t("en", "web.local_banner") in page.text
    assert "made a local pseudonym key" in log.read_text()
    assert (tmp_path / "local" / "local-keys.json").is_file()
    signed_out = httpx.get(base + "/dashboard")
    assert signed_out.status_code == 401 and "/dashboard/case/" not in signed_out.text
    made = web_link(env, base)
    assert made.returncode == 0, made.stderr
    [line] = made.stdout.splitlines()
    assert line.startswith(f"{base}/dashboard/signin?token=")
    token = line.rsplit("=", 1)[1]
    assert httpx.get(line).status_code == 200  # the page with the button spends nothing
    with httpx.Client(base_url=base) as browser:
        first = browser.post("/dashboard/signin", data={"token": token})
        assert first.status_code == 303 and "anemia_dashboard" in first.cookies
        assert browser.get("/dashboard").status_code == 200
    again = httpx.post(base + "/dashboard/signin", data={"token": token})
    assert again.status_code == 403 and t("en", "web.link_used") in again.text
    assert "anemia_dashboard" not in again.cookies


def test_anemia_web_serves_the_dashboard_on_the_same_database(tmp_path, weights_dir) -> None:
    port, env, log = free_port(), _env(tmp_path, weights_dir), tmp_path / "web.log"
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "bot.web.app", "--port", str(port)]
    for _ in _running(argv, env, log, base + "/dashboard"):
        assert httpx.get(base + "/dashboard").status_code == 401
        made = web_link(env, base, "--admin")
        assert made.returncode == 0, made.stderr
        with httpx.Client(base_url=base) as browser:
            signed = browser.post(
                "/dashboard/signin", data={"token": made.stdout.split("=")[-1].strip()}
            )
            assert signed.status_code == 303
            queue = browser.get("/dashboard")
            assert t("en", "worker.role_admin") in queue.text


def test_web_link_refuses_an_unknown_team_and_a_missing_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'anemia.db'}")
    monkeypatch.delenv("WEB_BASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        asyncio.run(migrate_to_head(f"sqlite:///{tmp_path / 'anemia.db'}"))
        assert main(["web-link", "--team", "nowhere", "--base-url", "http://x"]) == 2
        assert "no team named 'nowhere'" in capsys.readouterr().err
        assert main(["web-link", "--team", "default"]) == 2
        assert "WEB_BASE_URL" in capsys.readouterr().err
        assert main(["web-link", "--team", "default", "--base-url", "ftp://x"]) == 2
    finally:
        get_settings.cache_clear()
