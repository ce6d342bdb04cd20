"""The bot's inference pool as its settings ask for it. Made as soon as the settings are read:
an `ExecutorPool`'s child process starts loading the models at once, beside the bot's own
imports, migration and registration, which take as long again on a 2-core machine."""

from __future__ import annotations

from bot.pipeline.executor import Pool, make_pool
from bot.services.settings import BotSettings


def pool_for(settings: BotSettings) -> Pool:
    """The pool INFERENCE_* describe; call `start` to wait until its models are loaded."""
    return make_pool(
        settings.anemia_weights,
        workers=settings.inference_workers,
        queue_size=settings.inference_queue,
        processes=settings.inference_processes,
        timeout_s=settings.photo_timeout_s,
    )
