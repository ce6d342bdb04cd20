"""The profile questions, their buttons, and the WHO groups they lead to."""

from __future__ import annotations

from bot.texts.registry import Message, _msg

MESSAGES: tuple[Message, ...] = (
    _msg(
        "profile.ask_age",
        "Whom is the photo of? Choose a group, or type the age in months (for example 30).",
    ),
    _msg("profile.ask_sex", "Female or male?"),
    _msg("profile.ask_pregnant", "Is she pregnant?"),
    _msg(
        "profile.bad_months",
        "Please type the age in months as a number from 0 to 1200, or choose a button.",
    ),
    _msg(
        "profile.saved",
        "Saved: {group}. Now send a photo of the pulled-down lower eyelid, close up and in good "
        "light.",
    ),
    _msg("profile.need_consent", "Please send /start and agree first."),
    _msg("profile.age_infant_under_6m", "Baby under 6 months"),
    _msg("profile.age_child_6_23m", "Child 6-23 months"),
    _msg("profile.age_child_24_59m", "Child 2-4 years"),
    _msg("profile.age_child_5_11y", "Child 5-11 years"),
    _msg("profile.age_child_12_14y", "Child 12-14 years"),
    _msg("profile.age_adult", "15 years or older"),
    _msg("profile.age_unknown", "Don't know"),
    _msg("profile.sex_f", "Female"),
    _msg("profile.sex_m", "Male"),
    _msg("profile.sex_unknown", "Don't say"),
    _msg("profile.pregnant_no", "Not pregnant"),
    _msg("profile.pregnant_1", "Pregnant, months 1-3"),
    _msg("profile.pregnant_2", "Pregnant, months 4-6"),
    _msg("profile.pregnant_3", "Pregnant, months 7-9"),
    _msg("profile.pregnant_unsure", "Pregnant, not sure when"),
    _msg(
        "profile.contact_state_on",
        "Contact: while a case of yours is open, a health worker may write to you through this "
        "bot.",
    ),
    _msg(
        "profile.contact_state_off",
        "Contact: no health worker can write to you through this bot.",
    ),
    _msg("profile.contact_turn_on", "Let a health worker contact me"),
    _msg("profile.contact_turn_off", "Stop health workers contacting me"),
    _msg(
        "profile.contact_on",
        "Thank you: while a case of yours is open, a health worker may write to you through "
        "this bot without learning who you are. You can stop it here or in /profile.",
    ),
    _msg(
        "profile.contact_off",
        "Done: no health worker can write to you through this bot any more, and the encrypted "
        "chat id kept for it was erased.",
    ),
    _msg("group.child_6_23m", "children 6-23 months"),
    _msg("group.child_24_59m", "children 24-59 months"),
    _msg("group.child_5_11y", "children 5-11 years"),
    _msg("group.child_12_14y", "children 12-14 years"),
    _msg("group.woman", "non-pregnant women 15 years and over"),
    _msg("group.man", "men 15 years and over"),
    _msg("group.pregnant_t1", "pregnant women, first trimester"),
    _msg("group.pregnant_t2", "pregnant women, second trimester"),
    _msg("group.pregnant_t3", "pregnant women, third trimester"),
    _msg(
        "group.infant_under_6m",
        "babies under 6 months (no WHO cut-off; values for 6-23 months used)",
    ),
    _msg(
        "group.adult_sex_unknown",
        "people 15 years and over, sex unknown (values for women used)",
    ),
    _msg(
        "group.pregnant",
        "pregnant women, trimester unknown (first and third trimester values used)",
    ),
    _msg("group.unknown", "age unknown (values for children 24-59 months used)"),
)
