#!/usr/bin/env python3
"""Check that the reports room only reads: no session writes and no INSERT/UPDATE/DELETE statements.

import-linter sees imports, not calls, so this reads the syntax trees of app/reports/**.py and
reports every call that writes:

- a session write: ``db.session.add/add_all/delete/commit/flush/merge/bulk_*`` (any receiver named
  ``session``, e.g. ``db.session.commit()``, ``session.add(x)``);
- a SQLAlchemy DML construct: ``insert(...)``, ``update(...)``, ``delete(...)`` imported from
  ``sqlalchemy`` (also ``sa.update(...)`` after ``import sqlalchemy as sa``, and the dialects'
  ``insert``), and a legacy ``session.query(...)....update()/delete()``;
- raw SQL that starts with INSERT, UPDATE, DELETE, MERGE, TRUNCATE, CREATE, DROP or ALTER.

Usage: ``python scripts/check_reports_writes.py [ROOT]`` (ROOT: the folder holding ``app/``; the
repository by default). Exit status 1 lists every write with its file and line.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOM = Path("app") / "reports"
SESSION_WRITES = frozenset(
    {
        "add",
        "add_all",
        "delete",
        "commit",
        "flush",
        "merge",
        "bulk_save_objects",
        "bulk_insert_mappings",
        "bulk_update_mappings",
    }
)
DML_NAMES = frozenset({"insert", "update", "delete"})
DML_MODULES = ("sqlalchemy",)  # and its submodules (sqlalchemy.dialects.postgresql, …)
RAW_DML = re.compile(r"^\s*(insert|update|delete|merge|truncate|create|drop|alter)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Write:
    """One write found in a reports module."""

    path: Path
    line: int
    code: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.code} — reports only read (docs/architecture.md)"


def _from_sqlalchemy(module: str | None) -> bool:
    if not module:
        return False
    return any(module == m or module.startswith(m + ".") for m in DML_MODULES)


class _Finder(ast.NodeVisitor):
    def __init__(self, path: Path, source: str) -> None:
        self.path = path
        self.source = source
        self.writes: list[Write] = []
        self.dml_names: set[str] = set()  # local names bound to sqlalchemy's insert/update/delete
        self.sa_aliases: set[str] = set()  # local names bound to sqlalchemy (or a submodule)

    def _add(self, node: ast.AST) -> None:
        code = ast.get_source_segment(self.source, node) or ast.unparse(node)
        self.writes.append(Write(self.path, getattr(node, "lineno", 0), " ".join(code.split())))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if _from_sqlalchemy(alias.name):
                self.sa_aliases.add(alias.asname or alias.name.split(".")[0])
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if _from_sqlalchemy(node.module):
            for alias in node.names:
                if alias.name in DML_NAMES:
                    self.dml_names.add(alias.asname or alias.name)
                elif node.module == "sqlalchemy":
                    self.sa_aliases.add(alias.asname or alias.name)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if self._writes(node):
            self._add(node)
        self.generic_visit(node)

    def _writes(self, node: ast.Call) -> bool:
        func = node.func
        if isinstance(func, ast.Name):
            return func.id in self.dml_names or _raw_dml(node)
        if isinstance(func, ast.Attribute):
            receiver = func.value
            return (
                (func.attr in SESSION_WRITES and _names_session(receiver))
                or (func.attr in DML_NAMES and _root_name(receiver) in self.sa_aliases)
                or (func.attr in {"update", "delete"} and _calls_query(receiver))
                or _raw_dml(node)
            )
        return False


def _names_session(node: ast.expr) -> bool:
    """True for ``session``, ``db.session``, ``self.session``, ``db.session()``."""
    if isinstance(node, ast.Call):
        node = node.func
    return (isinstance(node, ast.Name) and node.id == "session") or (
        isinstance(node, ast.Attribute) and node.attr == "session"
    )


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _calls_query(node: ast.expr) -> bool:
    """True when a call chain contains ``.query(...)`` (legacy ``Query.update/delete``)."""
    while isinstance(node, ast.Call | ast.Attribute):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "query":
                return True
            node = func
        else:
            node = node.value
    return False


def _raw_dml(node: ast.Call) -> bool:
    """True for ``text("UPDATE …")``, ``execute("DELETE …")`` and the like."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in {"text", "execute", "exec_driver_sql", "executescript"} or not node.args:
        return False
    sql = node.args[0]
    return isinstance(sql, ast.Constant) and isinstance(sql.value, str) and bool(RAW_DML.match(sql.value))


def find_writes(root: Path) -> list[Write]:
    """Every write in ``root/app/reports`` (paths relative to ``root``)."""
    writes: list[Write] = []
    for path in sorted((root / ROOM).rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        finder = _Finder(path.relative_to(root), source)
        finder.visit(ast.parse(source, filename=str(path)))
        writes.extend(finder.writes)
    return writes


def main(argv: list[str]) -> int:
    """Print the writes found; exit 1 when there is any."""
    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[1]
    if not (root / ROOM).is_dir():
        print(f"{root / ROOM}: no such folder", file=sys.stderr)
        return 2
    writes = find_writes(root)
    for write in writes:
        print(write)
    if writes:
        print(f"{len(writes)} write(s) in {ROOM}: reports only read; move them to the room that owns the data.")
        return 1
    print(f"{ROOM}: no writes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
