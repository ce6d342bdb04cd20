"""What the tests and the benchmarks share, outside the application.

- `testbed.telegram`: a stand-in Telegram Bot API server on 127.0.0.1 (`FakeTelegram`);
- `testbed.bot`: the real Application started against it, as `anemia-bot` would start it;
- `testbed.postgres`: scratch databases on the local PostgreSQL server;
- `testbed.icc`: colour-tagged pictures (a Display P3-like ICC profile, a JPEG carrying it).

The application never imports this package (an import-linter contract); the stand-in server
imports nothing of ours.
"""
