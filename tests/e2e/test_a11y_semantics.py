"""What axe cannot see, checked in Chromium in both interface languages: the page language, refused forms
(aria-invalid, aria-describedby resolving to the visible message, a role=alert summary that takes the
focus, an error marker in the title), titles that name the view and its state, announced status
messages, focus after "mark as complete", Tab stops to a page's main action, and the contrast of an
unread notification.

The accounts are made here through the admin form (one set per language, members of the demo cohort), so
no other browser test sees their language, submissions or notifications.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORDS

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PASSWORD = "a11y-pass-2024"
FIRST_PASSWORD = "a11y-first-2024"  # set by the admin: one-time, changed to PASSWORD at the first sign-in
LANGUAGES = ("zh_CN", "en")
ERROR_MARK = {"zh_CN": "错误：", "en": "Error: "}
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
ROLES = {"t": "trainee", "i": "instructor", "h": "hr", "a": "admin"}
NAMES = {"zh_CN": "无障碍甲", "en": "无障碍乙"}  # the trainees, found by name in the grading queue
MAX_TABS_TO_ACTION = 3  # Tab presses to the "skip to the main action" link (then Enter)


def username(language: str, role: str) -> str:
    return f"a11y-{language.replace('_', '').lower()}-{role}"


def sign_in(page, user: str, password: str = PASSWORD) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_url(lambda url: "/login" not in url)


def demo_cohort(page):
    """The link to the demo cohort on the admin's cohort list."""
    return page.locator(".list-group a", has=page.locator("strong", has_text=re.compile(r"^demo$")))


@pytest.fixture(scope="module")
def accounts(_browser, live_server):
    """Create a trainee, instructor, HR and admin account per language (the English ones switched to English)."""
    context = _browser.new_context(base_url=live_server, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, "admin", PASSWORDS["admin"])
    for language in LANGUAGES:
        for key, role in ROLES.items():
            page.goto("/admin/users/new")
            page.fill("#username", username(language, key))
            page.fill("#name", NAMES[language] if key == "t" else f"{role}-{language}")
            page.locator("input[name=roles]").evaluate_all("els => els.forEach(e => { e.checked = false; })")
            page.check(f"input[name=roles][value={role}]")
            page.fill("#password", FIRST_PASSWORD)
            page.click("#submit")
            expect(page).to_have_url(re.compile(r"/admin/users$"))
    page.goto("/admin/cohorts")
    demo_cohort(page).click()
    for language in LANGUAGES:
        for key in ("t", "i"):
            page.fill("#username", username(language, key))
            page.select_option("#role", ROLES[key])
            page.get_by_role("button", name="添加成员").click()
            expect(page.locator(".alert-success")).to_be_visible()
    for language in LANGUAGES:  # a password an admin set is one-time: each person chooses their own first
        for key in ROLES:
            sign_in(page, username(language, key), FIRST_PASSWORD)
            expect(page).to_have_url(re.compile(r"/account/password$"))
            page.fill("#current", FIRST_PASSWORD)
            page.fill("#new", PASSWORD)
            page.fill("#confirm", PASSWORD)
            page.click("#submit")
            expect(page).not_to_have_url(re.compile(r"/account/password$"))
    for key in ROLES:  # the language is stored on the account
        sign_in(page, username("en", key))
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    context.close()
    return True


@pytest.fixture
def page(_browser, live_server, accounts):
    """A fresh page (the app's Content-Security-Policy applies: a11y.js must work under it)."""
    context = _browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def focused(page) -> dict:
    """The element that has the focus."""
    return page.evaluate(
        """() => { const e = document.activeElement;
          return {tag: e.tagName, id: e.id, role: e.getAttribute('role') || '', text: (e.innerText || '').trim(),
                  summary: e.hasAttribute('data-error-summary'), href: e.getAttribute('href') || '',
                  name: e.getAttribute('name') || '', inMain: !!e.closest('main')}; }"""
    )


def described(page, ident: str) -> dict:
    """A control's aria-invalid and the texts its aria-describedby names (missing ids counted)."""
    return page.evaluate(
        """(id) => { const f = document.getElementById(id);
          const ids = (f.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
          const found = ids.map((i) => document.getElementById(i));
          const shown = (e) => e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
          return {invalid: f.getAttribute('aria-invalid'), missing: found.filter((e) => !e).length,
                  visible: found.filter((e) => shown(e) && e.innerText.trim()).map((e) => e.innerText.trim())}; }""",
        ident,
    )


