"""Flask-WTF forms: each carries the CSRF token and validates on the server."""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from kudos.nominations import LINK_MAX, MESSAGE_MAX, MESSAGE_MIN
from kudos.web.i18n import lazy_msg


class UsernameForm(FlaskForm):
    username = StringField(lazy_msg("kudos-login-username-label"),
                           validators=[DataRequired(lazy_msg("kudos-form-username-required")), Length(max=255)])


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

    campaign = SelectField(lazy_msg("kudos-nominate-campaign-label"), choices=[], validate_choice=False,
                           validators=[DataRequired(lazy_msg("kudos-nominate-campaign-required"))])
    recipient = StringField(lazy_msg("kudos-nominate-recipient-label"), filters=[_strip],
                            validators=[DataRequired(lazy_msg("kudos-nominate-recipient-required")),
                                        Length(max=255, message=lazy_msg("kudos-form-username-too-long", 255))])
    award = RadioField(lazy_msg("kudos-nominate-award-label"), choices=[], validate_choice=False,
                       validators=[DataRequired(lazy_msg("kudos-nominate-award-required"))])
    message = TextAreaField(
        lazy_msg("kudos-nominate-message-label"), filters=[_text],
        validators=[DataRequired(lazy_msg("kudos-nominate-message-required", MESSAGE_MIN)),
                    Length(min=MESSAGE_MIN, max=MESSAGE_MAX,
                           message=lazy_msg("kudos-nominate-message-length", MESSAGE_MIN, MESSAGE_MAX))])
    link = StringField(lazy_msg("kudos-nominate-link-label"), filters=[_strip],
                       validators=[Optional(), Length(max=LINK_MAX,
                                                      message=lazy_msg("kudos-nominate-link-too-long", LINK_MAX))])


class ConsentForm(FlaskForm):
    choice = RadioField(lazy_msg("kudos-consent-legend"),
                        choices=[SelectChoice("granted", lazy_msg("kudos-consent-choice-granted")),
                                 SelectChoice("refused", lazy_msg("kudos-consent-choice-refused"))],
                        validators=[DataRequired(lazy_msg("kudos-consent-choice-required"))])


class OptOutForm(FlaskForm):
    opted_out = RadioField(lazy_msg("kudos-optout-legend"),
                           choices=[SelectChoice("no", lazy_msg("kudos-optout-choice-no")),
                                    SelectChoice("yes", lazy_msg("kudos-optout-choice-yes"))],
                           validators=[DataRequired(lazy_msg("kudos-optout-choice-required"))])
