"""The interface is translated: every string in the code has an English translation, compiled."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
EN_PO = ROOT / "app/translations/en/LC_MESSAGES/messages.po"


def test_every_interface_string_has_an_english_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    with EN_PO.open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(str(m) for m in wanted - translated)
    assert not missing, f"{len(missing)} untranslated strings, e.g. {missing[:5]} — run scripts/i18n.sh and translate"


def test_compiled_catalogue_matches_the_po_file():
    from babel.messages.mofile import read_mo

    with EN_PO.open("rb") as handle:
        po = {m.id: m.string for m in read_po(handle) if m.id and m.string and not m.fuzzy}
    with EN_PO.with_suffix(".mo").open("rb") as handle:
        mo = {m.id: m.string for m in read_mo(handle) if m.id}
    assert mo == po


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
    assert "<h1 class=\"h3 mb-3\">Departments</h1>" in client.get("/admin/departments").get_data(as_text=True)
    assert "<h1 class=\"h3 mb-3\">Role-play submissions</h1>" in client.get("/reports/roleplays").get_data(as_text=True)
    page = client.get("/reports/roleplays?state=draft&course=x").get_data(as_text=True)
    assert "Invalid filters ignored: Status, Course" in page
