"""Parts of a page rendered once and reused while nothing they show changes.

The organizer's home and the campaign directory show a card per campaign, a dozen sentences each, and most
cards look the same from one view to the next. A card is kept under a key that holds everything it shows
(the caller's frozen row and whatever else its macro is given) together with the language, `uselang`, the
`qqx` key view and the address's mount point; messages only change with a restart.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from flask import Flask, current_app, g, get_template_attribute, request
from markupsafe import Markup

from kudos.lru import SharedLRU
from kudos.web.i18n import current_language

FRAGMENTS = "kudos.fragments"


def render_each(template: str, macro: str, calls: Iterable[tuple[Hashable, ...]]) -> Markup:
    """The macro called with each tuple of arguments, which must be hashable and all it shows; joined."""
    render = get_template_attribute(template, macro)
    cache: SharedLRU[Hashable, str] = current_app.extensions[FRAGMENTS]
    shown_as = (template, macro, current_language(), g.get("uselang"), g.get("qqx"), request.script_root)
    parts: list[str] = []
    for args in calls:
        key = (shown_as, args)
        html = cache.get(key)
        if html is None:
            html = str(render(*args))
            cache.put(key, html)
        parts.append(html)
    return Markup("\n".join(parts))  # noqa: S704 - rendered by the autoescaping templates


def init_app(app: Flask) -> None:
    # A card is a kilobyte or two: a few thousand per worker are a few megabytes.
    app.extensions[FRAGMENTS] = SharedLRU[Hashable, str](4096)