def assert_refused(page, language: str, fields: list[str], *, summary_id: str = "error-summary") -> None:
    """The page says it refused the form: title marker, focused alert summary, invalid fields tied to messages,
    and the summary's link to the first field moves the focus there."""
    expect(page).to_have_title(re.compile("^" + re.escape(ERROR_MARK[language])))
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
    expect(page.locator(f"#{summary_id}")).to_be_focused()
    active = focused(page)
    assert active["role"] == "alert" and active["summary"] and active["text"], active
    for ident in fields:
        state = described(page, ident)
        assert state["invalid"] == "true", (ident, state)
        assert state["missing"] == 0 and state["visible"], (ident, state)
    summary = page.locator(f"#{summary_id}")
    link = summary.locator("a").first
    target = link.get_attribute("href")[1:]
    link.click()
    active = focused(page)
    inside = page.evaluate(
        "([target]) => { const t = document.getElementById(target); return t === document.activeElement || t.contains(document.activeElement); }",
        [target],
    )
    assert inside and active["tag"] in ("INPUT", "TEXTAREA", "SELECT"), (target, active)


# --- page language ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_html_lang_and_chinese_content(page, language):
    sign_in(page, username(language, "t"))
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
    page.goto("/courses/service-basics")
    page.locator(".module-list a").first.click()
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
    # the module body, its heading and the rubric of a card are Chinese: in the English interface they say so
    content_lang = "zh-CN" if language == "en" else None
    for selector in ("main .content", "main h1 span"):
        lang = page.locator(selector).first.evaluate("e => e.closest('[lang]').getAttribute('lang')")
        assert lang == "zh-CN", (selector, lang)
        assert page.locator(selector).first.get_attribute("lang") == content_lang
    page.goto("/roleplays/reception-drill")
    lang = page.locator(".rpl-criterion h3").first.get_attribute("lang")
    assert lang == content_lang
    page.goto("/quizzes/empathy")
    page.click("#start-quiz")
    option = page.locator(".qz-option label span").last
    assert option.evaluate("e => e.closest('[lang]').getAttribute('lang')") == "zh-CN"
    assert option.get_attribute("lang") == content_lang
    if language == "en":  # the interface text around the content stays English
        expect(page.locator("#submit-quiz")).to_have_text("Submit answers")
        assert page.locator("#submit-quiz").evaluate("e => e.closest('[lang]').getAttribute('lang')") == "en"


def test_signed_out_pages_follow_the_language_switch(page):
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("button[name=locale]")).to_have_count(1)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("button[name=locale]")).to_have_text("简体中文")
    page.click("#submit")  # empty sign-in: refused in English
    assert_refused(page, "en", ["username", "password"])


# --- refused forms ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_trainee_password_form(page, language):
    sign_in(page, username(language, "t"))
    page.goto("/account/password")
    page.fill("#new", "short")
    page.click("#submit")
    assert_refused(page, language, ["current", "new", "confirm"])
    expect(page.locator("#error-summary li")).to_have_count(3)


@pytest.mark.parametrize("language", LANGUAGES)
def test_quiz_with_unanswered_questions(page, language):
    sign_in(page, username(language, "t"))
    page.goto("/quizzes/first-impression")
    page.click("#start-quiz")
    with page.expect_response(lambda r: r.url.endswith("/answer") and r.request.method == "POST"):
        page.check("#answer-q1-A")
    page.click("#submit-quiz")
    expect(page.locator("#unanswered")).to_contain_text("2")
    assert_refused(page, language, ["answer-q2-A", "answer-q12-C"], summary_id="unanswered")
    assert page.locator("#answer-q1-A").get_attribute("aria-invalid") is None
    # answering a flagged question clears its flag
    with page.expect_response(lambda r: r.url.endswith("/answer") and r.request.method == "POST"):
        page.check("#answer-q2-B")
    assert described(page, "answer-q2-A")["invalid"] is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_role_play_response_empty(page, language):
    sign_in(page, username(language, "t"))
    page.goto("/roleplays/five-empathy-replies")
    page.click("#submit")
    assert_refused(page, language, ["response"])
    texts = described(page, "response")["visible"]
    assert len(texts) == 2  # the help text and the error
    expect(page.locator("#response")).to_be_focused()


