"""Two transactions filing at once into a year with no nomenclature, or into a case with no volume yet,
both end up in the same nomenclature and the same case: the one that finds the row added by the other
meanwhile takes it instead of failing on the unique key."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from records import cases, nomenclature
from records.db import get_database, session_scope
from records.models import AuditEvent, Case, Nomenclature

YEAR = 2023


def _meanwhile(monkeypatch: pytest.MonkeyPatch, module: Any, name: str, other: Callable[[], None]) -> None:
    """Run ``other`` (another transaction, committed) right after ``module.name`` first finds nothing:
    between the check and the insert of the transaction under test."""
    real = getattr(module, name)
    done = []

    def checked(*args: Any, **kwargs: Any) -> Any:
        found = real(*args, **kwargs)
        if found is None and not done:
            done.append(True)
            other()
        return found

    monkeypatch.setattr(module, name, checked)


def _count(app: Flask, what: Any, *where: Any) -> int:
    with session_scope(app) as session:
        return session.scalar(select(func.count()).select_from(what).where(*where)) or 0


def _audited(app: Flask, action: str) -> int:
    """Events of ``action`` about the year (the app begins with the current year's nomenclature)."""
    with session_scope(app) as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        return sum(1 for event in events if event.detail.get("year") == YEAR)


def test_a_year_drafted_meanwhile_is_filed_into(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def other() -> None:
        with session_scope(app) as session:
            cases.case_for_filing(session, YEAR, "12-4-7", actor=None)

    with app.app_context():
        _meanwhile(monkeypatch, nomenclature, "get", other)
        with get_database(app).reads_first_sessionmaker() as session:  # as a request's session is
            case = cases.case_for_filing(session, YEAR, "12-4-7", actor=None)
            session.commit()
            case_id, nom_id = case.id, case.item.nomenclature_id
        assert _count(app, Nomenclature, Nomenclature.year == YEAR) == 1
        assert _count(app, Case) == 1
        with session_scope(app) as session:
            assert nomenclature.require(session, YEAR).id == nom_id
            assert session.scalar(select(Case.id)) == case_id
        assert _audited(app, "nomenclature:create") == _audited(app, "case:open") == 1


def test_a_case_opened_meanwhile_is_filed_into(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        with session_scope(app) as session:
            nomenclature.ensure_shipped(session, YEAR)

        def other() -> None:
            with session_scope(app) as session:
                cases.open_case(session, cases.find_item(session, YEAR, "12-4-7"), actor=None)

        _meanwhile(monkeypatch, cases, "current_volume", other)
        with get_database(app).reads_first_sessionmaker() as session:
            item = cases.find_item(session, YEAR, "12-4-7")
            case = cases.open_case(session, item, actor=None)
            assert case.volume == 1
            session.commit()
        assert _count(app, Case) == 1
        assert _audited(app, "case:open") == 1


def test_an_officer_drafting_a_year_drafted_meanwhile_is_told(app: Flask) -> None:
    from records.errors import Conflict

    with app.app_context():
        with get_database(app).reads_first_sessionmaker() as session:
            assert nomenclature.get(session, YEAR) is None
            with session_scope(app) as other:
                nomenclature.ensure_shipped(other, YEAR)
            with pytest.raises(Conflict):
                nomenclature.create(session, YEAR, nomenclature.shipped_rows(), actor=None)
            session.rollback()
        assert _count(app, Nomenclature, Nomenclature.year == YEAR) == 1
