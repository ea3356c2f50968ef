"""Flask-WTF forms: each carries the CSRF token and validates on the server."""

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.fields.core import UnboundField
from wtforms.meta import DefaultMeta
from wtforms.validators import DataRequired, Length, Optional

from kudos import plaintext
from kudos.nominations import LINK_MAX, MESSAGE_MAX, MESSAGE_MIN
from kudos.web.i18n import lazy_msg


def _lines(value: object) -> object:
    return plaintext.clean(value).strip() if isinstance(value, str) else value


def _line(value: object) -> object:
    return plaintext.line(value) if isinstance(value, str) else value


class Form(FlaskForm):
    """Every Kudos form: each field's text follows `kudos.plaintext` before any validator sees it, so line
    breaks are LF (browsers send CRLF) and no control character is stored or published. A text area keeps
    its lines; every other field is one line."""

    class Meta(DefaultMeta):
        def bind_field(self, form: Any, unbound_field: UnboundField, options: dict[str, Any]) -> Field:
            text = _lines if issubclass(unbound_field.field_class, TextAreaField) else _line
            options["filters"] = [text, *unbound_field.kwargs.get("filters", ())]
            return super().bind_field(form, unbound_field, options)


class UsernameForm(Form):
    username = StringField(lazy_msg("kudos-login-username-label"),
                           validators=[DataRequired(lazy_msg("kudos-form-username-required")), Length(max=255)])


class DemoLoginForm(UsernameForm):
    """Demo mode only: sign in as the typed user name."""


class EmptyForm(Form):
    """A form with only the CSRF token, for buttons such as “Sign out”."""


class NominationForm(Form):
    """The nomination fields. Choices (campaigns, awards) are set per request; the view checks them with
    sentences of its own, so WTForms' generic "Not a valid choice" never shows."""

    campaign = SelectField(lazy_msg("kudos-nominate-campaign-label"), choices=[], validate_choice=False,
                           validators=[DataRequired(lazy_msg("kudos-nominate-campaign-required"))])
    recipient = StringField(lazy_msg("kudos-nominate-recipient-label"),
                            validators=[DataRequired(lazy_msg("kudos-nominate-recipient-required")),
                                        Length(max=255, message=lazy_msg("kudos-form-username-too-long", 255))])
    award = RadioField(lazy_msg("kudos-nominate-award-label"), choices=[], validate_choice=False,
                       validators=[DataRequired(lazy_msg("kudos-nominate-award-required"))])
    message = TextAreaField(
        lazy_msg("kudos-nominate-message-label"),
        validators=[DataRequired(lazy_msg("kudos-nominate-message-required", MESSAGE_MIN)),
                    Length(min=MESSAGE_MIN, max=MESSAGE_MAX,
                           message=lazy_msg("kudos-nominate-message-length", MESSAGE_MIN, MESSAGE_MAX))])
    link = StringField(lazy_msg("kudos-nominate-link-label"),
                       validators=[Optional(), Length(max=LINK_MAX,
                                                      message=lazy_msg("kudos-nominate-link-too-long", LINK_MAX))])


class ConsentForm(Form):
    choice = RadioField(lazy_msg("kudos-consent-legend"),
                        choices=[SelectChoice("granted", lazy_msg("kudos-consent-choice-granted")),
                                 SelectChoice("refused", lazy_msg("kudos-consent-choice-refused"))],
                        validators=[DataRequired(lazy_msg("kudos-consent-choice-required"))])


class OptOutForm(Form):
    opted_out = RadioField(lazy_msg("kudos-optout-legend"),
                           choices=[SelectChoice("no", lazy_msg("kudos-optout-choice-no")),
                                    SelectChoice("yes", lazy_msg("kudos-optout-choice-yes"))],
                           validators=[DataRequired(lazy_msg("kudos-optout-choice-required"))])
