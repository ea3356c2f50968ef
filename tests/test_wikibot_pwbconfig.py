"""pywikibot's generated settings: families from API URLs, credentials from Kudos' configuration."""

from __future__ import annotations

import pytest

from kudos.config import PROJECT_ROOT, Wiki
from kudos.errors import ConfigError
from tests.support import make_config
from wikibot.pwbconfig import SiteRef, render_user_config, site_ref


def test_wikimedia_wikis_use_pywikibot_families_and_others_get_one_from_their_api_url() -> None:
    assert site_ref(Wiki("orwiki", "https://or.wikipedia.org/w/api.php", "or", "")) == \
        SiteRef("wikipedia", "or", generated=False)
    assert site_ref(Wiki("commons", "https://commons.wikimedia.org/w/api.php", "en", "")) == \
        SiteRef("commons", "commons", generated=False)
    assert site_ref(Wiki("local-1", "http://127.0.0.1:8080/api.php", "en", "")) == \
        SiteRef("kudos_local_1", "kudos_local_1", generated=True)


def test_bot_password_settings() -> None:
    config = make_config(wikis={"local": {"api_url": "http://127.0.0.1:9/api.php", "language": "en"}},
                         bot={"username": "KudosBot@kudos", "password": "abc", "throttle": 0})
    user_config, passwords = render_user_config(config)
    namespace: dict = {"family_files": {}, "usernames": {"kudos_local": {}}, "authenticate": {}}
    exec(user_config, namespace)  # noqa: S102 - our own generated text, as pywikibot will run it
    assert namespace["family_files"] == {"kudos_local": "http://127.0.0.1:9/api.php"}
    assert namespace["usernames"]["kudos_local"]["kudos_local"] == "KudosBot"
    assert (namespace["put_throttle"], namespace["minthrottle"], namespace["max_retries"]) == (0, 0, 0)
    assert "Kudos/0.1" in namespace["user_agent_format"]
    assert passwords == "('KudosBot', BotPassword('kudos', 'abc'))\n"


def test_oauth_settings_and_the_toolforge_file() -> None:
    oauth = {"consumer_key": "ck", "consumer_secret": "cs", "access_key": "ak", "access_secret": "as"}
    config = make_config(bot={"username": "KudosBot", "oauth": oauth,
                              "user_config": str(PROJECT_ROOT / "toolforge" / "user-config.py")})
    user_config, passwords = render_user_config(config)
    assert passwords is None
    assert "authenticate['or.wikipedia.org'] = ('ck', 'cs', 'ak', 'as')" in user_config
    assert "usernames['wikipedia']['or'] = 'KudosBot'" in user_config
    assert "toolforge/user-config.py" in user_config
    # Kudos spaces the edits itself (kudos.lanes): pywikibot adds no wait of its own.
    assert "put_throttle = 0\n" in user_config and "minthrottle = 0\n" in user_config
    with pytest.raises(ConfigError, match="bot.oauth.access_secret"):
        render_user_config(make_config(bot={"username": "K", "oauth": {**oauth, "access_secret": ""}}))
    with pytest.raises(ConfigError, match="bot.username"):
        render_user_config(make_config(bot={}))
