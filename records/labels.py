"""What every state, kind and role is called for people, in the reader's language.

The one place for the translated label of an enum: pages, exports and messages all read it here, and
:func:`register` gives the templates the same functions (and the enums themselves, so that templates
compare states by their enum, not by hand-written strings). The stored values never change; only the
wording here does.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from flask import Flask

from records.i18n import _, _l
from records.models import (
    ActStatus,
    CaseState,
    DestructionMethod,
    DocType,
    DocumentState,
    InventoryStatus,
    JobState,
    NomenclatureStatus,
    ReviewDecision,
    TextStatus,
)
from records.permissions import Paper, Role

ROLE_LABELS: Mapping[Role, Any] = {
    Role.ADMIN: _l("Administrator"),
    Role.SECRETARY: _l("Secretary"),
    Role.AUDITOR: _l("Auditor"),
    Role.ARCHIVIST: _l("Records officer"),
    Role.HEAD: _l("Head of department"),
    Role.COMMISSION: _l("Expert commission member"),
    Role.APPROVER: _l("Head of the organisation (approver)"),
}

PAPER_LABELS: Mapping[Paper, Any] = {
    Paper.NOMENCLATURE: _l("the nomenclature"),
    Paper.DISPOSAL: _l("destruction acts and inventories"),
}

DOC_TYPE_LABELS: Mapping[DocType, Any] = {
    DocType.PROTOCOL: _l("Protocol (minutes)"),
    DocType.ORDER: _l("Order"),
    DocType.CONTRACT: _l("Practice contract"),
    DocType.SAC: _l("SAC document"),
    DocType.REPORT: _l("Report"),
    DocType.OTHER: _l("Other"),
}

CASE_STATE_LABELS: Mapping[CaseState, Any] = {
    CaseState.OPEN: _l("open"),
    CaseState.CLOSED: _l("closed"),
    CaseState.TRANSFERRED: _l("transferred to the archive"),
    CaseState.DESTROYED: _l("destroyed"),
}

# A destroyed document's text went with it: the page shows that instead of the text's own state.
TEXT_GONE = DocumentState.DESTROYED.value

TEXT_STATUS_LABELS: Mapping[str, Any] = {
    TextStatus.DONE: _l("extracted, searchable"),
    TextStatus.PENDING: _l("being read (OCR)…"),
    TextStatus.FAILED: _l("could not be read"),
    TextStatus.NONE: _l("no text found (blank or picture only)"),
    TEXT_GONE: _l("destroyed with the document"),
}

ACT_STATUS_LABELS: Mapping[ActStatus, Any] = {
    ActStatus.DRAFT: _l("draft, awaiting the expert commission"),
    ActStatus.AGREED: _l("agreed by the expert commission, awaiting approval"),
    ActStatus.APPROVED: _l("approved"),
    ActStatus.EXECUTING: _l("execution interrupted"),
    ActStatus.EXECUTED: _l("executed"),
    ActStatus.REJECTED: _l("rejected"),
}

INVENTORY_STATUS_LABELS: Mapping[InventoryStatus, Any] = {
    InventoryStatus.DRAFT: _l("draft, awaiting the expert commission"),
    InventoryStatus.AGREED: _l("agreed by the expert commission, awaiting approval"),
    InventoryStatus.APPROVED: _l("approved, cases not yet handed over"),
    InventoryStatus.TRANSFERRED: _l("cases handed to the archive"),
    InventoryStatus.REJECTED: _l("rejected"),
}

METHOD_LABELS: Mapping[DestructionMethod, Any] = {
    DestructionMethod.SHREDDING: _l("shredded"),
    DestructionMethod.RECYCLING: _l("handed over for recycling"),
    DestructionMethod.DELETED: _l("electronic files deleted"),
}

# A job whose worker stopped writing progress is shown as stalled (see ``jobs.is_stale``).
JOB_STALLED = "stalled"

JOB_STATE_LABELS: Mapping[str, Any] = {
    JobState.RUNNING: _l("running"),
    JobState.DONE: _l("finished"),
    JobState.INTERRUPTED: _l("interrupted"),
    JOB_STALLED: _l("stopped without finishing"),
}

JOB_KIND_LABELS: Mapping[str, Any] = {
    "import": _l("Import of an archive"),
    "text": _l("Reading the text of scans"),
    "reindex": _l("Rebuilding the search index"),
    "act": _l("Execution of a destruction act"),
}

JOB_OUTCOME_LABELS: Mapping[str, Any] = {
    "filed": _l("filed"),
    "already_filed": _l("already filed"),
    "refused": _l("refused"),
    "done": _l("text read"),
    "none": _l("no text found"),
    "failed": _l("text could not be read"),
    "pending": _l("to be tried again"),
    "dropped": _l("destroyed meanwhile"),
    "documents": _l("documents destroyed"),
    "files_deleted": _l("files deleted"),
    "files_kept_shared": _l("files kept (a kept document holds them)"),
}

SAC_KIND_LABELS: Mapping[str, Any] = {
    "order": _l("order"),
    "application": _l("application"),
    "notice": _l("notice"),
    "report": _l("report"),
}

DETAIL_LABELS: Mapping[str, Any] = {
    "agenda": _l("Agenda (one line)"),
    "subject": _l("Subject of the order"),
    "valid_from": _l("Valid from"),
    "valid_to": _l("Valid to"),
    "student_group": _l("Student group"),
    "sac_kind": _l("SAC document kind"),
    "programme": _l("Programme"),
    "sac_year": _l("Year of the SAC"),
    "period": _l("Reporting period"),
}


def _lookup(labels: Mapping[Any, Any], value: str | None, fallback: str | None = None) -> str:
    label = labels.get(value or "")
    if label is not None:
        return str(label)
    return fallback if fallback is not None else str(value or "")


def doc_type_labels() -> dict[str, str]:
    return {kind: str(label) for kind, label in DOC_TYPE_LABELS.items()}


def sac_kind_labels() -> dict[str, str]:
    return {kind: str(label) for kind, label in SAC_KIND_LABELS.items()}


def detail_label(key: str) -> str:
    return _lookup(DETAIL_LABELS, key)


def text_status_label(status: str) -> str:
    return _lookup(TEXT_STATUS_LABELS, status)


def case_state_label(state: str) -> str:
    return _lookup(CASE_STATE_LABELS, state)


def act_status_label(status: str) -> str:
    return _lookup(ACT_STATUS_LABELS, status)


def inventory_status_label(status: str) -> str:
    return _lookup(INVENTORY_STATUS_LABELS, status)


def method_label(method: str | None) -> str:
    return _lookup(METHOD_LABELS, method, "")


def decision_label(decision: str | None, years: int | None = None) -> str:
    if decision == ReviewDecision.DESTROY:
        return _("destroy")
    if decision == ReviewDecision.EXTEND:
        return _("keep %(n)s more year(s)", n=years or 0)
    if decision == ReviewDecision.PERMANENT:
        return _("make permanent")
    return ""


def job_state_label(state: str) -> str:
    return _lookup(JOB_STATE_LABELS, state)


def job_kind_label(kind: str) -> str:
    return _lookup(JOB_KIND_LABELS, kind)


def job_outcome_label(outcome: str) -> str:
    return _lookup(JOB_OUTCOME_LABELS, outcome)


def role_label(role: str) -> str:
    return _lookup(ROLE_LABELS, role)


_ENUMS: tuple[type[StrEnum], ...] = (
    ActStatus, CaseState, DestructionMethod, DocType, DocumentState, InventoryStatus, JobState, NomenclatureStatus,
    ReviewDecision, TextStatus,
)


def register(app: Flask) -> None:
    """Give every template the label functions, the audit wording and the state enums, once for the app."""
    from records import audit_words

    functions: dict[str, Callable[..., Any]] = {
        fn.__name__: fn
        for fn in (doc_type_labels, sac_kind_labels, detail_label, text_status_label, case_state_label,
                   act_status_label, inventory_status_label, method_label, decision_label, job_state_label,
                   job_kind_label, job_outcome_label, role_label, audit_words.action_label, audit_words.area_label)
    }
    app.jinja_env.globals.update(functions)
    app.jinja_env.globals.update({enum.__name__: enum for enum in _ENUMS})
    app.jinja_env.globals["role_labels"] = ROLE_LABELS
