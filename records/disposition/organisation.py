"""The organisation's details printed on the yearly forms: its name, the fond number, the approver's
position and name, the expert commission's chair.

Kept in the ``setting`` table under one key and edited by the administrator on the settings page (or
``flask settings organisation``), so that a change of rector needs no restart. Nothing here needs Flask.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlalchemy.orm import Session

from records import audit
from records.db import utcnow
from records.errors import UserError
from records.i18n import _l
from records.models import AuditAction, Setting, User

KEY = "organisation"
MAX_LENGTH = 300


@dataclass(frozen=True)
class Organisation:
    """What the forms print in their header and signature blocks; empty fields print as blank lines."""

    name: str = ""  # the university, e.g. "Кыргызский горно-металлургический институт"
    department: str = ""  # the structural unit whose papers these are
    fond_number: str = ""  # the archival fond (фонд №)
    approver_position: str = ""  # "Ректор", "Проректор по учебной работе"
    approver_name: str = ""  # "А. А. Асанов"
    commission_chair: str = ""  # the chair of the expert commission (ЭК)

    def to_json(self) -> dict[str, str]:
        return asdict(self)


FIELDS = tuple(f.name for f in fields(Organisation))

LABELS = {
    "name": _l("Organisation"),
    "department": _l("Department"),
    "fond_number": _l("Fond number"),
    "approver_position": _l("Approver's position"),
    "approver_name": _l("Approver's name"),
    "commission_chair": _l("Chair of the expert commission"),
}


def details(session: Session) -> Organisation:
    row = session.get(Setting, KEY)
    stored: dict[str, Any] = row.value if row is not None and isinstance(row.value, dict) else {}
    return Organisation(**{name: str(stored.get(name) or "") for name in FIELDS})


def save(session: Session, values: dict[str, Any], *, actor: User | str | None) -> Organisation:
    """Replace the details with ``values`` (fields not given keep their value); audited."""
    before = details(session)
    cleaned = before.to_json()
    for name in FIELDS:
        if name in values and values[name] is not None:
            text = " ".join(str(values[name]).split())
            if len(text) > MAX_LENGTH:
                raise UserError("too_long", _l("%(field)s: at most %(n)s characters.", field=LABELS[name],
                                               n=MAX_LENGTH))
            cleaned[name] = text
    after = Organisation(**cleaned)
    if after == before:
        return after
    row = session.get(Setting, KEY)
    updated_by = actor.id if isinstance(actor, User) else None
    if row is None:
        session.add(Setting(key=KEY, value=after.to_json(), updated_at=utcnow(), updated_by_id=updated_by))
    else:
        row.value, row.updated_at, row.updated_by_id = after.to_json(), utcnow(), updated_by
    changes = {k: [v, cleaned[k]] for k, v in before.to_json().items() if v != cleaned[k]}
    audit.record(session, AuditAction.SETTINGS_ORGANISATION, object_type="setting", object_id=KEY, actor=actor,
                 changes=changes)
    return after
