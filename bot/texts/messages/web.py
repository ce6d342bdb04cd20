"""The browser pages: the health workers' dashboard (sign-in, the queue, a case, the team's
figures) and the local trial's chat page."""

from __future__ import annotations

from bot.texts.registry import Message, _msg, _plural

SIGN_IN: tuple[Message, ...] = (
    _msg("web.title", "Follow-up dashboard"),
    _msg("web.skip", "Skip to the content"),
    _msg(
        "web.local_banner",
        "Local trial on this computer: not connected to Telegram, and not a service for real "
        "people. Results here are a screening aid, not a diagnosis.",
    ),
    # TRANSLATORS: the label of the dashboard's menu of pages, read by screen readers
    _msg("web.nav", "Pages"),
    _msg("web.queue", "Queue"),
    _msg("web.figures", "Figures"),
    # TRANSLATORS: {who} is web.as_worker or web.as_office; {role} is a worker's role
    _msg("web.signed_in_as", "Team {team} · {who} ({role})"),
    _msg("web.as_worker", "signed in as yourself"),
    _msg("web.as_office", "signed in as the office"),
    _msg("web.sign_out", "Sign out"),
    _msg("web.refused_title", "Not allowed"),
    _msg("web.back_to_queue", "Back to the queue"),
    _msg("web.sign_in_title", "Sign in to the dashboard"),
    _msg("web.signed_out", "You are signed out."),
    _msg(
        "web.sign_in_how",
        "Sign in with a one-time link: send /web to the bot in your health-worker chat, or ask "
        "the operator for one (anemia-screen web-link). A link works once, for 15 minutes.",
    ),
    _msg(
        "web.sign_in_once",
        "This link signs you in once. Press the button to open your team's dashboard on this "
        "device.",
    ),
    _msg("web.sign_in", "Sign in"),
    _msg(
        "web.csrf_refused",
        "This form could not be checked (it is missing its security token, or it is from an "
        "older page). Nothing was changed. Open the page again and repeat the step.",
    ),
    _msg("web.link_used", "This sign-in link has already been used. Ask for a new one with /web."),
    _msg(
        "web.link_expired",
        "This sign-in link has expired (links work for 15 minutes). Ask for a new one with /web.",
    ),
    _msg("web.link_unknown", "This sign-in link is not valid. Ask for a new one with /web."),
)

QUEUE: tuple[Message, ...] = (
    _msg("web.queue_title", "Cases of team {team}"),
    _msg("web.filters", "Filters"),
    _msg("web.f_status", "Status"),
    _msg("web.f_risk", "Risk"),
    _msg("web.f_group", "Age group (WHO)"),
    _msg("web.f_population", "Population"),
    _msg("web.f_assigned", "Assigned to"),
    _msg("web.f_older", "Opened at least this many days ago"),
    # TRANSLATORS: a filter's choice that filters nothing
    _msg("web.any", "any"),
    _msg("web.assigned_me", "me"),
    _msg("web.assigned_nobody", "nobody"),
    _msg("web.apply", "Show"),
    _msg("web.export_queue", "Download these cases (CSV)"),
    _msg("web.export_lab", "Download the lab-confirmed cases (CSV)"),
    _plural(
        "web.queue_count",
        "{n} case; page {page} of {pages}",
        "{n} cases; page {page} of {pages}",
    ),
    _msg("web.no_cases", "No cases match these filters."),
    # TRANSLATORS: the label of the links to the previous and next pages, for screen readers
    _msg("web.pages", "Pages of cases"),
    _msg("web.previous", "Previous page"),
    _msg("web.next", "Next page"),
)

# a case's fields (column headings of the queue and rows of a case's page), and the words the
# storage's codes stand for
CASE: tuple[Message, ...] = (
    _msg("web.c_case", "Case"),
    _msg("web.c_opened", "Opened"),
    _msg("web.c_status", "Status"),
    _msg("web.c_risk", "Risk"),
    _msg("web.c_estimate", "Estimate"),
    _msg("web.c_group", "Age group (WHO)"),
    _msg("web.c_assigned", "Assigned to"),
    _msg("web.c_lab", "Lab Hb"),
    _msg("web.c_interval", "{coverage}%\u00a0interval"),
    _msg("web.c_reliable", "Reliable photo"),
    _msg("web.c_model", "Model"),
    _msg("web.c_advice", "Advice given"),
    _msg("web.c_contact", "May be contacted"),
    _msg("web.status_pending", "pending"),
    _msg("web.status_contacted", "contacted"),
    _msg("web.status_resolved", "resolved"),
    _msg("web.status_declined", "declined"),
    _msg("web.risk_none", "no anaemia"),
    _msg("web.risk_mild", "mild"),
    _msg("web.risk_moderate", "moderate"),
    _msg("web.risk_severe", "severe"),
    _msg("web.reason_severe", "severe estimate"),
    _msg("web.reason_moderate", "moderate estimate"),
    _msg("web.reason_referred", "referred for a blood test"),
    _msg("web.reason_unreliable", "unreliable photo"),
    _msg("web.cut_off", "anaemia below {value} g/dL"),
    _msg("web.case_title", "Case {code}"),
    _msg("web.history", "History and notes"),
    _msg("web.steps", "Steps"),
)

