"""The audit trail is tamper-evident: editing, inserting or deleting any event, including the newest
ones, is found by ``audit verify``, which says where and exits 1."""
from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import delete, select, update

from records import audit
from records.db import session_scope
from records.models import AuditAction, AuditEvent, Setting


def _add_events(app: Flask, n: int) -> list[int]:
    ids = []
    with app.app_context(), session_scope(app) as session:
        for i in range(n):
            ids.append(audit.record(session, AuditAction.AUDIT_VERIFY, object_type="thing", object_id=i, actor="tester",
                                    ip="10.0.0.1", n=i, text="Протокол №5").id)
    return ids


def _verify(app: Flask) -> Any:
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_untouched_chain_verifies(app: Flask) -> None:
    _add_events(app, 5)
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "verified" in result.output


def test_edited_event_is_found(app: Flask, db_session: Any) -> None:
    ids = _add_events(app, 5)
    db_session.execute(update(AuditEvent).where(AuditEvent.id == ids[2]).values(actor="someone-else"))
    result = _verify(app)
    assert result.exit_code == 1
    assert f"event #{ids[2]}" in result.output and "altered" in result.output


def test_edited_detail_is_found(app: Flask, db_session: Any) -> None:
    ids = _add_events(app, 3)
    db_session.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values(detail={"n": 99}))
    result = _verify(app)
    assert result.exit_code == 1 and f"event #{ids[1]}" in result.output


def test_deleted_middle_event_is_found(app: Flask, db_session: Any) -> None:
    ids = _add_events(app, 5)
    db_session.execute(delete(AuditEvent).where(AuditEvent.id == ids[2]))
    result = _verify(app)
    assert result.exit_code == 1
    # The break shows at the event after the gap.
    assert f"event #{ids[3]}" in result.output and "broken_link" in result.output


def test_inserted_event_is_found(app: Flask, db_session: Any) -> None:
    ids = _add_events(app, 3)
    before = db_session.get(AuditEvent, ids[1])
    forged_hash = audit.event_hash(before.hash, at=before.at, actor_id=None, actor="forger", action="audit:verify",
                                   object_type=None, object_id=None, detail={}, ip=None)
    db_session.execute(update(AuditEvent).where(AuditEvent.id == ids[2]).values(id=ids[2] + 1000))
    db_session.add(AuditEvent(id=ids[2], at=before.at, actor="forger", action="audit:verify", detail={},
                              prev_hash=before.hash, hash=forged_hash))
    db_session.flush()
    result = _verify(app)
    assert result.exit_code == 1
    assert f"event #{ids[2] + 1000}" in result.output


def test_deleted_newest_events_are_found(app: Flask, db_session: Any) -> None:
    ids = _add_events(app, 5)
    # The chain that remains is whole; only the head checkpoint tells that events are gone.
    db_session.execute(delete(AuditEvent).where(AuditEvent.id >= ids[3]))
    result = _verify(app)
    assert result.exit_code == 1
    assert "truncated" in result.output and f"event #{ids[4]}" in result.output


def test_deleted_newest_events_then_new_ones_are_found(app: Flask, db_session: Any) -> None:
    ids = _add_events(app, 5)
    db_session.execute(delete(AuditEvent).where(AuditEvent.id >= ids[3]))
    _add_events(app, 1)  # the chain grows again from the shortened end
    result = _verify(app)
    assert result.exit_code == 1 and "count" in result.output


def test_removed_checkpoint_is_found(app: Flask, db_session: Any) -> None:
    _add_events(app, 2)
    db_session.execute(delete(Setting).where(Setting.key == audit.HEAD_KEY))
    result = _verify(app)
    assert result.exit_code == 1 and "no_checkpoint" in result.output


def test_checkpoint_follows_every_append(app: Flask, db_session: Any) -> None:
    ids = _add_events(app, 3)
    head = db_session.get(Setting, audit.HEAD_KEY)
    last = db_session.get(AuditEvent, ids[-1])
    total = len(db_session.scalars(select(AuditEvent.id)).all())
    assert head.value == {"id": last.id, "hash": last.hash, "count": total, "keyed": True}
    # ...and the data folder's checkpoint file names the same event.
    assert app.extensions["sandyk.audit"].newest() == {"id": last.id, "hash": last.hash, "count": total}


def test_a_session_that_outlives_its_commit_still_links_to_the_newest_event(app: Flask) -> None:
    with app.app_context(), session_scope(app) as long_lived:
        audit.record(long_lived, AuditAction.AUDIT_VERIFY, actor="tester", n=1)
        held = long_lived.get(Setting, audit.HEAD_KEY)
        long_lived.commit()  # the session goes on, still holding the checkpoint row it loaded
        _add_events(app, 2)  # meanwhile others append
        newest = audit.record(long_lived, AuditAction.AUDIT_VERIFY, actor="tester", n=2)
        assert held.value["id"] == newest.id
    result = _verify(app)
    assert result.exit_code == 0, result.output


