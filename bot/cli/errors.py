"""What the `anemia-screen` sub-commands share: their exit codes and their usage error."""

from __future__ import annotations

EXIT_USAGE, EXIT_REJECTED, EXIT_INTERNAL = 2, 3, 1


class CliError(Exception):
    """A problem the person at the terminal can fix; printed as one line."""
