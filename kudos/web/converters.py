"""The `<id:…>` part of an address: a row id, or no match (a 404) for anything no row can have."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

from kudos import ids


class IdConverter(IntegerConverter):
    regex = rf"[0-9]{{1,{ids.DIGITS}}}"  # ASCII digits only, and never more than an id can have

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=ids.MAX)
