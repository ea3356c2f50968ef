"""Interface messages in the reader's language, MediaWiki style.

Messages live in `i18n/<language>.json` (`en.json` is the source, `qqq.json` documents each key for
translators, as on translatewiki.net). Templates call `msg(key, *params)`; `$1`, `$2` … are replaced by
the parameters, which are HTML-escaped unless they are already `Markup` (for example `username|bdi`).
`{{PLURAL:$1|one|other}}` and `{{GENDER:$1|…}}` are understood. Message text itself is escaped too, so a
translation can never inject markup.

The language comes from `?uselang=`, then the `Accept-Language` header, then English; `?uselang=qqx`
shows message keys instead of text. An explicit `uselang` is kept on every link built with `url_for`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context, request, url_for
from markupsafe import Markup, escape

from kudos.config import PROJECT_ROOT

MESSAGES_DIR = PROJECT_ROOT / "i18n"
SOURCE_LANGUAGE = "en"
KEYS_LANGUAGE = "qqx"  # MediaWiki's pseudo-language that shows message keys
DOCUMENTATION = "qqq"

# Languages written right to left (MediaWiki's list, trimmed to codes a reader is likely to send).
RTL_LANGUAGES = frozenset({
    "ar", "arc", "arz", "azb", "bcc", "bgn", "bqi", "ckb", "dv", "fa", "glk", "he", "khw", "ks", "lki",
    "luz", "lrc", "mzn", "nqo", "pnb", "ps", "sd", "sdh", "skr", "ug", "ur", "yi",
})

_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")
_PARAM = re.compile(r"\$(\d+)")
_MAGIC = re.compile(r"\{\{(PLURAL|GENDER):\s*\$(\d+)\s*\|([^{}]*)\}\}")
_ISOLATE = {"ltr": ("\u2066", "\u2069"), "rtl": ("\u2067", "\u2069")}  # LRI/RLI … PDI

Messages = dict[str, dict[str, str]]

# Each language's name in itself, for the language links in the footer.
AUTONYMS = {"en": "English", "or": "ଓଡ଼ିଆ", "he": "עברית", "ar": "العربية", "hi": "हिन्दी", "bn": "বাংলা"}


def direction(language: str) -> str:
    return "rtl" if language.split("-")[0] in RTL_LANGUAGES else "ltr"


def load_messages(directory: Path = MESSAGES_DIR) -> Messages:
    """Every message file except the documentation, keyed by language code, without `@metadata`."""
    messages: Messages = {}
    for path in sorted(directory.glob("*.json")):
        if path.stem == DOCUMENTATION:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        messages[path.stem] = {key: value for key, value in data.items() if not key.startswith("@")}
    if SOURCE_LANGUAGE not in messages:
        raise RuntimeError(f"{directory / 'en.json'} is missing: English is every message's fallback")
    return messages


def _supported(code: str | None, messages: Messages) -> str | None:
    """The language we can serve for a requested code: itself, or its base language (en-GB → en)."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    if not _LANGUAGE_CODE.match(code):
        return None
    if code in messages:
        return code
    base = code.split("-")[0]
    return base if base in messages else None


def choose_language(messages: Messages, uselang: str | None, accept: Callable[[list[str]], str | None]) -> str:
    """`?uselang=` first, then the browser's preference among the languages we have, then English."""
    if uselang and uselang.strip().lower() == KEYS_LANGUAGE:
        return KEYS_LANGUAGE
    chosen = _supported(uselang, messages) or _supported(accept(sorted(messages)), messages)
    return chosen or SOURCE_LANGUAGE


def plural_form(language: str, number: int, forms: list[str]) -> str:
    """Pick a PLURAL form; explicit `5=five` forms win, then the language's categories."""
    plain = []
    for form in forms:
        explicit, sep, text = form.partition("=")
        if sep and explicit.strip().isdigit():
            if int(explicit) == number:
                return text
        else:
            plain.append(form)
    if not plain:
        return ""
    base = language.split("-")[0]
    if base == "he":  # one, two, other
        index = 0 if number == 1 else 1 if number == 2 else 2
    elif base in ("fr", "hi", "bn", "pt"):  # zero counts as singular
        index = 0 if number in (0, 1) else 1
    else:  # English, Odia and most others: one, other
        index = 0 if number == 1 else 1
    return plain[min(index, len(plain) - 1)]


