"""Whether a talk page welcomes our message: {{bots}}/{{nobots}} with allow, deny and optout.

pywikibot's botMayEdit knows allow/deny but not `optout=` (message types), so Kudos reads the
templates itself. https://en.wikipedia.org/wiki/Template:Bots describes the convention.
"""

from __future__ import annotations

import mwparserfromhell

OPT_OUT_CATEGORY = "Opted-out of message delivery"
MESSAGE_TYPE = "kudos"


def _names(value: str) -> set[str]:
    return {part.strip().replace("_", " ").casefold() for part in value.split(",") if part.strip()}


def exclusion_reason(text: str, bot_user: str, message_type: str = MESSAGE_TYPE) -> str | None:
    """Why the page refuses a Kudos message from `bot_user`, or None when it may be posted."""
    if "bots" not in text.casefold():
        # No template below can be named without these letters: skip the parse, which costs more than the
        # edit's own preparation on a talk page that already holds a few barnstars (tables, images, links).
        return None
    try:
        code = mwparserfromhell.parse(text, skip_style_tags=True)
    except Exception:  # noqa: BLE001 - an unparseable page is treated as having no exclusion
        return None
    me = {bot_user.replace("_", " ").casefold(), "kudos"}
    for template in code.filter_templates(recursive=True):
        name = str(template.name).strip().replace("_", " ").casefold()
        if name.startswith("template:"):
            name = name[len("template:"):]
        if name not in ("bots", "nobots"):
            continue
        params = {str(p.name).strip().casefold(): str(p.value).strip() for p in template.params}
        if name == "nobots" and not params:
            return "The recipient's talk page has {{nobots}}."
        if "optout" in params:
            types = _names(params["optout"])
            if "all" in types or message_type in types:
                return f"The recipient's talk page opts out of {params['optout']} messages ({{{{bots|optout=}}}})."
        if "allow" in params:
            allowed = _names(params["allow"])
            if "all" not in allowed and not (allowed & me):
                return "The recipient's talk page allows only some bots ({{bots|allow=}}), not Kudos."
        if "deny" in params:
            denied = _names(params["deny"])
            if "none" not in denied and ("all" in denied or denied & me):
                return "The recipient's talk page denies Kudos ({{bots|deny=}})."
    return None
