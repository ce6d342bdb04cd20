"""What every conversation may meet: the notice, the refusals of the moment, consent,
the relay, research, the language, deletion and help."""

from __future__ import annotations

from bot.texts.registry import Message, _msg, _plural

MESSAGES: tuple[Message, ...] = (
    _msg(
        "notice",
        "ⓘ This is a screening aid, not a diagnosis. Only a blood test can confirm anaemia.",
    ),
    _msg("busy", "Many photos are being checked right now. Please try again in a minute."),
    _msg(
        "rate_limited",
        "You have sent many photos in a short time. Please wait a few minutes and try again.",
    ),
    _msg(
        "save_failed",
        "Your result could not be saved just now, so it is not shown. Please send the photo "
        "again in a few minutes.",
    ),
    _msg(
        "db_unavailable",
        "I cannot reach my records just now, so this photo was not checked. Please send it "
        "again in a few minutes.",
    ),
    _msg("error", "Sorry, something went wrong on my side. Please try again."),
    _msg("conflict", "Something changed at the same moment; please try again."),
    _msg("stale_button", "This button is no longer active."),
    _msg(
        "hint",
        "Please send a photo of the pulled-down lower eyelid (its pink inner lining), close up "
        "and in good light. /help shows what else I can do.",
    ),
    _msg(
        "consent.text",
        "Hello! I estimate the blood haemoglobin (Hb) from a photo of the inner lining of the "
        "lower eyelid, and say whether it suggests anaemia.\n"
        "\n"
        "Before we start:\n"
        "• I keep the results under a pseudonym, never your name or Telegram account, so that "
        "health workers can follow up on worrying results.\n"
        "• Photos are not stored. Only if you choose to help research (a separate, optional "
        "yes, off unless you turn it on), the cut-out of the inner eyelid from each photo is "
        "kept to improve the service: the pink lining only, no other part of the picture, no "
        "location or camera data. You can turn that off at any time, which erases the cut-outs "
        "kept so far.\n"
        "• If you agree that a health worker may contact you, and a result of yours needs a "
        "follow-up, your chat id is kept encrypted under a key of its own, only while that case "
        "is open, so the health worker can write to you through this bot without learning who "
        "you are; your answers go into the case's notes. Turning contact off in /profile, "
        "/delete, or the case closing, erases it.\n"
        "• Results are deleted {days} after they were made (with a follow-up case, {days} after "
        "it closes); research cut-outs after {crop_days} at most; your profile "
        "once nothing else of yours is left.\n"
        "• /delete erases everything about you here at any time. It cannot reach research "
        "cut-outs a health programme has already exported (copied out) to improve its model.\n"
        "\n"
        "{notice}\n"
        "\n"
        "Do you agree?",
    ),
    _msg("consent.first", "Before I can look at a photo, please read this and agree."),
    _msg("consent.agree", "I agree"),
    _msg("consent.agree_contact", "I agree; a health worker may contact me"),
    _msg("consent.decline", "No, thank you"),
    _msg(
        "consent.declined",
        "All right: nothing has been stored. Send /start if you change your mind.",
    ),
    _msg(
        "consent.already",
        "You have already agreed. Send a photo, or use /profile to say whom the photos are of.",
    ),
    _msg(
        "consent.thanks_research",
        "Thank you. Optional: you may also let me keep the cut-out of the inner eyelid from "
        "each photo, to improve the service (off unless you turn it on; /profile changes it "
        "later).",
    ),
    _msg(
        "relay.message",
        "A health worker writes about your case {code}:\n"
        "\n"
        "{text}\n"
        "\n"
        "To answer, simply write your reply here.",
    ),
    _msg("relay.noted", "Thank you: your answer was passed on to the health worker."),
    _msg("relay.closed", "This case is closed, so your answer could not be passed on."),
    _msg(
        "relay.reminder",
        "A reminder about your case {code}: have you had your blood test? Please show this code "
        "when you do. If you already had it, you can ignore this message.",
    ),
    _msg("research.turn_on", "Keep eyelid cut-outs for research"),
    _msg("research.turn_off", "Stop keeping eyelid cut-outs"),
    _msg(
        "research.on",
        "Thank you: from now on the cut-out of the inner eyelid from each photo is kept for "
        "research (nothing else from the picture). You can stop it here or in /profile.",
    ),
    _plural(
        "research.off",
        "Done: no cut-outs are kept from now on, and the {n} kept so far was erased.",
        "Done: no cut-outs are kept from now on, and the {n} kept so far were erased.",
    ),
    _msg("research.state_on", "Research: the cut-out of the inner eyelid from each photo is kept."),
    _msg("research.state_off", "Research: nothing from your photos is kept."),
    _msg("language.ask", "Choose your language."),
    _msg("language.set", "From now on I will write in English."),
    _msg(
        "delete.confirm",
        "This erases everything stored about you here: consent, profile and all results. It "
        "cannot be undone, and it cannot reach research cut-outs a health programme has already "
        "exported. Erase?",
    ),
    _msg("delete.yes", "Yes, erase everything"),
    _msg("delete.no", "No, keep it"),
    _msg("delete.done", "Done: everything about you has been erased."),
    _msg("delete.nothing", "Nothing is stored about you."),
    _msg("delete.kept", "Nothing was erased."),
    _msg(
        "help.text",
        "Send a photo of the pulled-down lower eyelid (close up, good light; as a photo or as a "
        "file), and I will estimate the haemoglobin with its interval, the anaemia risk and "
        "what to do.\n"
        "\n"
        "/start - agree to the terms\n"
        "/profile - whom the photos are of\n"
        "/history - your past results\n"
        "/language - change the language\n"
        "/delete - erase all your data\n"
        "/help - this message\n"
        "\n"
        "{notice}",
    ),
    _msg(
        "help.worker",
        "Health workers:\n"
        "{commands}\n"
        "/join CODE - join a team with an invite code (to move from your team, an admin of it "
        "removes you with /revoke first)",
    ),
    # TRANSLATORS: a length of time, put into consent.text as {days} and {crop_days}
    _plural("count.days", "{n} day", "{n} days"),
    # TRANSLATORS: how many people, put into worker.stats as {people}
    _plural("count.people", "{n} person", "{n} people"),
)
