"""The demo's people, its two wikis and what their talk pages hold.

Every name here is a real account on the demo's local wikis (kudos.demo.wikis creates them) and the demo
data (kudos.demo.data) nominates, approves and lists them, so both stay in step. Without MediaWiki the same
list answers "does this user exist" (kudos.demo.directory).
"""

from __future__ import annotations

from kudos.config import DEMO_WIKI_PORT, DEMO_WIKIS

NOMINATOR = "Demo User"
ORGANIZER = "Demo Organizer"
ORGANIZERS = (ORGANIZER, "Sailesh")
TRUSTED = "Trusted Nominator"
BOT = "KudosBot"
BOT_APP = "kudos"
# A Mastodon channel with no server behind it (the demo reaches no network): shout-outs to it show the
# consent gate; a post after a yes fails and is retried like any unreachable channel.
SOCIAL_CHANNEL = "demo-mastodon"

# Recipients whose talk pages show the rules: a page that says {{nobots}}, and the redirect a rename
# leaves behind (User talk:OldHari → User talk:Hari; the account OldHari is no more).
NOBOTS = "Rohit"
RENAMED_FROM, RENAMED_TO = "OldHari", "Hari"
BLOCKED = "Blocked Demo"

# Participants of the finished workshop: who was thanked, and on how many days of each 30-day window
# after the workshop each of them edited (days 1-30, then days 61-90). The recognised keep editing more
# often than the others, which is what the report compares.
RECOGNISED = {"Subhashish": (9, 6), "Ananya": (12, 8), "Priyanka": (6, 4), "Kiran": (4, 0), "Meera": (7, 3),
              "Hari": (3, 2)}
NOT_RECOGNISED = {"Bikash": (5, 1), "Lipika": (2, 0), "Sanjay": (0, 0), "Tapas": (3, 2), "Jyoti": (1, 0),
                  "Manas": (0, 0), "Suchitra": (6, 0), "Pradeep": (0, 1)}
PARTICIPANTS = {**RECOGNISED, **NOT_RECOGNISED}

# Everyone with an account on the demo's wikis (the bot aside).
ACCOUNTS = tuple(dict.fromkeys((NOMINATOR, *ORGANIZERS, TRUSTED, NOBOTS, RENAMED_TO, BLOCKED, *PARTICIPANTS)))


# How the demo's wikis name themselves (Kudos' names for them are in DEMO_WIKIS); the Odia one speaks Odia.
SITE_NAMES = {"enwiki": "Demo English Wikipedia", "orwiki": "ଡେମୋ ଉଇକିପିଡ଼ିଆ"}


def wikis_config(first_port: int = DEMO_WIKI_PORT) -> dict[str, dict[str, str]]:
    """The `wikis` configuration of the demo: its wikis served on loopback from `first_port` on."""
    return {wiki_id: {**spec, "api_url": f"http://127.0.0.1:{first_port + offset}/api.php"}
            for offset, (wiki_id, spec) in enumerate(DEMO_WIKIS.items())}


def talk_pages() -> dict[str, str]:
    """Talk pages as the demo's wikis start with them."""
    return {
        f"User talk:{NOBOTS}": "{{nobots}}\nPlease leave me messages yourself, not through bots.",
        f"User talk:{RENAMED_FROM}": f"#REDIRECT [[User talk:{RENAMED_TO}]]",
        f"User talk:{RENAMED_TO}": "Welcome, Hari! (This account was called OldHari before it was renamed.)",
        # The convention's template, so that the talk page shows what it asks for instead of a red link.
        "Template:Nobots": "<includeonly>''This user asks bots not to post on this page.''</includeonly>",
    }
