"""Messages in any language, from the files translatewiki.net works on, through toolforge_i18n.

Messages live in `i18n/<language>.json` (`en.json` is the source, `qqq.json` documents every key for
translators). toolforge_i18n loads them, refuses translations with unsafe HTML, turns MediaWiki's `$1`,
`{{PLURAL:…}}` and `{{GENDER:…}}` into format strings with each language's plural rules, and knows every
language's direction and fallbacks. This module gives the library what only the project knows:

- the names of each message's parameters, read from `en.json`: the library wants them named, while Kudos
  passes them by position, as MediaWiki does (`$1` is the first);
- MediaWiki's language data from `kudos/languageinfo.json` (see `scripts/languageinfo.py`) rather than a
  request to Meta-Wiki on first use, so that no page waits on Meta-Wiki;
- plain text in a given language for what is not a web page: edit summaries and headings on the wiki,
  the JSON API, logs and the command line (`text`).

The web tool's glue (`kudos.web.i18n`) renders the same messages as HTML. Nothing here imports Flask.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from markupsafe import Markup
from toolforge_i18n import I18nFormatter, TranslationsConfig, lang_fallbacks, load_translations
from toolforge_i18n import _language_info as language_info  # noqa: PLC2701 - see use_stored_language_info

ROOT = Path(__file__).resolve().parent.parent
MESSAGES_DIR = ROOT / "i18n"
LANGUAGE_INFO = Path(__file__).resolve().parent / "languageinfo.json"
SOURCE_LANGUAGE = "en"
KEYS_LANGUAGE = "qqx"  # MediaWiki's pseudo-language that shows message keys

_PARAM = re.compile(r"\$([1-9][0-9]*)")
_PLURAL = re.compile(r"\{\{PLURAL:\$([1-9][0-9]*)\|")
_GENDER = re.compile(r"\{\{GENDER:\$([1-9][0-9]*)\|")
_LINK = re.compile(r"\[\$([1-9][0-9]*) ")


def read_messages(path: Path) -> dict[str, str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if not key.startswith("@")}


def parameter_names(english: Mapping[str, str]) -> dict[str, list[str]]:
    """`$1`, `$2` … of each English message, named for toolforge_i18n: the name's prefix gives the kind.

    Only the source decides the kinds: a translation cannot turn a parameter into a link (`url_`), and
    one that uses PLURAL or GENDER where English does not fails the library's checks, so it is caught in
    the tests rather than at a reader's expense.
    """
    names: dict[str, list[str]] = {}
    for key, text in english.items():
        count = max((int(n) for n in _PARAM.findall(text)), default=0)
        if not count:
            continue
        plural = {int(n) for n in _PLURAL.findall(text)}
        gender = {int(n) for n in _GENDER.findall(text)}
        link = {int(n) for n in _LINK.findall(text)}
        names[key] = [
            f"num_{n}" if n in plural else f"user_name_{n}" if n in gender else f"url_{n}" if n in link
            else f"arg_{n}"
            for n in range(1, count + 1)
        ]
    return names


def _neutral_gender(_user: object) -> Literal["n"]:
    # Kudos does not know its users' genders (asking Meta-Wiki while a page renders is not an option).
    return "n"


def translations_config(directory: Path = MESSAGES_DIR) -> TranslationsConfig:
    return TranslationsConfig(
        directory=str(directory),
        variables=parameter_names(read_messages(directory / f"{SOURCE_LANGUAGE}.json")),
        get_gender=_neutral_gender,
    )


@functools.cache
def use_stored_language_info() -> None:
    """Give toolforge_i18n MediaWiki's language data from the stored copy.

    The library fetches it from Meta-Wiki the first time it needs a direction or a fallback and keeps
    it in two module variables; filled here, it never has to ask. The version is pinned
    (requirements.txt), and tests/test_i18n.py fails if the library stops reading them.
    """
    info = json.loads(LANGUAGE_INFO.read_text(encoding="utf-8"))
    language_info._language_info = info  # noqa: SLF001
    language_info._by_bcp47 = {data["bcp47"]: code for code, data in info.items()}  # noqa: SLF001


class Catalog:
    """Every language's messages as format strings, loaded and checked once per process."""

    def __init__(self, config: TranslationsConfig) -> None:
        use_stored_language_info()
        self.config = config
        try:
            self.translations, self.documentation = load_translations(config)
        except AssertionError as error:  # the library's checks are assertions, without a word of their own
            raise RuntimeError(f"A message file in {config.directory} holds a translation that toolforge_i18n "
                               "refuses (HTML it does not allow, or parameters used otherwise than in en.json); "
                               "`pytest i18n` names it.") from error
        self._plain: dict[tuple[str, str], tuple[str, str] | None] = {}
        self._local = threading.local()

    def names(self, key: str) -> Sequence[str]:
        return self.config.variables.get(key, ())

    def named(self, key: str, params: Sequence[Any]) -> dict[str, Any]:
        """Positional parameters as the library's named ones; numbers for PLURAL made numbers."""
        values: dict[str, Any] = {}
        for index, name in enumerate(self.names(key)):
            if index >= len(params):
                values[name] = f"${index + 1}"  # shown as MediaWiki shows a parameter nobody passed
                continue
            value = params[index]
            if name.startswith("num_") and not isinstance(value, int | float):
                text = str(value).strip()
                value = int(text) if text.lstrip("-").isdigit() else value
            values[name] = value
        return values

    def lookup(self, language: str, key: str) -> tuple[str, str] | None:
        """(format string, the language it is in), following the language's fallbacks to English."""
        for candidate in (language, *lang_fallbacks(language), SOURCE_LANGUAGE):
            found = self.translations.get(candidate, {}).get(key)
            if found is not None:
                return found, candidate
        return None

    def formatter(self, language: str) -> I18nFormatter:
        """The library's formatter for `language`, made once per thread (making one costs more than using it,
        and it keeps state while it formats)."""
        made: dict[str, I18nFormatter] = self._local.__dict__.setdefault("formatters", {})
        found = made.get(language)
        if found is None:
            found = made[language] = I18nFormatter(locale_identifier=self.config.language_code_to_babel(language),
                                                   get_gender=self.config.get_gender)
        return found

    def knows(self, key: str) -> bool:
        return key in self.translations[SOURCE_LANGUAGE]

    def serves(self, language: str) -> bool:
        """Whether `language` has messages of its own or falls back to a language that has."""
        return language in self.translations or any(f in self.translations for f in lang_fallbacks(language))

    def text(self, language: str, key: str, *params: Any) -> str:
        """The message as plain text (no markup, entities decoded), parameters put in as they are."""
        if language == KEYS_LANGUAGE:
            return f"({key})"
        memo = (language, key)
        if memo not in self._plain:
            found = self.lookup(language, key)
            # The message's HTML without its tags (checked when loaded); the parameters are added after, as text.
            self._plain[memo] = (Markup(found[0]).striptags(), found[1]) if found else None  # noqa: S704
        plain = self._plain[memo]
        if plain is None:
            return f"⧼{key}⧽"
        template, used = plain
        values = self.named(key, params)
        if not values:
            return template
        return str(self.formatter(used).format(template, **{k: v.striptags() if isinstance(v, Markup) else v
                                                            for k, v in values.items()}))


@functools.cache
def catalog(directory: Path = MESSAGES_DIR) -> Catalog:
    return Catalog(translations_config(directory))


def text(language: str, key: str, *params: Any) -> str:
    """A message as plain text in `language` (its fallbacks, then English)."""
    return catalog().text(language, key, *params)
