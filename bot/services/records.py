"""The follow-up cases as records for a spreadsheet or a program: one JSON-able object per
case and the CSV of a list of them, the same for `anemia-screen followups list` and the
dashboard's export. No pseudonym, chat id or photo: a case is its random code."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from storage.followups import FollowUpView
from storage.pseudonyms import format_case_code

CSV_FIELDS = [
    "case_code",
    "status",
    "reason",
    "opened_at",
    "team",
    "risk",
    "hb_g_dl",
    "interval_low",
    "interval_high",
    "reliable",
    "contact_opt_in",
    "assigned_worker_id",
    "lab_hb_g_dl",
    "lab_date",
    "outcome",
    "model_version",
    "population",
    "risk_group",
]


def case_object(c: FollowUpView) -> dict[str, object]:
    """One case as a JSON-able object."""
    return {
        "case_code": format_case_code(c.case_code),
        "status": c.status,
        "reason": c.reason,
        "opened_at": c.opened_at.isoformat(timespec="seconds"),
        "team": c.team,
        "risk": c.risk,
        "hb_g_dl": c.hb_g_dl,
        "interval": [c.interval_low, c.interval_high],
        "reliable": c.reliable,
        "contact_opt_in": c.contact_opt_in,
        "assigned_worker_id": c.assigned_worker_id,
        "lab_hb_g_dl": c.lab_hb_g_dl,
        "lab_date": c.lab_date.isoformat() if c.lab_date else None,
        "outcome": c.outcome,
        "model_version": c.model_version,
        "population": c.population,
        "risk_group": c.risk_group,
    }


def _csv_row(c: FollowUpView) -> dict[str, object]:
    row = case_object(c)
    del row["interval"]
    return {**row, "interval_low": c.interval_low, "interval_high": c.interval_high}


def cases_csv(cases: Sequence[FollowUpView]) -> str:
    """The cases as CSV with a header line, CSV_FIELDS in order."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(_csv_row(c) for c in cases)
    return out.getvalue()
