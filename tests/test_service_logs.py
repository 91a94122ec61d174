"""Every service that writes logs what it did at INFO, with ids (not personal data), in the JSON log."""

from __future__ import annotations

import ast
import json
import logging
from pathlib import Path

import pytest

from app.core.logs import JsonFormatter
from app.extensions import db
from app.learning import services as learning
from app.learning.models import Module
from tests import factories

APP = Path(__file__).resolve().parent.parent / "app"
SERVICES = sorted(APP.glob("*/services.py"))


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.parent.name)
def test_every_services_module_has_a_logger_and_uses_it(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assigned = {
        t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)
    }
    assert "log" in assigned, f"{path.relative_to(APP)} has no module logger"
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "info"
        and isinstance(n.func.value, ast.Name)
        and n.func.value.id == "log"
    ]
    assert calls, f"{path.relative_to(APP)} logs none of its writes"


def test_a_write_is_logged_with_its_ids_as_json(app, caplog):
    user = factories.make_user("logged-trainee", cohort="c1")
    factories.assign(cohort="c1")
    module = db.session.scalars(db.select(Module)).first()
    with caplog.at_level(logging.INFO, logger="app.learning.services"):
        assert learning.mark_complete(user, module)
    records = [r for r in caplog.records if r.name == "app.learning.services"]
    assert records, "mark_complete logged nothing"
    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["level"] == "INFO"
    assert line.get("user_id") == user.id and line.get("module_id") == module.id
    assert user.name not in json.dumps(line, ensure_ascii=False)
