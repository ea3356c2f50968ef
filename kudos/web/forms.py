"""Flask-WTF forms: each carries the CSRF token and validates on the server."""

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length


class UsernameForm(FlaskForm):
    username = StringField("User name", validators=[DataRequired("Type a user name."), Length(max=255)])


class DemoLoginForm(UsernameForm):
    """Demo mode only: sign in as the typed user name."""


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons such as “Sign out”."""