@pytest.mark.parametrize("language", LANGUAGES)
def test_grading_submitted_incomplete_then_the_unread_notification(_browser, live_server, accounts, language):
    context = _browser.new_context(
        base_url=live_server,
        viewport={"width": 1280, "height": 900},
        locale="zh-CN",
        bypass_csp=True,
        reduced_motion="reduce",  # axe runs here (its injected script needs the CSP bypassed)
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, username(language, "t"))
        page.goto("/roleplays/urgent-phone-repair")
        card_title = page.locator("main h1").inner_text()
        page.fill("#response", "客户：手机又坏了！\n我：真的非常抱歉，耽误您用机了。我今天下午3点前给您安排备用机。")
        page.click("#submit")
        expect(page.locator(".flash-status")).not_to_be_empty()
        expect(page.locator("#my-work")).to_be_focused()  # the fragment it was sent back to

        sign_in(page, username(language, "i"))
        page.goto("/grading")
        page.locator("tr", has_text=NAMES[language]).filter(has_text=card_title).locator("a").first.click()
        expect(page.locator(".rpl-grade-form")).to_be_visible()
        criteria = page.locator(".rpl-criterion-grade")
        # the first rubric level is a few Tab stops away (a skip link); choose it from the keyboard
        page.locator("body").focus()
        for _ in range(MAX_TABS_TO_ACTION):
            page.keyboard.press("Tab")
            if focused(page)["href"].startswith("#lv-"):
                break
        else:
            raise AssertionError("no skip link to the rubric within a few Tab stops")
        page.keyboard.press("Enter")
        active = focused(page)
        assert active["tag"] == "INPUT" and active["id"].endswith("-0") and active["name"].startswith("level-"), active
        page.keyboard.press("Space")
        expect(criteria.first.locator("input:checked")).to_have_count(1)
        page.click("button[value=grade]")
        keys = page.locator(".rpl-criterion-grade input[aria-invalid=true]").evaluate_all(
            "els => [...new Set(els.map(e => e.name.slice('level-'.length)))]"
        )
        assert keys and len(keys) == criteria.count() - 1, keys
        assert_refused(page, language, [f"lv-{key}-0" for key in keys], summary_id="grade-error")
        assert NAMES[language] in page.title()  # the title names the trainee

        for fieldset in criteria.all():
            fieldset.locator("label.rpl-level").last.click()
        expect(page.locator(".rpl-criterion-grade input[aria-invalid]")).to_have_count(0)
        page.click("button[value=grade]")
        expect(page.locator(".flash-status .alert-success")).to_contain_text(NAMES[language])

        sign_in(page, username(language, "t"))
        page.goto("/notifications")
        link = page.locator(".rpl-unread .rpl-notification-link").first
        expect(link).to_be_visible()
        ratio = link.evaluate(CONTRAST)
        assert ratio >= 4.5, ratio
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        violations = [
            f"[{v['impact']}] {v['id']}: {[n['target'] for n in v['nodes'][:3]]}" for v in result["violations"]
        ]
        assert violations == [], violations
    finally:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_hr_import_with_a_bad_file(page, language, tmp_path):
    bad = tmp_path / "staff.txt"
    bad.write_text("not a staff list", encoding="utf-8")
    sign_in(page, username(language, "h"))
    page.goto("/hr/import")
    page.set_input_files("#file", str(bad))
    page.click("#submit")
    assert_refused(page, language, ["file"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_admin_user_create_with_errors(page, language):
    sign_in(page, username(language, "a"))
    page.goto("/admin/users/new")
    page.locator("input[name=roles]").evaluate_all("els => els.forEach(e => { e.checked = false; })")
    page.fill("#email", "not-an-address")
    page.click("#submit")
    assert_refused(page, language, ["username", "name", "email", "roles-0"])
    expect(page.locator("#error-summary a")).to_have_count(4)
    assert described(page, "position")["invalid"] is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_forms_that_redirect_mark_the_field_on_the_next_page(page, language):
    """A refused rename (admin) and an incomplete self-score (trainee) come back with the field marked."""
    sign_in(page, username(language, "a"))
    page.goto("/admin/departments")
    taken = f"a11y-部门-{language}"
    page.fill("#name", taken)
    page.click("#submit")
    page.fill("#name", f"{taken}-2")
    page.click("#submit")
    row = page.locator("form[action*='/rename']", has=page.locator(f"input[value='{taken}-2']"))
    ident = row.locator("input[name=name]").get_attribute("id")
    row.locator("input[name=name]").fill(taken)
    row.locator("button").click()
    assert_refused(page, language, [ident])
    expect(page.locator(f"#{ident}")).to_have_value(taken)

    sign_in(page, username(language, "t"))
    page.goto("/roleplays")
    page.locator("a[href^='/roleplays/']").first.click()
    first = page.locator("#self-score fieldset").first.locator("input[type=radio]").first
    first.check(force=True)
    page.locator("#self-score form").evaluate("f => f.noValidate = true")
    page.locator("#self-score button, #self-score input[type=submit]").first.click()
    second = page.locator("#self-score fieldset").nth(1).locator("input[type=radio]").first.get_attribute("id")
    assert_refused(page, language, [second])
    expect(page.locator("#self-score fieldset").first.locator("input[type=radio]").first).to_be_checked()


# --- titles, status messages, focus and Tab stops ---------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_titles_are_distinct_per_view_and_state(page, language):
    titles: dict[str, str] = {}

    def visit(name: str, path: str | None = None) -> None:
        if path:
            page.goto(path)
        titles[name] = page.title()

    sign_in(page, username(language, "t"))
    visit("dashboard", "/dashboard")
    visit("course", "/courses/complaint-handling")
    module_page = re.compile(r"/courses/complaint-handling/[^/?#]+$")
    page.locator(".module-list a").nth(0).click()
    page.wait_for_url(module_page)  # read each title once its page has arrived
    visit("module 1")
    page.goto("/courses/complaint-handling")
    page.locator(".module-list a").nth(1).click()
    page.wait_for_url(module_page)
    visit("module 2")
    visit("quiz intro", "/quizzes/empathy")
    page.click("#start-quiz")
    expect(page.locator("#submit-quiz")).to_be_visible()
    visit("quiz taking")
    page.click("#submit-quiz")
    expect(page.locator("#unanswered")).to_be_visible()
    visit("quiz taking with errors")
    visit("card", "/roleplays/reception-drill")
    page.fill("#response", "我：您好，欢迎光临！请问有什么可以帮您？")
    page.click("#save")
    expect(page.locator(".flash-status .alert")).to_be_visible()
    visit("card with a draft")
    page.click("#submit")
    expect(page.locator(".flash-status .alert")).to_be_visible()
    visit("card submitted")
    page.locator("#my-work a", has_text=re.compile("详情|details", re.I)).click()
    visit("submission")
    visit("notifications", "/notifications")
    visit("password", "/account/password")

    sign_in(page, username(language, "a"))
    page.goto("/admin/cohorts")
    demo_cohort(page).click()
    visit("cohort members")
    page.locator("main a[href*='/teaching/']").click()
    visit("cohort progress")
    visit("new user", "/admin/users/new")

    for name, title in titles.items():
        assert title.startswith(ERROR_MARK[language]) == (name == "quiz taking with errors"), (name, title)
    assert titles["quiz taking with errors"] == ERROR_MARK[language] + titles["quiz taking"]
    repeated = {t for t in titles.values() if list(titles.values()).count(t) > 1}
    assert not repeated, titles
    assert "demo" in titles["cohort members"] and "demo" in titles["cohort progress"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_mark_complete_focuses_the_next_module_and_announces_it(page, language):
    sign_in(page, username(language, "t"))
    page.goto("/courses/service-basics")
    page.locator(".module-list a").first.click()
    following = page.locator("#next-step").inner_text().rstrip(" →")

    # the main action is a few Tab stops away: a skip link, then Enter
    page.locator("body").focus()
    for _ in range(MAX_TABS_TO_ACTION):
        page.keyboard.press("Tab")
        if focused(page)["href"] == "#mark-complete":
            break
    else:
        raise AssertionError("no skip link to the main action within a few Tab stops")
    page.keyboard.press("Enter")
    expect(page.locator("#mark-complete")).to_be_focused()
    page.keyboard.press("Enter")  # mark as complete, from the keyboard

    page.wait_for_url(re.compile(r"/courses/service-basics/[^/]+$"))
    expect(page.locator("main h1")).to_contain_text(following)
    expect(page.locator("main h1")).to_be_focused()
    status = page.locator("[role=status][aria-live=polite]").filter(has=page.locator(".alert"))
    expect(status).to_contain_text(re.compile(r"\S"))
    expect(status).to_contain_text("已完成" if language == "zh_CN" else "Completed")
    assert page.locator("main [role=alert]").count() == 0


# the contrast of an element's text against the first opaque background behind it (WCAG formula)
CONTRAST = """(element) => {
  const rgba = (value) => { const n = value.match(/[\\d.]+/g).map(Number); return n.length === 3 ? [...n, 1] : n; };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  let background = [255, 255, 255, 1];
  for (let node = element; node; node = node.parentElement) {
    const colour = rgba(getComputedStyle(node).backgroundColor);
    if (colour[3] > 0) { background = colour; break; }
  }
  const [r, g, b, a] = rgba(getComputedStyle(element).color);
  const text = [0, 1, 2].map((i) => [r, g, b][i] * a + background[i] * (1 - a));
  const [hi, lo] = [luminance(text), luminance(background)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}"""
