"""The demo's people, its two wikis and what their talk pages hold.

Every name here is a real account on the demo's local wikis (kudos.demo.wikis creates them) and the demo
data (kudos.demo.data) nominates, approves and lists them, so both stay in step. Without MediaWiki the same
list answers "does this user exist" (kudos.demo.directory).
"""

from __future__ import annotations

from dataclasses import dataclass

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

# Praise suggestions of the photo walk: its participants who kept editing since (how many edits, on which
# pages of the Odia wiki) and a newcomer who signed up on the wiki. Lipika's edits of her last page were
# rolled back by the wiki's admin: they are marked, and not counted.
WALKERS = {"Lipika": (12, ("କୋଣାର୍କ ସୂର୍ଯ୍ୟ ମନ୍ଦିର", "ରାମଚଣ୍ଡୀ ମନ୍ଦିର", "ଚନ୍ଦ୍ରଭାଗା ବେଳାଭୂମି")),
           "Suchitra": (9, ("ପୁରୀ", "ଜଗନ୍ନାଥ ମନ୍ଦିର")), "Pradeep": (10, ("ଓଡ଼ିଶୀ ନୃତ୍ୟ",)),
           "Manas": (9, ("ଚିଲିକା ହ୍ରଦ",)), "Nandini": (8, ("ପଟ୍ଟଚିତ୍ର", "ରଘୁରାଜପୁର"))}
NEWCOMER = "Nandini"
ROLLED_BACK = ("Lipika", "ଚନ୍ଦ୍ରଭାଗା ବେଳାଭୂମି")
SNOOZED, SET_ASIDE = "Pradeep", "Manas"
_SUMMARIES = ("ଫଟୋ ଓ ତାହାର ବିବରଣୀ ଯୋଗ କଲି", "Added two sources", "ଇତିହାସ ବିଭାଗ ବିସ୍ତାର", "Copy-edited the introduction")

# Everyone with an account on the demo's wikis (the bot aside); the newcomer last, as the only one who signed up.
ACCOUNTS = tuple(dict.fromkeys((NOMINATOR, *ORGANIZERS, TRUSTED, NOBOTS, RENAMED_TO, BLOCKED, *PARTICIPANTS,
                                NEWCOMER)))


@dataclass(frozen=True)
class DemoEdit:
    user: str
    title: str
    text: str  # the page's whole text after the edit
    hours_ago: int
    summary: str

    @property
    def reverted(self) -> bool:
        return (self.user, self.title) == ROLLED_BACK


def page_start(title: str) -> str:
    """What the organizer wrote when creating a page the walkers then edited."""
    return f"'''{title}''' ଓଡ଼ିଶାର ଏକ ସ୍ଥାନ।"


def walkers_edits() -> list[DemoEdit]:
    """The walkers' edits, oldest first: each adds a sentence to its page, in the last week."""
    pages: dict[str, str] = {}
    edits: list[DemoEdit] = []
    for user, (count, titles) in WALKERS.items():
        for n in range(count):
            title = titles[n % len(titles)]
            pages[title] = pages.get(title, page_start(title)) + f"\n{title} ବିଷୟରେ {n + 1} ନମ୍ବର ବାକ୍ୟ।"
            edits.append(DemoEdit(user, title, pages[title], 150 - 12 * n - len(edits) % 5, _SUMMARIES[n % 4]))
    return edits


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
