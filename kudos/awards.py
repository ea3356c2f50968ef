"""The award catalogue per wiki (DESIGN §4): which barnstars a nomination may carry."""

from dataclasses import dataclass

from kudos.config import Config
from kudos.errors import DomainError
from kudos.models import Campaign

# Pictures the web pages show, shipped in static/ (sources and licences in static/awards/SOURCES.md), for the
# Commons files of the built-in catalogue; the barnstar posted on a wiki keeps using the wiki's own file.
PICTURES = {
    "Original Barnstar Hires.png": "awards/original-barnstar.svg",
    "Teamwork Barnstar Hires.png": "awards/teamwork-barnstar.svg",
    "Barnstar of Diligence Hires.png": "awards/diligence-barnstar.svg",
}


@dataclass(frozen=True)
class Award:
    id: str
    name: str
    image: str  # a file on Wikimedia Commons, without the File: prefix
    template: str | None = None  # a wiki template to subst:, where the wiki has one

    @property
    def picture(self) -> str | None:
        """The award's picture under static/, when Kudos ships one for its file."""
        return PICTURES.get(self.image)


# Self-contained barnstars that work on every wiki: the images are on Commons.
DEFAULT_AWARDS = (
    Award("barnstar", "The Original Barnstar", "Original Barnstar Hires.png"),
    Award("teamwork", "The Teamwork Barnstar", "Teamwork Barnstar Hires.png"),
    Award("diligence", "The Barnstar of Diligence", "Barnstar of Diligence Hires.png"),
)


def catalogue(config: Config, wiki: str) -> tuple[Award, ...]:
    configured = config.section("awards").get(wiki)
    if not configured:
        return DEFAULT_AWARDS
    return tuple(
        Award(id=str(a["id"]), name=str(a.get("name", a["id"])), image=str(a.get("image", DEFAULT_AWARDS[0].image)),
              template=a.get("template"))
        for a in configured
    )


def find_award(config: Config, wiki: str, award_id: str) -> Award:
    for award in catalogue(config, wiki):
        if award.id == award_id:
            return award
    raise DomainError("kudos-error-award-unknown", award_id, config.wiki(wiki).name)


def award_name(config: Config, wiki: str, award_id: str) -> str:
    """The award's display name; the stored id when the catalogue no longer lists it."""
    for award in catalogue(config, wiki):
        if award.id == award_id:
            return award.name
    return award_id


def offered(config: Config, campaign: Campaign) -> tuple[Award, ...]:
    """The awards a campaign's nominators may choose: the ones its organizers picked, else the whole catalogue."""
    awards = catalogue(config, campaign.wiki)
    if campaign.awards is None:
        return awards
    return tuple(a for a in awards if a.id in campaign.awards) or awards


def find_offered(config: Config, campaign: Campaign, award_id: str) -> Award:
    for award in offered(config, campaign):
        if award.id == award_id:
            return award
    find_award(config, campaign.wiki, award_id)  # a sentence for an award the wiki does not know at all
    raise DomainError("kudos-error-award-not-offered", award_id, campaign.name)
