"""The interface is translated: every string in the code has an English translation, compiled.

The catalogue checks live in scripts/check_catalogue.py (CI runs it before the tests); these tests
call the same functions.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("check_catalogue", ROOT / "scripts" / "check_catalogue.py")
assert _spec and _spec.loader
catalogue = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(catalogue)


def test_every_interface_string_has_an_english_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    catalogue.extract(pot)
    missing = catalogue.untranslated(catalogue.wanted_messages(pot), "en")
    assert not missing, f"{len(missing)} untranslated strings, e.g. {missing[:5]} — run scripts/i18n.sh and translate"


def test_compiled_catalogue_matches_the_po_file():
    for locale in ("en", "zh_CN"):
        assert catalogue.stale_compiled(locale) == []


def test_pages_switch_language(client, login_as):
    login_as("trainee")
    assert "我的学习" in client.get("/dashboard").get_data(as_text=True)
    client.post("/locale", data={"locale": "en", "next": "/dashboard"})
    page = client.get("/dashboard").get_data(as_text=True)
    assert "My learning" in page and "我的学习" not in page
    assert client.post("/locale", data={"locale": "xx", "next": "https://evil.example"}).headers["Location"] == "/"


def test_menu_items_naming_lists_are_plural_in_english(client, login_as):
    login_as("admin")
    page = client.get("/dashboard").get_data(as_text=True)
    assert ">课程</a>" in page and ">部门</a>" in page and ">班组</a>" in page
    client.post("/locale", data={"locale": "en", "next": "/dashboard"})
    page = client.get("/dashboard").get_data(as_text=True)
    assert ">Courses</a>" in page and ">Departments</a>" in page and ">Cohorts</a>" in page
    assert '<h1 class="h3 mb-3">Departments</h1>' in client.get("/admin/departments").get_data(as_text=True)
    assert '<h1 class="h3 mb-3">Role-play submissions</h1>' in client.get("/reports/roleplays").get_data(as_text=True)
    page = client.get("/reports/roleplays?state=draft&course=x").get_data(as_text=True)
    assert "Invalid filters ignored: Status, Course" in page
