# pywikibot settings for the Kudos delivery job on Toolforge.
#
# The job writes its own user-config.py (wikibot/pwbconfig.py) from Kudos' configuration and appends
# this file when `bot.user_config: toolforge/user-config.py` is set, so what is here wins. Secrets are
# never stored in the repository: they come from the tool's environment (`toolforge envvars create …`).
#
#   TOOL_BOT__USERNAME                      the bot account, e.g. KudosBot
#   TOOL_BOT__OAUTH__CONSUMER_KEY, TOOL_BOT__OAUTH__CONSUMER_SECRET,
#   TOOL_BOT__OAUTH__ACCESS_KEY, TOOL_BOT__OAUTH__ACCESS_SECRET
#                                           an owner-only OAuth consumer for that account (preferred), or
#   TOOL_BOT__PASSWORD                      a BotPassword (with TOOL_BOT__USERNAME=KudosBot@kudos)
# flake8: noqa
# ruff: noqa
import os as _os

_oauth = tuple(_os.environ.get(f"TOOL_BOT__OAUTH__{k}", "") for k in
               ("CONSUMER_KEY", "CONSUMER_SECRET", "ACCESS_KEY", "ACCESS_SECRET"))
if all(_oauth):
    # One owner-only consumer works on every Wikimedia wiki.
    for _host in ("*.wikipedia.org", "*.wikimedia.org", "*.wiktionary.org", "*.wikisource.org",
                  "*.wikibooks.org", "*.wikiquote.org", "*.wikinews.org", "*.wikiversity.org",
                  "*.wikivoyage.org", "www.wikidata.org", "www.mediawiki.org"):
        authenticate[_host] = _oauth

# Seconds between edits are kept by Kudos itself, per wiki and across replicas (TOOL_BOT__THROTTLE and
# TOOL_WIKIS__<ID>__THROTTLE), not by pywikibot. maxlag keeps the bot off lagged replicas.
write_maxlag = 5
# The job retries with its own backoff and checks for its marker first; pywikibot must not resend.
max_retries = 0