STEPS: tuple[Message, ...] = (
    _msg("web.do_contacted", "Mark contacted"),
    _msg("web.do_take", "Take the case"),
    _msg("web.do_unassign", "Assign to nobody (admins)"),
    _msg("web.do_resolve", "Resolve with the lab Hb"),
    _msg("web.do_decline", "Close: the person declined"),
    _msg("web.do_message", "Send through the bot"),
    _msg("web.do_note", "Add the note"),
    _msg("web.note_optional", "Note (optional)"),
    _msg("web.note", "Note"),
    _msg("web.reason", "Reason"),
    _msg("web.message_text", "Message to the person"),
    _msg("web.lab_hb", "Lab Hb (g/dL)"),
    _msg("web.lab_date", "Date of the blood test (empty: today)"),
    _msg("web.no_such_step", "There is no such step."),
    # TRANSLATORS: {example} is a lab Hb as the language writes it, e.g. "9.8" or "9,8"
    _msg(
        "web.resolve_bad",
        "Please give the lab Hb as a number in g/dL (for example {example}) and, if you give "
        "one, the date of the blood test.",
    ),
    _msg(
        "web.message_failed",
        "The message could not be delivered just now; nothing was noted. Please try again later.",
    ),
)

FIGURES: tuple[Message, ...] = (
    _msg("web.figures_title", "Figures of team {team}"),
    _msg("web.per_week", "Screenings per week"),
    # TRANSLATORS: the heading of a column of Mondays, each the first day of a week
    _msg("web.week_of", "Week of"),
    _msg("web.screenings", "Screenings"),
    _msg("web.risk_mix", "Risk mix"),
    # TRANSLATORS: {people} is count.people, e.g. "12 people"
    _plural(
        "web.screened",
        "{n} screening of {people}; {unreliable} from unreliable photos.",
        "{n} screenings of {people}; {unreliable} from unreliable photos.",
    ),
    _msg("web.share", "Share"),
    _msg("web.followups", "Follow-ups"),
    _msg("web.cases", "Cases"),
    # TRANSLATORS: {share} is a percentage as the language writes it, e.g. "85%" or "85 %"
    _msg("web.completion", "Completion (resolved or declined, of those opened): {share}"),
    _msg("web.accuracy", "Accuracy against lab Hb"),
    _msg("web.a_population", "Population"),
    _msg("web.a_mae", "Mean error (g/dL)"),
    _msg("web.a_baseline", "Guessing the mean lab Hb (g/dL)"),
    _msg("web.a_bias", "Bias (g/dL)"),
    _msg("web.a_loa", "95%\u00a0limits (g/dL)"),
    _msg("web.a_inside", "Inside the interval"),
    _msg("web.a_sens", "Sensitivity"),
    _msg("web.a_spec", "Specificity"),
    _msg(
        "web.baseline_note",
        "The baseline always guesses the group's own mean lab Hb (computed on these same cases, "
        "which flatters it): a model that does no better than it tells nothing.",
    ),
    _msg("web.no_lab", "No lab Hb recorded yet, so there is no accuracy to show."),
)

# the local trial's chat page: plain words, for anyone trying the service as a person would
CHAT: tuple[Message, ...] = (
    _msg("web.chat_title", "Anaemia screening: local trial"),
    _msg("web.dashboard_link", "Health workers' dashboard"),
    _msg("web.chat_empty", "Send /start to begin."),
    _msg("web.chat_label", "Message or command (for example /start, /history, /delete)"),
    _msg("web.chat_send", "Send"),
    _msg("web.chat_camera", "Take a photo of the eyelid"),
    _msg("web.chat_file", "Or choose a picture (at most {mb} MB)"),
    _msg("web.chat_send_photo", "Send the photo"),
    _msg("web.chat_photo_sent", "(a photo)"),
)

MESSAGES: tuple[Message, ...] = SIGN_IN + QUEUE + CASE + STEPS + FIGURES + CHAT
