"""Flask-WTF forms: each carries the CSRF token and validates on the server."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from kudos.nominations import LINK_MAX, MESSAGE_MAX, MESSAGE_MIN


class UsernameForm(FlaskForm):
    username = StringField("User name", validators=[DataRequired("Type a user name."), Length(max=255)])


class DemoLoginForm(UsernameForm):
    """Demo mode only: sign in as the typed user name."""


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons such as “Sign out”."""



def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _text(value: object) -> object:
    # Browsers send line breaks as CRLF; count (and store) them as one character each.
    return value.replace("\r\n", "\n").replace("\r", "\n").strip() if isinstance(value, str) else value


class NominationForm(FlaskForm):
    """The nomination fields. Choices (campaigns, awards) are set per request; the view checks them with
    sentences of its own, so WTForms' generic "Not a valid choice" never shows."""

    campaign = SelectField("Campaign", choices=[], validate_choice=False,
                           validators=[DataRequired("Choose a campaign.")])
    recipient = StringField("Who do you want to thank? (their user name)", filters=[_strip],
                            validators=[DataRequired("Name the person you want to thank."),
                                        Length(max=255, message="A user name has at most 255 characters.")])
    award = RadioField("Award", choices=[], validate_choice=False, validators=[DataRequired("Choose an award.")])
    message = TextAreaField(
        "Your message (plain text)", filters=[_text],
        validators=[DataRequired(f"Write a message of at least {MESSAGE_MIN} characters about the work."),
                    Length(min=MESSAGE_MIN, max=MESSAGE_MAX,
                           message=f"Write between {MESSAGE_MIN} and {MESSAGE_MAX} characters.")])
    link = StringField("Link to the work (a page title, or the address of a page or diff)", filters=[_strip],
                       validators=[Optional(), Length(max=LINK_MAX, message=f"Keep the link under {LINK_MAX} "
                                                                             f"characters.")])


class ConsentForm(FlaskForm):
    choice = RadioField("Sharing on social media", choices=[SelectChoice("granted", "Yes, share my awards"),
                                                            SelectChoice("refused", "No, do not share them")],
                        validators=[DataRequired("Choose yes or no.")])


class OptOutForm(FlaskForm):
    opted_out = RadioField("Awards through Kudos", choices=[SelectChoice("no", "I welcome awards"),
                                                            SelectChoice("yes", "Do not send me awards")],
                           validators=[DataRequired("Choose one.")])
