"""A result: the estimate and its interval, the cut-off, the advice, the model, the
warnings, and /history."""

from __future__ import annotations

from bot.texts.registry import Message, _msg, _plural

MESSAGES: tuple[Message, ...] = (
    # "%\u00a0": a no-break space after "%", so gettext tools do not read "% i" as printf
    _msg(
        "result.estimate",
        "Estimated haemoglobin: {hb} g/dL\n{coverage}%\u00a0interval: {low} to {high} g/dL",
    ),
    _msg("result.risk", "For {group}, anaemia is Hb below {threshold} g/dL."),
    _msg("result.below", "The estimate is below this cut-off, in the range of {category}."),
    _msg(
        "result.below_straddles",
        "The estimate is below this cut-off, in the range of {category}; the interval reaches "
        "above it, so the true value may lie on either side.",
    ),
    _msg(
        "result.uncertain",
        "The estimate is at or above this cut-off, but the interval reaches below it: anaemia "
        "is not ruled out.",
    ),
    _msg(
        "result.above",
        "The estimate and its whole interval are at or above this cut-off: no sign of anaemia "
        "in this photo.",
    ),
    _msg("result.assumed", "I had to assume the group; use /profile to say whom the photo is of."),
    _msg("result.unreliable", "Low reliability:"),
    _msg(
        "result.retake",
        "Tip: retake the photo with the lower lid gently pulled down, close up, in even "
        "daylight, without flash.",
    ),
    _msg("result.gradcam", "Where the model looked (Grad-CAM): warm colours weighed most."),
    _msg(
        "result.occlusion",
        "Where the estimate came from: each part of the eyelid lining was hidden in turn; "
        "warm colours changed the estimate most, blue ones hardly at all.",
    ),
    _msg(
        "result.case",
        "Your case code is {code}. Show it when you have your blood test, so the result can be "
        "matched to this screening.",
    ),
    _msg("result.measured", "The part of the eyelid lining whose colour was measured (outlined)."),
    _msg("result.population", "Model: {cohort}, checked on {population}."),
    _msg(
        "result.resent",
        "I checked this photo earlier, but my reply may not have reached you, so here is its "
        "result again. The Grad-CAM picture is not kept and cannot be sent again; /history "
        "lists all your results.",
    ),
    _msg("cohort.children", "children 6-59 months"),
    _msg("cohort.adults", "non-pregnant adults"),
    _msg("population.cp-anemic", "children in Ghana (CP-AnemiC)"),
    _msg("population.eyes-defy", "adults in India and Italy (Eyes-defy-anemia)"),
    _msg("category.none", "not below the anaemia cut-off"),
    _msg("category.mild", "mild anaemia"),
    _msg("category.moderate", "moderate anaemia"),
    _msg("category.severe", "severe anaemia"),
    _msg(
        "advice.none",
        "What to do: a photo cannot rule anaemia out, so if you feel tired, weak or short of "
        "breath, or look pale, please see a health worker for a blood test.",
    ),
    _msg("advice.refer", "What to do: please see a health worker for a blood test."),
    _msg(
        "advice.uncertain",
        "What to do: if you feel tired, weak or short of breath, or look pale, please see a "
        "health worker for a blood test.",
    ),
    _msg("advice.moderate", "What to do: please see a health worker for a blood test soon."),
    _msg("advice.severe", "What to do: please seek medical care today."),
    _msg(
        "warning.low_attention",
        "The model looked mostly outside the lower half of the eyelid lining.",
    ),
    _msg("history.empty", "No results yet. Send a photo of the pulled-down lower eyelid."),
    _plural("history.header", "Your last {n} result:", "Your last {n} results (oldest first):"),
    _msg("history.line", "{date}: {hb} g/dL ({low} to {high}), {verdict}"),
    _msg("history.below", "below the cut-off ({category})"),
    _msg("history.uncertain", "above the cut-off, but anaemia is not ruled out"),
    _msg("history.above", "above the cut-off with its whole interval"),
    _msg("history.latest", "Your latest result:"),
    _msg(
        "history.chart",
        "Your estimates over time; the shaded band is each interval, the dashed line the "
        "anaemia cut-off.",
    ),
    _msg("history.case", "Open case: {code}. Show this code when you have your blood test."),
)
