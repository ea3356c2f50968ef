"""The words the suggestions page proposes: a thank-you citing what the person did, for the organizer to edit.

It is plain text for a form field (the nomination's message is text, not wikitext), in the organizer's
language, and names the edit that the evidence link points to.
"""

from __future__ import annotations

from kudos import plaintext
from kudos.nominations import MESSAGE_MAX
from kudos.suggestions.listing import Notable, Shown
from kudos.web.i18n import msg_text
from kudos.wikiapi import REVISION_PATH

SUGGESTIONS = "suggestions"  # `via=` of a nomination started from the suggestions page


def cited(person: Shown, link: str = "") -> Notable | None:
    """The edit `link` points to (Special:Diff/<revid>) when it is one of the person's notable edits that
    was not reverted; otherwise their most notable edit that was not reverted."""
    found = REVISION_PATH.match(link.strip().replace(" ", "_"))
    if found:
        revid = int(found.group(2) or found.group(1))
        chosen = next((e for e in person.notable if e.revid == revid and not e.reverted), None)
        if chosen is not None:
            return chosen
    return person.evidence


def suggestion_message(person: Shown, link: str = "") -> str:
    edit = cited(person, link)
    if edit is None:
        text = msg_text("kudos-suggestions-message-plain", person.edits, person.pages, person.days)
    elif edit.new:
        text = msg_text("kudos-suggestions-message-new", edit.title, person.edits, person.pages, person.days)
    elif edit.sizediff > 0:
        text = msg_text("kudos-suggestions-message-added", edit.title, edit.sizediff, person.edits, person.pages,
                   person.days)
    else:
        text = msg_text("kudos-suggestions-message-edited", edit.title, person.edits, person.pages, person.days)
    return plaintext.line(text)[:MESSAGE_MAX]


def evidence_link(person: Shown, edit: Notable | None = None) -> str:
    edit = edit or person.evidence
    return f"Special:Diff/{edit.revid}" if edit is not None else ""
