"""Why a photo could not be screened, and what to do (`reject.<code>` for the
pipeline's codes)."""

from __future__ import annotations

from bot.texts.registry import Message, _msg

MESSAGES: tuple[Message, ...] = (
    _msg(
        "reject.empty",
        "The file I received was empty. Please send it again, as a normal photo or as a JPEG or "
        "PNG file.",
    ),
    _msg(
        "reject.too_large_file",
        "That file is bigger than {mb} MB; please send it as a normal photo instead.",
    ),
    _msg(
        "reject.too_many_pixels",
        "That picture has too many pixels for me; please send it again as a normal photo "
        "instead of a file.",
    ),
    _msg(
        "reject.unsupported_format",
        "I can't read this type of file. Please send it again, as a normal photo or as a JPEG "
        "or PNG file.",
    ),
    _msg(
        "reject.corrupt",
        "The picture seems to be damaged or incomplete. Please send it again, as a normal photo "
        "or as a JPEG or PNG file.",
    ),
    _msg(
        "reject.too_small",
        "The inner eyelid is too small in this picture; please move closer so it fills much of "
        "the photo.",
    ),
    _msg(
        "reject.took_too_long",
        "Checking this picture took too long, so I stopped. Please send it again as a normal "
        "photo, not as a file.",
    ),
    _msg(
        "reject.not_eyelid",
        "This does not look like a photo of an eyelid. Gently pull the lower eyelid down and "
        "photograph its pink inner lining up close.",
    ),
    _msg(
        "reject.no_conjunctiva",
        "I could not find the inner lining of the lower eyelid in this photo. Pull the lower "
        "eyelid down so the pink lining shows, and hold the phone about 10 cm away.",
    ),
    _msg(
        "reject.blurred",
        "The photo is too blurred. Hold the phone steady, tap the screen to focus on the "
        "eyelid, and try again.",
    ),
    _msg(
        "reject.too_dark",
        "The photo is too dark. Take it in daylight or bright indoor light, without flash shadows.",
    ),
    _msg(
        "reject.over_exposed",
        "The photo is too bright; the colours are washed out. Avoid direct sunlight or a flash "
        "straight at the eye.",
    ),
    _msg(
        "reject.glare",
        "Strong reflections cover the inner eyelid. Turn slightly away from the light source or "
        "switch off the flash.",
    ),
    _msg(
        "reject.not_covered_pregnant",
        "I have no model checked for pregnant women yet, so I cannot give a number. Please ask "
        "for a blood test at your antenatal visit.",
    ),
    _msg(
        "reject.not_covered_young_infant",
        "I have no model checked for babies under 6 months, so I cannot give a number. If the "
        "baby looks pale or tired, please see a health worker.",
    ),
    _msg(
        "reject.not_covered_school_age",
        "I have no model checked for children aged 5-14 years yet, so I cannot give a number. "
        "If the child looks pale or tired, please see a health worker.",
    ),
    _msg(
        "reject.not_covered_age_unknown",
        "To choose the right model I need to know whom the photo is of. Please set the age with "
        "/profile and send the photo again.",
    ),
    _msg(
        "reject.not_covered_adults_unavailable",
        "No model for adults is installed here yet, so I cannot give a number.",
    ),
    _msg(
        "reject.not_covered_sex_unknown",
        "For adults the model needs to know whether the photo is of a woman or a man. Please "
        "set it with /profile and send the photo again.",
    ),
    _msg(
        "reject.colour_lost",
        "The colours in this photo cannot be trusted (black-and-white or a colour filter). Send "
        "an ordinary colour photo without filters or beauty modes.",
    ),
)
