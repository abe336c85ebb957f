"""What each page's POST may carry, read through Flask-WTF.

The fields carry and coerce what was sent; the rules (a valid retention, a free user name, four eyes)
stay with the services, which the API calls too, so a page and the API refuse the same input in the
same words. The few checks made here carry their own translated messages (WTForms has no Kyrgyz
catalogue). Every refusal is a :class:`UserError`, met in one of two places: :meth:`Form.submit` on a
page that shows its form again with the message, the application's error handler (records/web.py)
everywhere else. A POST without fields (approve, close, sign out) has no form: CSRFProtect checks it.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Self

from flask import request
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, Field, PasswordField, SelectMultipleField, StringField
from wtforms.validators import EqualTo, ValidationError

from records import accounts, db
from records.capture import documents, metadata
from records.disposition.acts import Decision, parse_decision
from records.errors import UserError
from records.i18n import _, _l
from records.models import DisposalAct

class Form(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect has checked every POST of the app before its view runs

    refused: UserError | None = None
    result: Any = None

    def checked(self) -> Self:
        """The form with its checks passed; otherwise the first message, as a UserError."""
        if not self.validate():
            messages = [*self.form_errors, *(m for errors in self.errors.values() for m in errors)]
            raise UserError("bad_form", str(messages[0]))
        return self

    def submit(self, action: Callable[[Self], Any]) -> bool:
        """On POST, run ``action`` with the checked form and keep what it returns (``result``); True
        when it ran. A refusal rolls the request's transaction back and stays on the form (``refused``,
        its message ``error`` and ``status``) to be shown again."""
        if not self.is_submitted():
            return False
        try:
            self.result = action(self.checked())
        except UserError as exc:
            db.session().rollback()
            self.refused = exc
            return False
        return True

    @property
    def error(self) -> str | None:
        return str(self.refused.message) if self.refused else None

    @property
    def status(self) -> int:
        return 400 if self.error else 200


class Check(BooleanField):
    """A checkbox sent as ``1``; anything else, or nothing, leaves it unset."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default=False, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = bool(valuelist) and valuelist[0] == "1"


def text(default: str | None = "") -> StringField:
    return StringField(default=default)


class IsoDate(StringField):
    """A date written as YYYY-MM-DD, in the words the API uses for a bad one."""

    def __init__(self, what: Any, *, required: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.what, self.required = what, required

    def value(self) -> date | None:
        parsed = metadata.parse_date(self.data, self.what)
        if parsed is None and self.required:
            raise UserError("no_date", _("Give the date."))
        return parsed


class Ids(SelectMultipleField):
    """The ids of the cases ticked on a page."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate_choice=False, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = list(valuelist)

    def ids(self) -> list[int]:
        try:
            return [int(v) for v in self.data or []]
        except ValueError:
            raise UserError("bad_case", _("There is no such case.")) from None


def roles_field() -> SelectMultipleField:
    # The service names an unknown role in its own words; the field does not judge the choices.
    return SelectMultipleField(validate_choice=False, default=[])


def file_field() -> FileField:
    return FileField()


def chosen_index(field: Field) -> str:
    """The nomenclature index of a case picker, whose options read "12-4-7 Title"."""
    return (field.data or "").split(" ")[0].strip()


def upload_of(field: FileField, missing: Any) -> documents.Upload:
    upload = field.data
    if upload is None or not getattr(upload, "filename", None):
        raise UserError("no_file", missing)
    return documents.Upload(upload.stream, upload.filename)


# --- accounts -------------------------------------------------------------------------------------

class LoginForm(Form):
    username = text()
    password = PasswordField(default="")


class PasswordForm(Form):
    current = PasswordField(default="")
    new = PasswordField(default="", validators=[EqualTo("repeat", message=_l("The two new passwords differ."))])
    repeat = PasswordField(default="")

    def validate_current(self, field: Field) -> None:
        if not accounts.verify_password(current_user, field.data):
            raise ValidationError(_("The current password is wrong."))


class NewUserForm(Form):
    username = text()
    full_name = text()
    password = PasswordField(default="")
    roles = roles_field()


class UserForm(Form):
    """An account as the administrator edits it (``obj=user`` fills it on GET)."""

    full_name = text(None)
    roles = roles_field()
    active = Check()
    password = PasswordField(default="")


class RevokeTokenForm(Form):
    token_id = text()


def organisation_form(fields: tuple[str, ...]) -> Form:
    """The organisation's details, one text field each (a field not sent keeps its value)."""
    form_class = type("OrganisationForm", (Form,), {name: text(None) for name in fields})
    return form_class()


# --- the nomenclature -----------------------------------------------------------------------------

class NewNomenclatureForm(Form):
    year = text(None)
    source = text("shipped")
    from_year = text(None)


class ImportTableForm(Form):
    table = file_field()


class ItemForm(Form):
    title_ky = text()
    title_ru = text()
    title_en = text()
    retention = text()
    note = text()
    not_to_state_archive = Check()


# --- documents ------------------------------------------------------------------------------------

# The document's fields, the details of every document type among them (the service reads those of
# the chosen type).
METADATA_FIELDS = ("doc_type", "title", "language", "doc_date", "number", "counterparty",
                   *sorted({name for group in metadata.DETAIL_FIELDS.values() for name in group}))


class MetadataForm(Form):
    def metadata(self) -> metadata.Metadata:
        return metadata.validate_metadata({name: self[name].data for name in METADATA_FIELDS})


for _name in METADATA_FIELDS:
    setattr(MetadataForm, _name, text(None))


class FilingForm(MetadataForm):
    file = file_field()
    index = text(None)
    year = text(None)
    allow_duplicate = Check()


class VersionForm(Form):
    file = file_field()
    comment = text()


class MoveForm(Form):
    index = text(None)
    year = text(None)


# --- disposition ----------------------------------------------------------------------------------

class ReasonForm(Form):
    reason = text()


class CloseYearForm(Form):
    acknowledged = Check()


class OverrideForm(ReasonForm):
    retention = text()


class KeepingForm(Form):
    is_paper = Check()
    sheets = text(None)
    carry_over = Check()


class HoldForm(ReasonForm):
    requested_by = text()


class ReleaseHoldForm(ReasonForm):
    next = text()


class DraftPaperForm(Form):
    """A destruction act or an inventory drafted over the cases ticked on the list."""

    number = text()
    case_id = Ids()
    note = text()


class DraftActForm(DraftPaperForm):
    act_date = IsoDate(_l("The date"))


class DraftInventoryForm(DraftPaperForm):
    inventory_date = IsoDate(_l("The date"))


class AgreementForm(Form):
    """The commission's protocol; on an act, also a decision per case under review."""

    protocol_number = text(None)
    protocol_date = IsoDate(_l("The date"))

    def decisions(self, act: DisposalAct) -> dict[int, Decision]:
        """The decisions on the act's cases under review, sent as ``decision-<case id>`` and
        ``years-<case id>`` (one pair per row of the page, so not fields of their own)."""
        found: dict[int, Decision] = {}
        for row in act.rows:
            raw = request.form.get(f"decision-{row.case_id}")
            if row.review and raw:
                found[row.case_id] = parse_decision(raw, request.form.get(f"years-{row.case_id}"))
        return found


class ExecuteActForm(Form):
    destroyed_on = IsoDate(_l("The date of destruction"), required=False)
    method = text(None)
