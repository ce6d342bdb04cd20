"""deploy/: the compose stack of docs/DEPLOY.md, checked without docker (no compose here):
every variable a replica is given is one the bot or storage reads, the replicas share the
database and keys but not their outboxes, and the proxy sends /telegram to each of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.services.settings import BotSettings
from bot.web.settings import WebSettings
from storage.settings import StorageSettings

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SETTINGS = {name.upper() for cls in (BotSettings, StorageSettings) for name in cls.model_fields}


def stack() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def replicas(s: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: svc for name, svc in s["services"].items() if name.startswith("bot-")}


def test_replicas_are_webhook_bots_on_one_postgresql_database() -> None:
    s = stack()
    bots = replicas(s)
    assert len(bots) >= 2
    for name, bot in bots.items():
        env = bot["environment"]
        assert bot["command"] == ["anemia-bot", "--webhook"], name
        assert set(env) <= SETTINGS, set(env) - SETTINGS  # no variable the code ignores
        assert (
            env["DATABASE_URL"].startswith("postgresql+asyncpg://")
            and "@db:" in env["DATABASE_URL"]
        )
        assert env["WEBHOOK_URL"].endswith("/telegram") and env["WEBHOOK_PORT"] == "8443"
        assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    outboxes = [bot["volumes"][0].split(":")[0] for bot in bots.values()]
    assert len(set(outboxes)) == len(outboxes)  # each replica its own outbox
    named = {v.split(":")[0] for svc in s["services"].values() for v in svc.get("volumes", [])}
    assert {v for v in named if not v.startswith(".")} <= set(s["volumes"])


def test_the_proxy_spreads_telegram_over_every_replica() -> None:
    s = stack()
    caddy = (DEPLOY / "Caddyfile").read_text()
    assert "handle /telegram" in caddy
    for name in replicas(s):
        assert f"{name}:8443" in caddy
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in s["services"]["proxy"]["volumes"]


def test_the_image_holds_the_package_and_the_migrations() -> None:
    docker = (DEPLOY / "Dockerfile").read_text()
    for part in ("bot", "model", "storage", "migrations"):
        assert f"COPY {part} ./{part}" in docker
    assert "alembic.ini" in docker and 'CMD ["anemia-bot", "--webhook"]' in docker


def test_optional_variables_compose_leaves_empty_mean_not_set(monkeypatch) -> None:
    for name in ("RELAY_KEY", "REDIS_URL", "RELAY_OLD_KEYS"):  # `${RELAY_KEY:-}`: none in .env
        assert name in replicas(stack())["bot-1"]["environment"]
        monkeypatch.setenv(name, "")
    settings = BotSettings()
    assert settings.relay_key is None and settings.redis_url is None
    assert settings.relay_old_keys == ()


def test_redis_is_optional() -> None:
    redis = stack()["services"]["redis"]
    assert redis["profiles"] == ["redis"]  # up only with --profile redis


def test_the_dashboard_runs_beside_the_bots_behind_the_same_proxy() -> None:
    s = stack()
    web = s["services"]["web"]
    known = SETTINGS | {name.upper() for name in WebSettings.model_fields}
    assert web["command"][0] == "anemia-web" and set(web["environment"]) <= known
    assert web["environment"]["DATABASE_URL"] == replicas(s)["bot-1"]["environment"]["DATABASE_URL"]
    for bot in replicas(s).values():  # /web's links point at the proxy
        assert bot["environment"]["WEB_BASE_URL"] == web["environment"]["WEB_BASE_URL"]
    port = web["command"][web["command"].index("--port") + 1]
    caddy = (DEPLOY / "Caddyfile").read_text()
    assert "handle /dashboard* {\n\t\treverse_proxy web:" + port in caddy
    assert "handle /static/* {\n\t\treverse_proxy web:" + port in caddy
