"""The queue's filters, read from the query string: every value is checked against the known
ones (a value that is not one is left out), numbers as the chat reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from bot.pipeline.risk import GROUPS
from bot.services import numbers
from bot.texts import i18n
from storage.followups import Narrow
from storage.models import RISKS, STATUSES, utcnow

OPEN = ("pending", "contacted")
PAGE_SIZE = 25
POPULATIONS = tuple(
    k.removeprefix("population.") for k in i18n.catalog(i18n.DEFAULT) if k.startswith("population.")
)
ASSIGNED = ("me", "nobody")


@dataclass(frozen=True)
class QueueQuery:
    statuses: tuple[str, ...] = OPEN
    risks: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    populations: tuple[str, ...] = ()
    assigned: Literal["me", "nobody", ""] = ""
    older_than_days: int | None = None
    page: int = 1

    def before(self, now: datetime | None = None) -> datetime | None:
        """Opened before this time, for `older_than_days`."""
        if self.older_than_days is None:
            return None
        return (now or utcnow()) - timedelta(days=self.older_than_days)

    def narrow(self, worker_id: int | None, *, with_lab: bool = False) -> Narrow:
        """The storage filter; "me" is the signed-in worker (the office has no cases)."""
        assigned: int | Literal["nobody"] | None = None
        if self.assigned == "nobody":
            assigned = "nobody"
        elif self.assigned == "me":
            assigned = worker_id if worker_id is not None else "nobody"
        return Narrow(self.groups, self.populations, assigned, with_lab)

    def link(self, **change: object) -> str:
        """The query string of these filters, with `change` (e.g. page=2)."""
        values = {
            "status": self.statuses,
            "risk": self.risks,
            "group": self.groups,
            "population": self.populations,
            "assigned": self.assigned or None,
            "older": self.older_than_days,
            "page": self.page,
        } | change
        pairs = [
            (k, v)
            for k, vs in values.items()
            for v in (vs if isinstance(vs, tuple) else (vs,))
            if v not in (None, "")
        ]
        return urlencode(pairs)


def _chosen(params: QueryParams, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v for v in dict.fromkeys(params.getlist(name)) if v in allowed)


def parse_queue(params: QueryParams) -> QueueQuery:
    """The filters in the query string; with no status chosen, the open cases."""
    older = numbers.whole(params.get("older", ""), digits=5)
    page = numbers.whole(params.get("page", ""), digits=5)
    assigned = params.get("assigned", "")
    return QueueQuery(
        statuses=_chosen(params, "status", STATUSES) or OPEN,
        risks=_chosen(params, "risk", RISKS),
        groups=_chosen(params, "group", tuple(GROUPS)),
        populations=_chosen(params, "population", POPULATIONS),
        assigned=assigned if assigned in ASSIGNED else "",  # type: ignore[arg-type]
        older_than_days=older,
        page=max(page or 1, 1),
    )
