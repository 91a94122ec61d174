"""Command-line contracts: content check/load, users create, demo, migrations on an empty database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, inspect, select

from app.accounts.models import CohortMember, User
from app.extensions import db
from tests.conftest import TEST_CONTENT

ROOT = Path(__file__).resolve().parents[1]


def test_content_check_ok(runner):
    result = runner.invoke(args=["content", "check", "--dir", str(TEST_CONTENT)])
    assert result.exit_code == 0, result.output
    assert "OK: 1 courses, 2 modules, 2 quizzes, 1 role-play cards, 1 rubrics" in result.output


def test_content_check_lists_every_problem_and_load_loads_nothing(runner, tmp_path):
    root = tmp_path / "broken"
    shutil.copytree(TEST_CONTENT, root)
    course = root / "courses/demo-course/course.md"
    course.write_text(course.read_text(encoding="utf-8").replace("order: 1", "order: one"), encoding="utf-8")
    quiz = root / "quizzes/demo-check.yaml"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace("answer: [A]\n", "answer: [Q]\n"), encoding="utf-8")
    result = runner.invoke(args=["content", "check", "--dir", str(root)])
    assert result.exit_code == 1
    assert "courses/demo-course/course.md:4: order: must be an integer" in result.output
    assert "quizzes/demo-check.yaml" in result.output and "'Q' is not one of the options" in result.output
    # Rename the course title too: a failed load must not change the database.
    course.write_text(course.read_text(encoding="utf-8").replace("测试课程", "改过的标题"), encoding="utf-8")
    result = runner.invoke(args=["content", "load", "--dir", str(root)])
    assert result.exit_code != 0 and "nothing was loaded" in result.output
    from tests.factories import course as get_course

    assert get_course().title == "测试课程"


def test_content_load_is_idempotent(runner):
    first = runner.invoke(args=["content", "load", "--dir", str(TEST_CONTENT)])
    assert first.exit_code == 0 and "0 created, 0 updated, 0 archived" in first.output


def test_users_create_reads_password_from_stdin(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "wangwu",
            "--role",
            "instructor",
            "--name",
            "王五",
            "--department",
            "培训部",
            "--cohort",
            "二期班",
        ],
        input="sturdy-pass-31\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "wangwu"))
    assert user.check_password("sturdy-pass-31") and user.department.name == "培训部"
    member = db.session.scalar(select(CohortMember).where(CohortMember.user_id == user.id))
    assert member.role == "instructor" and member.cohort.name == "二期班"
    again = runner.invoke(args=["users", "create", "wangwu", "--role", "trainee"], input="sturdy-pass-31\n")
    assert again.exit_code != 0 and "已存在" in again.output
    weak = runner.invoke(args=["users", "create", "weak", "--role", "trainee"], input="123\n")
    assert weak.exit_code != 0 and db.session.scalar(select(User).where(User.username == "weak")) is None


def _run_flask(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_migrations_build_the_schema_on_an_empty_database_and_match_the_models(empty_database):
    env = {"APP_ENV": "development", "DATABASE_URL": empty_database, "CONTENT_DIR": str(TEST_CONTENT)}
    result = _run_flask(["db", "upgrade"], env)
    assert result.returncode == 0, result.stderr
    engine = create_engine(empty_database)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(db.metadata.tables) <= tables
    check = _run_flask(["db", "check"], env)
    assert check.returncode == 0, check.stdout + check.stderr


def test_demo_is_idempotent_and_prints_logins(empty_database):
    env = {
        "APP_ENV": "development",
        "DATABASE_URL": empty_database,
        "CONTENT_DIR": str(TEST_CONTENT),
        "PORT": "",
        "HOST": "",
        "FLASK_RUN_PORT": "",
        "FLASK_RUN_HOST": "",
    }
    first = _run_flask(["demo"], env)
    assert first.returncode == 0, first.stderr
    assert "trainee5" in first.stdout and "learn-pass-2024" in first.stdout
    assert "http://127.0.0.1:5000" in first.stdout
    second = _run_flask(["demo"], {**env, "PORT": "8123", "HOST": "0.0.0.0"})  # noqa: S104  (as scripts/start.sh passes them)
    assert second.returncode == 0, second.stderr
    assert "0 created, 0 updated, 0 archived" in second.stdout
    assert "--host 0.0.0.0 --port 8123" in second.stdout and "http://127.0.0.1:8123" in second.stdout
