"""The screening log: pseudonymised subjects, screenings, follow-ups, workers, chats, updates.

Stands alone (never imports `model` or `bot`). Repository functions are keyword-only and take
an `AsyncSession`; the caller owns the session and the transaction. See docs/STORAGE.md.
"""
