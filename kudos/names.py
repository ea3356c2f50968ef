"""MediaWiki user names in their canonical form, so that 'alice_b' and 'Alice b' are one person."""

import re

from kudos import plaintext

_SPACES = re.compile(r"[ _]+")


def canonical_username(name: str) -> str:
    """Underscores become spaces, runs of spaces collapse, and the first letter is upper-cased; a name is
    one line of text (`kudos.plaintext`).

    MediaWiki upper-cases only the first character (with the wiki's own case rules; str.upper is
    close enough for the scripts our communities use) and keeps the rest as typed.
    """
    name = _SPACES.sub(" ", plaintext.line(name)).strip()
    if not name:
        return ""
    return name[0].upper() + name[1:]
