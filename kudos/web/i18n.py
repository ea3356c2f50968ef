"""Interface messages in the reader's language: the glue between toolforge_i18n and the web tool.

toolforge_i18n (set up in `kudos.i18n`) picks the language from `?uselang=` (`qqx` shows message keys)
or the browser's Accept-Language, formats messages with the language's plural rules, and wraps a message
that fell back to another language in `<span lang="…" dir="…">`. What Kudos adds:

- `msg(key, *params)`: parameters by position, as in the message files; a `DomainError` renders its own
  key. Parameters are escaped unless they are `Markup` (for example `username|bdi`). `msg_text` is the
  same message as plain text, for JSON and other places that are not HTML.
- a `?uselang=` the tool cannot serve is ignored rather than naming the page in a language it is not in;
  a served one is kept on every link built with `url_for`.
- the page's own language is the base for wrapping, so only messages in another language get a `<span>`.
  Inside an attribute or `<title>`, use `msg(…)|striptags`.
- lazy messages for form classes, `bdi`, and navigation links that appear once a blueprint serves them.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Flask, current_app, g, has_request_context, request, url_for
from markupsafe import Markup, escape
from toolforge_i18n import (
    ToolforgeI18n,
    add_lang_if_needed,
    lang_autonym,
    lang_bcp47_to_mw,
    lang_dir,
    lang_mw_to_bcp47,
    message,
    pop_html_lang,
    push_html_lang,
)

from kudos.access import Decision
from kudos.errors import DomainError, KudosError
from kudos.i18n import KEYS_LANGUAGE, SOURCE_LANGUAGE, Catalog, catalog


class _Extension(ToolforgeI18n):
    """toolforge_i18n's Flask extension around a catalog that is already loaded and checked."""

    def __init__(self, messages: Catalog) -> None:
        # Not the library's constructor: it would load and check every file again for each app.
        self.config, self.translations, self.documentation = (messages.config, messages.translations,
                                                              messages.documentation)
        self.interface_language_code = _interface_language


def _catalog() -> Catalog:
    found: Catalog = current_app.extensions["kudos.i18n"]
    return found


def _interface_language(translations: dict[str, dict[str, str]]) -> str:
    uselang = request.args.get("uselang", "").strip().lower()
    if uselang == KEYS_LANGUAGE or (uselang and _catalog().serves(uselang)):
        g.uselang = uselang
        return uselang
    available = [lang_mw_to_bcp47(code) for code in translations]
    return lang_bcp47_to_mw(request.accept_languages.best_match(available, SOURCE_LANGUAGE))


def _start() -> tuple[Catalog, str | None]:
    """The page is in the reader's language: a message in that language needs no `<span>` of its own.

    Returns what `msg` needs on every call (the catalog, and the language or None for message keys),
    kept on `g` so that a page's many messages look it up once."""
    if "interface_language_code" not in g:
        # A hook registered before toolforge_i18n's answered (an error page): choose the language now.
        g.html_language_codes = []
        code = _interface_language(_catalog().translations)
        g.qqx = code == KEYS_LANGUAGE
        g.interface_language_code = SOURCE_LANGUAGE if g.qqx else code
    # Pushed once onto each stack the library starts (it starts a new one in its own hook).
    if g.get("page_language_stack") is not g.html_language_codes:
        push_html_lang(g.interface_language_code)
        g.page_language_stack = g.html_language_codes
        g.kudos_i18n = (_catalog(), None if g.qqx else g.interface_language_code)
    state: tuple[Catalog, str | None] = g.kudos_i18n
    return state


def _begin() -> None:
    _start()


def _finish(response: Any) -> Any:
    if not g.get("uselang") and request.endpoint != "static":
        # Chosen from Accept-Language: a cache keeps one copy per language.
        response.vary.add("Accept-Language")
    stack = g.setdefault("html_language_codes", [])
    if g.pop("page_language_stack", None) is stack and stack:
        pop_html_lang(g.interface_language_code)
    return response


def current_language() -> str:
    """The reader's language as a MediaWiki code (English outside a request)."""
    if not has_request_context():
        return SOURCE_LANGUAGE
    _start()
    return str(g.interface_language_code)


def msg(key: str | KudosError | Decision, *params: Any) -> Markup:
    """The message `key` in the reader's language (by its fallbacks, English if untranslated); of an error or a
    refusal, its sentence."""
    if isinstance(key, KudosError):
        return error_message(key)
    if isinstance(key, Decision):
        return msg(key.key, *key.params)
    if not has_request_context():
        return escape(catalog().text(SOURCE_LANGUAGE, key, *params))
    messages, language = g.get("kudos_i18n") or _start()
    found = None if language is None else messages.lookup(language, key)
    if found is None:  # the key view (qqx), or a missing key (⧼key⧽, with the library's warning)
        return message(key, **messages.named(key, params))
    # What the library's message() does, with a formatter kept per language rather than made per call.
    # Safe: every translation passed the library's HTML checks when it was loaded, and given Markup the
    # formatter escapes each parameter that is not Markup itself.
    text, language = Markup(found[0]), found[1]  # noqa: S704
    if params:
        text = cast(Markup, messages.formatter(language).format(text, **messages.named(key, params)))
    return add_lang_if_needed(text, language)


def msg_text(key: str, *params: Any) -> str:
    """The message as plain text in the reader's language, for JSON and other places that are not HTML."""
    if not has_request_context():
        return catalog().text(SOURCE_LANGUAGE, key, *params)
    messages, language = _start()
    return messages.text(language or KEYS_LANGUAGE, key, *params)


def error_message(error: KudosError) -> Markup:
    """A domain rule's sentence in the reader's language; a sentence written without a key as it is."""
    if isinstance(error, DomainError) and (_catalog() if has_request_context() else catalog()).knows(error.key):
        return msg(error.key, *error.params)
    return escape(error.message)


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
    memo = (endpoint, key, tuple(sorted(values.items())), current_language(), g.get("qqx"), g.get("uselang"),
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


def init_app(app: Flask, messages: Catalog | None = None) -> None:
    found = messages or catalog()
    _Extension(found).init_app(app)
    app.extensions["kudos.i18n"] = found
    app.extensions["kudos.i18n.links"] = {}
    app.before_request(_begin)
    # Registered after the library's own check that every pushed language was popped, so it runs first.
    app.after_request(_finish)
    languages = [(code, lang_autonym(code) or code) for code in sorted(found.translations)]

    @app.url_defaults
    def keep_uselang(endpoint: str, values: dict[str, Any]) -> None:
        # A reader who picked a language by URL keeps it on every page they reach from here.
        uselang = g.get("uselang") if has_request_context() else None
        if uselang and endpoint != "static":
            values.setdefault("uselang", uselang)

    @app.context_processor
    def language_globals() -> dict[str, Any]:
        language = current_language()
        return {"lang": lang_mw_to_bcp47(language), "dir": lang_dir(language), "language": language,
                "languages": languages}

    app.add_template_global(msg, "msg")
    app.add_template_global(nav_link, "nav_link")
    app.add_template_global(has_endpoint, "has_endpoint")
    app.add_template_filter(bdi, "bdi")