def test_export_writes_matching_events_as_csv(app: Flask, tmp_path: Any) -> None:
    _add_events(app, 3)
    out = tmp_path / "audit.csv"
    result = app.test_cli_runner().invoke(args=["audit", "export", "--action", "audit:verify", "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").lstrip("\ufeff").splitlines()
    assert lines[0].startswith("id,at,actor")
    assert len(lines) == 4 and all("audit:verify" in line for line in lines[1:])
    assert "Протокол №5" in lines[1]


def test_an_action_the_trail_does_not_know_is_refused_before_anything_is_written(app: Flask) -> None:
    import pytest

    with app.app_context(), session_scope(app) as session:
        before = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
        with pytest.raises(ValueError):
            audit.record(session, "document:viewed", actor="tester")  # type: ignore[arg-type]
        assert session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) == before


def test_the_event_says_who_and_from_where_as_the_caller_gave_them(app: Flask) -> None:
    """Nothing is taken from the request: the address is the one passed, else the one the request's
    session was opened for; the actor is the one passed, even inside a request of someone else."""
    from records import db

    with app.test_request_context("/", method="POST", environ_base={"REMOTE_ADDR": "192.0.2.7"}):
        session = db.session()
        assert session.info[db.CLIENT_IP] == "192.0.2.7"
        from_request = audit.record(session, AuditAction.AUDIT_VERIFY, actor="tester", n=1)
        given = audit.record(session, AuditAction.AUDIT_VERIFY, actor="other", ip="198.51.100.1", n=2)
        session.commit()
        assert from_request is not None and given is not None
        assert (from_request.actor, from_request.ip) == ("tester", "192.0.2.7")
        assert (given.actor, given.ip) == ("other", "198.51.100.1")
    with app.app_context(), session_scope(app) as session:
        outside = audit.record(session, AuditAction.AUDIT_VERIFY, actor=None, n=3)
        assert outside is not None and (outside.actor, outside.ip) == ("", None)


def test_events_of_reads_written_together_are_appended_in_one_insert_under_one_lock(app: Flask) -> None:
    """The group commit of reads' writes links its events in the order the reads finished, reading the
    chain's head and taking its lock once, with one INSERT for all of them."""
    from sqlalchemy import event as sa_event

    from records import db

    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = db.get_database(app).engine
    before = _add_events(app, 1)[0]
    sa_event.listen(engine, "before_cursor_execute", seen)
    try:
        with app.test_request_context("/", method="GET"):
            session = db.session()
            for n in range(3):
                assert audit.record(session, AuditAction.AUDIT_VERIFY, actor="reader", n=n) is None
            session.commit()
            db.write_after_work(app)
    finally:
        sa_event.remove(engine, "before_cursor_execute", seen)
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO AUDIT_EVENT")]
    reads_of_head = [s for s in statements if "FROM setting" in s]
    assert len(reads_of_head) == 1
    if engine.dialect.name == "postgresql":  # SQLite inserts them one by one (no ordered RETURNING of many)
        assert len(inserts) == 1 and not any("pg_advisory_xact_lock" in s for s in statements)
        assert "FOR UPDATE" in reads_of_head[0]  # the checkpoint row is the lock
    with app.app_context(), session_scope(app) as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.id > before).order_by(AuditEvent.id)).all()
        assert [event.detail["n"] for event in events] == [0, 1, 2]
        assert events[0].prev_hash == session.get(AuditEvent, before).hash
        assert [event.prev_hash for event in events[1:]] == [event.hash for event in events[:-1]]
        head = session.get(Setting, audit.HEAD_KEY).value
        assert head["id"] == events[-1].id and head["hash"] == events[-1].hash
    assert app.extensions["sandyk.audit"].newest()["id"] == events[-1].id
    result = _verify(app)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("checkpoint", ["kept", "removed"])
def test_writers_appending_at_once_keep_one_chain(app: Flask, db_session: Any, checkpoint: str) -> None:
    """Writers in parallel transactions take turns on the chain: with its checkpoint row (the lock), and
    without one (a new chain, or a removed checkpoint), where they take turns on another lock until
    the first of them writes the row again."""
    import threading

    _add_events(app, 1)
    if checkpoint == "removed":
        db_session.execute(delete(Setting).where(Setting.key == audit.HEAD_KEY))
        db_session.commit()
    start = threading.Barrier(6)
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait(20)
            for i in range(5):
                with app.app_context(), session_scope(app) as session:
                    audit.record(session, AuditAction.AUDIT_VERIFY, actor=f"writer-{n}", n=i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures
    with app.app_context(), session_scope(app) as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert len([e for e in events if e.actor.startswith("writer-")]) == 30
        assert [event.prev_hash for event in events[1:]] == [event.hash for event in events[:-1]]
        problems = list(audit.verify_chain(session))
    if checkpoint == "kept":
        assert problems == []
    else:  # the links hold; the new checkpoint counts from where the removed one was lost, as reported
        assert {problem.problem for problem in problems} <= {"count", "file_count"}
