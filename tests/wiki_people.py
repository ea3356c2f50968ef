"""Many wiki accounts at once: one PHP process instead of one createAndPromote.php run (0.2 s) per name."""

from __future__ import annotations

from typing import Any


def create_accounts(wiki: Any, names: list[str]) -> None:
    """Register every name on the LocalWiki `wiki` (accounts without passwords: they only need to edit)."""
    wiki.create_accounts(names)
