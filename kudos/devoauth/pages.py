"""HTML pages of the development provider. Plain forms only: no script and nothing loaded from elsewhere,
so they work offline and under any browser policy."""

from __future__ import annotations

from flask import render_template_string
from markupsafe import Markup

_LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} - Development wiki</title>
<style>
body { font-family: sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
fieldset { border: 1px solid #a2a9b1; margin: 1rem 0; }
button { font-size: 1rem; padding: .4rem 1rem; margin-right: .5rem; }
.note { color: #54595d; font-size: .9rem; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
{{ body }}
<p class="note">Local development stand-in for MediaWiki's Special:OAuth. Not a real wiki.</p>
</body>
</html>
"""

_AUTHORIZE = """
<p>Hi! <strong>{{ consumer_name }}</strong> would like to verify your identity on this wiki.
It will not be able to edit on your behalf.</p>
<form method="post" id="mw-mwoauth-authorize-form">
<input type="hidden" name="requestToken" value="{{ request_token }}">
<input type="hidden" name="consumerKey" value="{{ consumer_key }}">
<fieldset>
<legend>Log in as</legend>
{% for name in usernames %}
<label><input type="radio" name="username" value="{{ name }}"{% if loop.first %} checked{% endif %}>
{{ name }}</label><br>
{% endfor %}
<label>or another username: <input type="text" name="other_username" autocomplete="off"></label>
</fieldset>
<button type="submit" name="accept" value="1" id="mw-mwoauth-accept">Allow</button>
<button type="submit" name="cancel" value="1" id="mw-mwoauth-cancel">Deny</button>
</form>
"""

_CANCELLED = """
<p>You have chosen not to allow <strong>{{ consumer_name }}</strong> to access your account.
{{ consumer_name }} will not work unless you allow it access.</p>
<p><a href="{{ main_page }}">Return to Main Page</a>.</p>
"""

_ERROR = "<p>{{ message }}</p>"


def _page(title: str, body_template: str, **context: object) -> str:
    # The body was rendered (and escaped) by Jinja just above, so it is safe to embed as markup.
    body = Markup(render_template_string(body_template, **context))  # noqa: S704
    return render_template_string(_LAYOUT, title=title, body=body)


def authorize_page(consumer_name: str, consumer_key: str, request_token: str, usernames: list[str]) -> str:
    return _page(
        "Authorize application",
        _AUTHORIZE,
        consumer_name=consumer_name,
        consumer_key=consumer_key,
        request_token=request_token,
        usernames=usernames,
    )


def cancelled_page(consumer_name: str, main_page: str) -> str:
    return _page("Authorization cancelled", _CANCELLED, consumer_name=consumer_name, main_page=main_page)


def error_page(message: str) -> str:
    return _page("OAuth error", _ERROR, message=message)