def _as_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.lstrip("-").isdigit() else None


def format_message(text: str, params: tuple[Any, ...], language: str) -> Markup:
    """Escape the message, resolve PLURAL/GENDER, then put in the (escaped) parameters."""
    return _fill(str(escape(text)), params, language)


def _fill(escaped: str, params: tuple[Any, ...], language: str) -> Markup:
    def magic(match: re.Match[str]) -> str:
        word, index, forms = match.group(1), int(match.group(2)), match.group(3).split("|")
        value = params[index - 1] if 0 < index <= len(params) else None
        if word == "PLURAL":
            number = _as_number(value)
            return plural_form(language, number if number is not None else 2, forms)
        return forms[-1]  # GENDER: we do not look up genders, so use the neutral (last) form

    def param(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if 0 < index <= len(params):
            return str(escape(params[index - 1]))
        return match.group(0)

    if "{{" in escaped:
        escaped = _MAGIC.sub(magic, escaped)
    # Safe: the message was escaped by the caller, PLURAL/GENDER only pick among its (escaped) pieces, and
    # each parameter goes through escape(), which leaves only Markup parameters as they are.
    return Markup(_PARAM.sub(param, escaped) if "$" in escaped else escaped)  # noqa: S704


def _keys_view(key: str, params: tuple[Any, ...]) -> Markup:
    if not params:
        return Markup("({})").format(key)
    return Markup("({}: {})").format(key, Markup(", ").join(escape(p) for p in params))


def _messages() -> Messages:
    messages: Messages = current_app.extensions["kudos.i18n"]
    return messages


def current_language() -> str:
    return g.get("language", SOURCE_LANGUAGE) if has_request_context() else SOURCE_LANGUAGE


@dataclass(frozen=True)
class _Prepared:
    """A message as one language shows it, worked out once per process: pages call msg() per row."""

    escaped: str  # the message text, HTML-escaped
    language: str  # the language the text is in (the page's, or English as the fallback)
    isolate: tuple[str, str] | None  # isolates around an English fallback in a right-to-left page
    plain: Markup | None  # the finished message when it takes no parameters and has no PLURAL/GENDER


def _prepare(messages: Messages, language: str, key: str) -> _Prepared | None:
    for candidate in (language, SOURCE_LANGUAGE):
        text = messages.get(candidate, {}).get(key)
        if text is not None:
            break
    else:
        return None
    escaped = str(escape(text))
    # An English fallback inside a right-to-left page: isolate it so its punctuation stays put.
    # Unicode isolates rather than a <span>, so msg() is also safe inside attributes and <title>.
    isolate = _ISOLATE[direction(candidate)] if direction(candidate) != direction(language) else None
    plain = None
    if "$" not in escaped and "{{" not in escaped:
        plain = format_message(text, (), candidate)
        if isolate:
            plain = escape(isolate[0]) + plain + escape(isolate[1])
    return _Prepared(escaped, candidate, isolate, plain)


def _prepared(language: str, key: str) -> _Prepared | None:
    cache: dict[tuple[str, str], _Prepared | None] = current_app.extensions["kudos.i18n.prepared"]
    prepared = cache.get((language, key), _MISSING)
    if prepared is _MISSING:
        prepared = cache[(language, key)] = _prepare(_messages(), language, key)
    assert prepared is None or isinstance(prepared, _Prepared)
    return prepared


def msg(key: str, *params: Any) -> Markup:
    """The message `key` in the reader's language (English if untranslated), with `$1`… filled in."""
    language = current_language()
    if language == KEYS_LANGUAGE:
        return _keys_view(key, params)
    prepared = _prepared(language, key)
    if prepared is None:
        # A missing key is a bug the template tests catch; show it the way MediaWiki does.
        return Markup("⧼{}⧽").format(key)
    if prepared.plain is not None:
        return prepared.plain
    result = _fill(prepared.escaped, params, prepared.language)
    if prepared.isolate:
        result = escape(prepared.isolate[0]) + result + escape(prepared.isolate[1])
    return result


class LazyMessage:
    """A message looked up when it is shown, not when it is defined: form labels, choices and validator
    sentences are class attributes, created at import time, outside any request and its language."""

    __slots__ = ("key", "params")

    def __init__(self, key: str, *params: Any) -> None:
        self.key = key
        self.params = params

    def __html__(self) -> str:
        return str(msg(self.key, *self.params))

    def __str__(self) -> str:
        return self.__html__()

    def __mod__(self, _values: object) -> Markup:
        # WTForms' Length validator does `message % {min, max, length}`; our messages carry their own numbers.
        return msg(self.key, *self.params)

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"LazyMessage({self.key!r})"


def lazy_msg(key: str, *params: Any) -> LazyMessage:
    return LazyMessage(key, *params)


_MISSING = object()


def bdi(text: Any) -> Markup:
    """A username or other user-supplied name, isolated from the surrounding text's direction."""
    # Concatenation rather than Markup.format: the same escaping, a fraction of the cost in a row loop.
    return Markup(f"<bdi>{escape(text)}</bdi>")  # noqa: S704


def endpoint_for(target: str) -> str | None:
    """The registered endpoint for an endpoint name or a URL path such as "/nominate", if any."""
    if not target.startswith("/"):
        return target if target in current_app.view_functions else None
    # Every page's layout asks for several paths: index them once, again only if routes were added since.
    rules = current_app.url_map._rules  # noqa: SLF001 - its length tells whether the index is stale
    index: tuple[int, dict[str, str]] | None = current_app.extensions.get("kudos.i18n.paths")
    if index is None or index[0] != len(rules):
        paths: dict[str, str] = {}
        for rule in current_app.url_map.iter_rules():
            if not rule.arguments and "GET" in (rule.methods or ()):
                paths.setdefault(rule.rule, rule.endpoint)
        index = current_app.extensions["kudos.i18n.paths"] = (len(rules), paths)
    return index[1].get(target)


def has_endpoint(target: str) -> bool:
    return endpoint_for(target) is not None


def nav_link(target: str, key: str, **values: Any) -> Markup:
    """A navigation link to an endpoint or path, or nothing when this app does not serve it (yet).

    Pages are built by different hands at different times, so the layout links to a path like
    "/nominate" and shows the link once some blueprint answers there, whatever its endpoint is called.
    """
    endpoint = endpoint_for(target)
    if endpoint is None:
        return Markup("")
    here = request.endpoint == endpoint
    # Every page's layout shows the same links: each is built once per language, `uselang`, mount point and
    # current/not, since the link's text and address depend on nothing else.
    cache: dict[tuple[Any, ...], Markup] = current_app.extensions["kudos.i18n.links"]
    memo = (endpoint, key, tuple(sorted(values.items())), current_language(), g.get("uselang"),
            request.script_root, here)
    link = cache.get(memo)
    if link is None:
        href = url_for(endpoint, **values)
        if here:
            link = Markup('<a class="kudos-nav__link" href="{}" aria-current="page">{}</a>').format(href, msg(key))
        else:
            link = Markup('<a class="kudos-nav__link" href="{}">{}</a>').format(href, msg(key))
        if len(cache) < 10_000:  # bounded: values come from templates, languages and uselang from our list
            cache[memo] = link
    return link


def init_app(app: Flask, directory: Path = MESSAGES_DIR) -> None:
    app.extensions["kudos.i18n"] = load_messages(directory)
    app.extensions["kudos.i18n.prepared"] = {}
    app.extensions["kudos.i18n.links"] = {}
    languages = [(code, AUTONYMS.get(code, code)) for code in sorted(app.extensions["kudos.i18n"])]

    @app.before_request
    def pick_language() -> None:
        uselang = request.args.get("uselang")
        g.language = choose_language(_messages(), uselang, request.accept_languages.best_match)
        if uselang and (g.language == KEYS_LANGUAGE or _supported(uselang, _messages())):
            g.uselang = g.language

    @app.url_defaults
    def keep_uselang(endpoint: str, values: dict[str, Any]) -> None:
        # A reader who picked a language by URL keeps it on every page they reach from here.
        uselang = g.get("uselang") if has_request_context() else None
        if uselang and endpoint != "static":
            values.setdefault("uselang", uselang)

    @app.context_processor
    def language_globals() -> dict[str, Any]:
        language = current_language()
        return {"lang": language, "dir": direction(language), "languages": languages}

    app.add_template_global(msg, "msg")
    app.add_template_global(nav_link, "nav_link")
    app.add_template_global(has_endpoint, "has_endpoint")
    app.add_template_filter(bdi, "bdi")
