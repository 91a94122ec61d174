"""The room rules hold, and the checks that guard them catch a violation.

The rules (docs/architecture.md) are import-linter contracts in pyproject.toml plus
scripts/check_reports_writes.py for the one rule imports cannot show: reports only read.
The second half copies ``app`` to a temporary folder, breaks each rule on purpose, and checks that
the tools fail and name the offending import or call — so a contract that silently stopped
matching anything would be noticed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on the ``app`` package under ``root`` with ``root``'s pyproject.toml."""
    command = [str(BIN / "lint-imports"), str(root / "pyproject.toml"), "--no-cache", "--no-logo"]
    env = {**os.environ, "PYTHONPATH": str(root)}  # import-linter finds the root package on sys.path
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False, timeout=120)


def flat(result: subprocess.CompletedProcess[str]) -> str:
    """The output on one line (import-linter wraps long lines)."""
    return " ".join((result.stdout + result.stderr).split())


def check_writes(root: Path) -> subprocess.CompletedProcess[str]:
    """Run the reports write check on ``root``."""
    command = [sys.executable, str(ROOT / "scripts" / "check_reports_writes.py"), str(root)]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)


# --- the real tree ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_tree_report() -> subprocess.CompletedProcess[str]:
    return lint_imports(ROOT)


@pytest.mark.parametrize("contract", CONTRACTS, ids=[c["id"] for c in CONTRACTS])
def test_contract_is_kept(real_tree_report, contract):
    assert f"{contract['name']} KEPT" in flat(real_tree_report), real_tree_report.stdout + real_tree_report.stderr


def test_all_contracts_kept(real_tree_report):
    assert real_tree_report.returncode == 0, real_tree_report.stdout + real_tree_report.stderr


def test_reports_do_not_write():
    result = check_writes(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_contract_is_documented():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [c["id"] for c in CONTRACTS if f"`{c['id']}`" not in doc]
    assert not missing, f"docs/architecture.md does not explain the contracts {missing}"


# --- deliberate violations on a copy -------------------------------------------------------------

VIOLATIONS = {
    # file in the copy: (source, contract id, the import the report must name)
    "app/core/_upward.py": (
        "from app.completion import services  # core imports a room above it\n",
        "rooms-layers",
        "app.core._upward -> app.completion.services",
    ),
    "app/roleplay/_sideways.py": (
        "from app.assessments import services  # a feature room uses another's services\n",
        "feature-rooms",
        "app.roleplay._sideways -> app.assessments.services",
    ),
    "app/reports/_service.py": (
        "from app.learning import services  # reports call a service\n",
        "reports-read-only",
        "app.reports._service -> app.learning.services",
    ),
    "app/notifications/_api.py": (
        "from app.api import auth  # a room imports the API\n",
        "api-on-top",
        "app.notifications._api -> app.api.auth",
    ),
    "app/content/_routes.py": (
        "from app.roleplay import routes  # content goes through a feature room's routes\n",
        "content-uses-models",
        "app.content._routes -> app.roleplay.routes",
    ),
    "app/completion/_service.py": (
        "from app.learning import services  # completion calls a feature room's service\n",
        "completion-listens",
        "app.completion._service -> app.learning.services",
    ),
    "app/learning/_root.py": (
        "from app import cli  # a room imports a composition root\n",
        "composition-roots",
        "app.learning._root -> app.cli",
    ),
}


@pytest.fixture(scope="module")
def broken_copy(tmp_path_factory) -> Path:
    """A copy of the Python part of ``app`` with one violation of each rule."""
    root = tmp_path_factory.mktemp("architecture")
    shutil.copytree(
        ROOT / "app",
        root / "app",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "translations"),
    )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    for package in ("reports", "notifications"):  # until every room is a regular package
        (root / "app" / package).mkdir(exist_ok=True)
        (root / "app" / package / "__init__.py").touch()
    for relative, (source, _, _) in VIOLATIONS.items():
        (root / relative).write_text(source, encoding="utf-8")
    with (root / "app" / "content" / "loader" / "__init__.py").open("a", encoding="utf-8") as handle:
        handle.write("\nimport flask  # noqa: E402  (the loader must work without Flask)\n")
    # ... nor may any module of the loader package, nor anything it imports (the question-type registry)
    with (root / "app" / "content" / "loader" / "quizzes.py").open("a", encoding="utf-8") as handle:
        handle.write("\nimport sqlalchemy  # noqa: E402\n")
    with (root / "app" / "assessments" / "question_types.py").open("a", encoding="utf-8") as handle:
        handle.write("\nfrom app.extensions import db  # noqa: E402\n")
    (root / "app" / "reports" / "_write.py").write_text(
        "from app.extensions import db\n\n\ndef touch():\n    db.session.commit()\n", encoding="utf-8"
    )
    return root


@pytest.fixture(scope="module")
def broken_report(broken_copy) -> subprocess.CompletedProcess[str]:
    return lint_imports(broken_copy)


@pytest.mark.parametrize("relative", VIOLATIONS, ids=[v[1] for v in VIOLATIONS.values()])
def test_lint_imports_names_a_violation(broken_report, relative):
    _, contract_id, named = VIOLATIONS[relative]
    name = next(c["name"] for c in CONTRACTS if c["id"] == contract_id)
    output = flat(broken_report)
    assert broken_report.returncode != 0
    assert f"{name} BROKEN" in output, broken_report.stdout
    assert named in output, broken_report.stdout


def test_lint_imports_names_flask_in_the_loader(broken_report):
    output = flat(broken_report)
    name = next(c["name"] for c in CONTRACTS if c["id"] == "content-loader")
    assert f"{name} BROKEN" in output, broken_report.stdout
    assert "app.content.loader -> flask" in output, broken_report.stdout
    assert "app.content.loader.quizzes -> sqlalchemy" in output, broken_report.stdout
    assert "app.assessments.question_types -> app.extensions" in output, broken_report.stdout


def test_write_check_names_a_write_in_reports(broken_copy):
    result = check_writes(broken_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "app/reports/_write.py:5: db.session.commit()" in result.stdout, result.stdout
