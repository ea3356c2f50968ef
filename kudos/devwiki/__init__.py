"""A real local MediaWiki for development, the demo and the tests: Debian's package served by `php -S`.

`make run` serves the demo's wikis with it (see kudos.demo); the tests' `local_wiki` fixture and the
benchmarks start throwaway wikis with it. It imports nothing else from Kudos.
"""

from .wiki import (
    ADMIN,
    ADMIN_PASSWORD,
    BOT_GRANTS,
    FIXTURE_MARKER,
    MAINTENANCE,
    MEDIAWIKI_DIR,
    BotCredentials,
    ImportedRevision,
    LocalWiki,
    die_with_parent,
    free_port,
    mw_timestamp,
    pywikibot_env,
)

__all__ = [
    "ADMIN", "ADMIN_PASSWORD", "BOT_GRANTS", "FIXTURE_MARKER", "MAINTENANCE", "MEDIAWIKI_DIR", "BotCredentials",
    "ImportedRevision", "LocalWiki", "die_with_parent", "free_port", "mw_timestamp", "pywikibot_env",
]
