"""What health workers read: their commands' answers, the cases and the team figures."""

from __future__ import annotations

from bot.texts.registry import Message, _msg, _plural

MESSAGES: tuple[Message, ...] = (
    _msg("worker.members_header", "Your team's health workers:"),
    _msg("worker.member", "#{n} {role}, joined {since}{you}"),
    _msg("worker.member_you", " (you)"),
    _msg("worker.role_health_worker", "health worker"),
    _msg("worker.role_admin", "admin"),
    _msg("worker.revoke_usage", "Usage: /revoke N, with the number /workers shows (not your own)."),
    _msg("worker.revoke_unknown", "No health worker #{n} in your team."),
    _msg("worker.revoked", "Health worker #{n} no longer has access; their notes stay."),
    _msg("worker.message_usage", "Usage: /message CODE TEXT"),
    _msg(
        "worker.message_sent",
        "Sent to the person of case {code}. Their answer will appear in /case {code}.",
    ),
    # TRANSLATORS: {language} is a language's name, e.g. "Hindi (हिन्दी)"
    _msg("worker.reads", "The person reads {language}."),
    _msg(
        "worker.unreachable",
        "The person of case {code} cannot be reached through the bot (no consent to contact, "
        "the case is closed, or no relay key is set).",
    ),
    _msg("worker.denied", "This command is for health workers."),
    _msg("worker.pending_empty", "No open cases."),
    _plural(
        "worker.pending_header",
        "{n} open case, page {page} of {pages}:",
        "{n} open cases, page {page} of {pages}:",
    ),
    _msg("worker.pending_line", "{code}: {status}, {risk}, {hb} g/dL, opened {opened}"),
    _msg(
        "worker.pending_usage",
        "Usage: /pending [risk] [older than N days] [page N], for example /pending "
        "moderate,severe 7 page 2 (risks: none, mild, moderate, severe)",
    ),
    _plural(
        "worker.pending_no_page",
        "There is no page {page}: the open cases fill {pages} page.",
        "There is no page {page}: the open cases fill {pages} pages.",
        count="pages",
    ),
    _msg(
        "worker.case",
        "Case {code}\n"
        "Status: {status} (reason: {reason})\n"
        "Estimate: {hb} g/dL ({low} to {high}), {risk}\n"
        "Reliable: {reliable}; may be contacted: {contact}\n"
        "Lab Hb: {lab}\n"
        "Assigned to: {assigned}",
    ),
    _msg("worker.history", "History:"),
    _plural(
        "worker.history_more", "({n} earlier entry not shown)", "({n} earlier entries not shown)"
    ),
    _msg("worker.history_opened", "{date} opened"),
    _msg("worker.history_contacted", "{date} contacted (the latest time)"),
    _msg("worker.history_resolved", "{date} resolved"),
    _msg("worker.history_declined", "{date} declined"),
    _msg("worker.history_note", "{date} note by {author}: {text}"),
    _msg("worker.you", "you"),
    _msg("worker.another_worker", "another worker"),
    _msg("worker.nobody", "nobody"),
    _msg("worker.office", "the office (command line)"),
    _msg("worker.person", "the person (an answer through the bot)"),
    _msg("worker.case_usage", "Usage: /case CODE"),
    _msg("worker.not_found", "No case with that code in your team."),
    _msg(
        "worker.resolve_usage",
        "Usage: /resolve CODE LAB_HB [YYYY-MM-DD] [note], for example /resolve K7QX-M2PA 9.8 "
        "2026-03-02 iron started (without a date: today)",
    ),
    _msg(
        "worker.bad_value",
        "That value is not accepted: lab Hb must be a number from 2 to 25 g/dL, and a note at "
        "most 2000 characters.",
    ),
    _msg("worker.bad_transition", "Case {code} is already closed."),
    _msg(
        "worker.resolved",
        "Case {code} resolved: lab Hb {lab} g/dL (the estimate was {hb} g/dL).",
    ),
    _msg(
        "worker.contacted_usage",
        "Usage: /contacted CODE [note], for example /contacted K7QX-M2PA lab booked for Monday",
    ),
    _msg("worker.contacted", "Case {code} marked contacted."),
    _msg(
        "worker.decline_usage",
        "Usage: /decline CODE REASON, for example /decline K7QX-M2PA moved away",
    ),
    _msg("worker.declined", "Case {code} closed: the person declined."),
    _msg(
        "worker.note_usage",
        "Usage: /note CODE TEXT, for example /note K7QX-M2PA no answer, will call again",
    ),
    _msg("worker.noted", "Note added to case {code}."),
    _msg("worker.note_bad", "A note must have 1 to {max} characters."),
    _msg("worker.take_usage", "Usage: /take CODE"),
    _msg("worker.taken", "Case {code} is now assigned to you."),
    _msg("worker.taken_over", "Case {code} is now assigned to you (another worker had it)."),
    _msg(
        "worker.stats",
        "Screenings: {n} ({people}), {unreliable} of low reliability\n"
        "Risk: none {none}, mild {mild}, moderate {moderate}, severe {severe}\n"
        "Follow-ups: {opened} opened, {closed} closed",
    ),
    # "%\u00a0": a no-break space after "%", so gettext tools do not read "% i" as printf
    _plural(
        "worker.accuracy",
        "Against lab Hb ({n} case): mean error {mae} g/dL, bias {bias} g/dL, "
        "{inside}%\u00a0inside the interval",
        "Against lab Hb ({n} cases): mean error {mae} g/dL, bias {bias} g/dL, "
        "{inside}%\u00a0inside the interval",
    ),
    _msg(
        "worker.accuracy_group",
        "{population}, {version}: n {n}, mean error {mae}, bias {bias}, 95%\u00a0limits {low} to "
        "{high} g/dL, {inside} inside the interval; at the WHO cut-off sensitivity {sens}, "
        "specificity {spec}",
    ),
    _msg(
        "worker.accuracy_demographics",
        "{population}: without the photo, a line on age and sex alone (each case fitted on the "
        "others) errs {line} g/dL on these {n} cases; the photo {photo} g/dL",
    ),
    _msg(
        "worker.photo_not_better",
        "{population}: on your cases the photo is not clearly better than age and sex alone "
        "(its error is not {margin} g/dL lower). Give its estimates little weight; the blood "
        "test decides.",
    ),
    _msg(
        "worker.lab_note",
        "Lab values come mostly from flagged cases, so these figures describe those, not "
        "everyone screened.",
    ),
    _msg(
        "worker.bland_altman",
        "Estimates against lab Hb (Bland-Altman): each dot is a case; the lines are the bias "
        "and its 95%\u00a0limits.",
    ),
    _msg("worker.yes", "yes"),
    _msg("worker.no", "no"),
    _msg("worker.none", "-"),
    _msg("worker.join_usage", "Usage: /join CODE"),
    _msg("worker.joined", "Welcome to team {team}. Your health-worker commands:\n{commands}"),
    _msg(
        "worker.join_other_team",
        "You are a {role} of team {team}, and an invite cannot move you to another team on its "
        "own. Ask an admin of {team} to remove you (/workers shows your number, /revoke N "
        "removes you), then send /join CODE again. The code has not been used.",
    ),
    _msg(
        "worker.join_demote",
        "You are an admin of team {team}, and this invite is for a health worker: an invite "
        "cannot demote an admin. If that is meant, another admin of {team} removes you with "
        "/revoke first; then send /join CODE again. The code has not been used.",
    ),
    _msg(
        "worker.join_member",
        "You are already a {role} of team {team}: this invite changes nothing. The code has not "
        "been used; it can go to someone else.",
    ),
    _msg("worker.join_invalid", "This invite code is unknown, used or expired."),
    _msg("worker.invite", "Invite code for your team (one use, valid 3 days): {code}"),
    _msg("worker.invite_denied", "Only an admin can make invite codes."),
    _msg("worker.unassigned", "Case {code} is now assigned to nobody; a worker can take it."),
    _plural(
        "worker.web_link",
        "Your sign-in link to the dashboard (it works once, for {minutes} minute; do not pass it "
        "on):\n{url}",
        "Your sign-in link to the dashboard (it works once, for {minutes} minutes; do not pass it "
        "on):\n{url}",
        count="minutes",
    ),
    _msg(
        "worker.web_unavailable",
        "The dashboard is not set up for this service (WEB_BASE_URL is not set).",
    ),
)
