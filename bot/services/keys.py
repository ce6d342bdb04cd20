"""The start-up's refusals that need no database: a missing or development pseudonym key.
Light on purpose (no SQLAlchemy, no Telegram): `anemia-bot` checks them before it starts
loading the models and importing the rest of the bot."""

from __future__ import annotations

import logging

from storage.errors import StorageConfigError
from storage.pseudonyms import Pseudonymizer
from storage.settings import StorageSettings

log = logging.getLogger("bot")

# the key development set-ups use when ANEMIA_DEV_MODE is on; refused in production
DEV_KEY = "development-only-pseudonym-key-do-not-use-in-production"
DEV_KEY_ID = "dev"


class StartupRefused(Exception):
    """A setting makes it unsafe to start; the message says which and what to do."""


def pseudonymizer_for(storage: StorageSettings, dev_mode: bool) -> Pseudonymizer:
    """The pseudonymizer, refusing a missing or development key outside development mode."""
    key = storage.pseudonym_key.get_secret_value() if storage.pseudonym_key else None
    if key is None and dev_mode:
        log.warning("ANEMIA_DEV_MODE: using the development pseudonym key")
        return Pseudonymizer(DEV_KEY_ID, DEV_KEY.encode())
    if key == DEV_KEY and not dev_mode:
        raise StartupRefused("PSEUDONYM_KEY is the development key; set a secret one")
    try:
        return Pseudonymizer.from_settings(storage)
    except StorageConfigError as e:
        raise StartupRefused(str(e)) from e
