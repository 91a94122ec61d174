"""Stored enrolments: after every kind of change the rows equal what the assignment rules give."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import create_engine, event, select, text

from app.accounts import services as accounts
from app.accounts.models import CohortMember
from app.extensions import db
from app.learning import enrolments
from app.learning import services as learning
from app.learning.models import Enrolment
from tests import factories
from tests.test_cli import TEST_CONTENT, _run_flask

SOON, LATER = date.today() + timedelta(days=7), date.today() + timedelta(days=30)


def stored() -> set[tuple[int, int, date | None]]:
    """The stored rows, fresh from the database."""
    db.session.expire_all()
    return {(r.user_id, r.course_id, r.due_date) for r in db.session.scalars(select(Enrolment))}


def rules() -> set[tuple[int, int, date | None]]:
    """What the assignment rules give for everyone right now."""
    return {tuple(row) for row in db.session.execute(enrolments.resolved())}


def test_rows_follow_assignments_memberships_departments_and_archiving(app, make_user):
    course = factories.course()
    ann = make_user("ann", cohort="c1", department="门店销售部")
    bob = make_user("bob", department="门店销售部")
    cat = make_user("cat")
    assert stored() == set()

    cohort = factories.assign(cohort="c1", due_date=LATER)  # cohort assignment: its trainees
    assert stored() == rules() == {(ann.id, course.id, LATER)}

    dept = accounts.get_or_create_department("门店销售部")
    learning.assign_course(course, department=dept, due_date=SOON)  # department: everyone in it, earliest due date
    assert stored() == rules() == {(ann.id, course.id, SOON), (bob.id, course.id, SOON)}

    accounts.add_member(accounts.get_or_create_cohort("c1"), cat, "trainee")  # joins the cohort later
    assert (cat.id, course.id, LATER) in stored()

    dan = make_user("dan", department="门店销售部")  # a new person in the department
    assert (dan.id, course.id, SOON) in stored()

    bob.department_id = None  # moves out of the department
    db.session.commit()
    assert all(row[0] != bob.id for row in stored())

    learning.assign_course(course, cohort=accounts.get_or_create_cohort("c1"), due_date=SOON - timedelta(days=1))
    assert (cat.id, course.id, SOON - timedelta(days=1)) in stored()  # a new due date on the same assignment

    member = db.session.scalar(select(CohortMember).where(CohortMember.user_id == cat.id))
    accounts.remove_member(member)
    assert all(row[0] != cat.id for row in stored())

    learning.unassign(cohort)
    assert stored() == rules()

    course.archived = True  # archived courses enrol nobody
    db.session.commit()
    assert stored() == rules() == set()
    course.archived = False
    db.session.commit()
    assert stored() == rules() != set()


def test_rows_change_at_commit_and_a_rollback_leaves_them(app, make_user):
    ann = make_user("ann", cohort="c1")
    factories.assign(cohort="c1")
    before = stored()
    assert before == {(ann.id, factories.course().id, None)}
    member = db.session.scalar(select(CohortMember).where(CohortMember.user_id == ann.id))
    db.session.delete(member)
    db.session.flush()
    assert db.session.scalar(select(Enrolment).where(Enrolment.user_id == ann.id)) is not None  # not before commit
    db.session.rollback()
    assert stored() == before
    member = db.session.scalar(select(CohortMember).where(CohortMember.user_id == ann.id))
    db.session.delete(member)
    db.session.commit()
    assert stored() == rules() == set()


def test_many_flushes_in_one_transaction_rebuild_once(app, make_user):
    factories.assign(cohort="c1")
    cohort = accounts.get_or_create_cohort("c1")
    people = [make_user(f"p{n}") for n in range(5)]
    touching: list[str] = []

    def note(conn, cursor, statement, *args):
        if "enrolments" in statement and not statement.lstrip().upper().startswith("SELECT"):
            touching.append(statement.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        for person in people:
            accounts.add_member(cohort, person, "trainee", commit=False)
            db.session.flush()
        assert touching == []  # nothing rebuilt at each flush
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert touching == ["DELETE", "INSERT"]  # one rebuild for the five people, at commit
    assert stored() == rules() and len(stored()) == 5


def test_refresh_rebuilds_some_people_or_everyone(app, make_user):
    ann, bob = make_user("ann", cohort="c1"), make_user("bob", cohort="c1")
    factories.assign(cohort="c1")
    db.session.execute(Enrolment.__table__.delete())
    db.session.commit()
    enrolments.refresh(db.session, [ann.id])
    db.session.commit()
    assert {row[0] for row in stored()} == {ann.id}
    enrolments.refresh(db.session)
    db.session.commit()
    assert stored() == rules() and {row[0] for row in stored()} == {ann.id, bob.id}


def test_the_migration_fills_the_table_from_existing_assignments(empty_database):
    env = {"APP_ENV": "development", "DATABASE_URL": empty_database, "CONTENT_DIR": str(TEST_CONTENT)}
    first = _run_flask(["db", "upgrade", "caa0a0e705eb"], env)
    assert first.returncode == 0, first.stderr
    engine = create_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO departments (id, name, created_at) VALUES (1, '门店', CURRENT_TIMESTAMP)"))
        for uid, dept in ((1, 1), (2, None), (3, None)):
            conn.execute(
                text(
                    "INSERT INTO users (id, username, name, password_hash, active, session_version, department_id, created_at)"
                    " VALUES (:id, :u, :u, 'x', :yes, 1, :d, CURRENT_TIMESTAMP)"
                ),
                {"id": uid, "u": f"u{uid}", "yes": True, "d": dept},
            )
        for cid, archived in ((1, False), (2, True)):
            conn.execute(
                text(
                    "INSERT INTO courses (id, slug, title, summary, audience, position, intro_html, completion, archived, updated_at)"
                    " VALUES (:id, :s, :s, '', '', :id, '', '{}', :a, CURRENT_TIMESTAMP)"
                ),
                {"id": cid, "s": f"c{cid}", "a": archived},
            )
        conn.execute(text("INSERT INTO cohorts (id, name, created_at) VALUES (1, 'k', CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO cohort_members (id, cohort_id, user_id, role) VALUES (1, 1, 2, 'trainee')"))
        for aid, course, cohort, dept, user, due in (
            (1, 1, None, 1, None, "2026-12-31"),
            (2, 1, 1, None, None, "2026-12-01"),
            (3, 1, None, None, 2, "2026-11-30"),
            (4, 2, None, None, 3, None),
        ):
            conn.execute(
                text(
                    "INSERT INTO assignments (id, course_id, cohort_id, department_id, user_id, due_date, created_at)"
                    " VALUES (:id, :c, :k, :d, :u, :due, CURRENT_TIMESTAMP)"
                ),
                {"id": aid, "c": course, "k": cohort, "d": dept, "u": user, "due": due},
            )
    second = _run_flask(["db", "upgrade"], env)
    assert second.returncode == 0, second.stderr
    with engine.connect() as conn:
        rows = {
            tuple(map(str, row)) for row in conn.execute(text("SELECT user_id, course_id, due_date FROM enrolments"))
        }
    engine.dispose()
    assert rows == {
        ("1", "1", "2026-12-31"),
        ("2", "1", "2026-11-30"),
    }  # earliest date; archived course 2 enrols nobody


def test_the_command_rebuilds_rows_written_around_the_unit_of_work(app, runner, make_user):
    ann = make_user("ann", cohort="c1")
    factories.assign(cohort="c1")
    db.session.execute(Enrolment.__table__.delete())  # as if someone had edited the tables by hand
    db.session.commit()
    result = runner.invoke(args=["completion", "enrolments"])
    assert result.exit_code == 0, result.output
    assert "1 row(s)" in result.output
    assert stored() == rules() == {(ann.id, factories.course().id, None)}


def test_two_transactions_changing_one_persons_enrolments_both_commit(empty_database, tmp_path):
    """The second rebuild waits for the first and replaces its rows instead of colliding with them."""
    import threading
    import time

    from app import create_app
    from app.accounts.models import User
    from tests.conftest import TEST_CONTENT as CONTENT
    from tests.conftest import make_config

    app = create_app(make_config(SQLALCHEMY_DATABASE_URI=empty_database, UPLOAD_DIR=str(tmp_path)))
    soon, later = date.today() + timedelta(days=3), date.today() + timedelta(days=9)
    with app.app_context():
        db.create_all()
        factories.load_content(CONTENT)
        user_id = factories.make_user("both", cohort="c1").id
        factories.assign(cohort="c1", due_date=later)  # the person already has a row
        db.session.remove()
    outcome: list[str] = []

    def second() -> None:
        with app.app_context():
            try:
                learning.assign_course(factories.course(), user=db.session.get(User, user_id), due_date=soon)
                outcome.append("ok")
            except Exception as error:  # noqa: BLE001  (the failure is what the test reports)
                outcome.append(f"{type(error).__name__}: {error}"[:300])
            finally:
                db.session.remove()

    with app.app_context():
        c2 = accounts.get_or_create_cohort("c2")
        learning.assign_course(factories.course(), cohort=c2, due_date=later, commit=False)
        db.session.add(CohortMember(cohort_id=c2.id, user_id=user_id, role="trainee"))
        db.session.flush()
        enrolments.refresh(db.session, [user_id])  # the first transaction has rebuilt, not yet committed
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(1.0)  # the second transaction reaches its rebuild (or its first write) and waits
        db.session.commit()
        thread.join(timeout=30)
        assert outcome == ["ok"]
        assert stored() == rules() == {(user_id, factories.course().id, soon)}
        db.session.remove()
        db.engine.dispose()
