"""An instructor grades a role-play with the keyboard alone: Tab to each criterion, arrow keys to a level,
Tab to the grade button, Enter. The grade is stored with the chosen levels."""

from __future__ import annotations

from playwright.sync_api import expect

CARD = "five-step-complaint"
CARD_TITLE = "按五步法受理产品质量投诉"
TRAINEE = "trainee5"  # used by no other browser test except the accessibility scan (another card)
TRAINEE_NAME = "孙悦"
MAX_TABS = 300


def focused(page) -> dict:
    """What has the keyboard focus: tag, type, name, value, checked and text."""
    return page.evaluate(
        """() => { const e = document.activeElement;
          return {tag: e.tagName, type: e.type || '', name: e.name || '', value: e.value || '',
                  checked: !!e.checked, text: (e.innerText || '').trim()}; }"""
    )


def tab_until(page, wanted) -> dict:
    """Press Tab until the focused element matches; fail after MAX_TABS presses."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        element = focused(page)
        if wanted(element):
            return element
    raise AssertionError("the keyboard never reached the wanted control")


def test_rubric_grading_works_by_keyboard_alone(browser_page, demo_login):
    page = browser_page
    demo_login(page, TRAINEE)
    page.goto(f"/roleplays/{CARD}")
    page.fill(
        "#response",
        "客户：尾座压板又松了！\n我：周先生，非常抱歉给您添麻烦。我先把情况记下来，今天下午2点前安排工程师联系您。",
    )
    page.click("#submit")
    expect(page.locator(".alert-success")).to_be_visible()

    page.context.clear_cookies()
    demo_login(page, "instructor")
    page.goto("/grading")
    row = page.locator("tr", has_text=TRAINEE_NAME).filter(has_text=CARD_TITLE)
    row.get_by_role("link", name="批改").click()
    expect(page.locator(".rpl-grade-form")).to_be_visible()
    grading_url = page.url
    criteria = page.locator(".rpl-criterion-grade").count()
    assert criteria >= 2
    keys = [
        name.removeprefix("level-")
        for name in page.locator(".rpl-criterion-grade input[type=radio]").evaluate_all(
            "els => [...new Set(els.map(e => e.name))]"
        )
    ]
    levels = {key: page.locator(f"input[name='level-{key}']").count() for key in keys}

    page.locator("body").focus()
    for key in keys:
        element = tab_until(page, lambda e, key=key: e["type"] == "radio" and e["name"] == f"level-{key}")
        assert element["value"] == "0" and not element["checked"]
        page.keyboard.press("Space")  # choose the first level …
        for _ in range(levels[key] - 1):
            page.keyboard.press("ArrowRight")  # … then move along to the best one
        element = focused(page)
        assert element["checked"] and element["value"] == str(levels[key] - 1)
    expect(page.locator(".rpl-verdict")).to_have_text("通过")

    tab_until(page, lambda e: e["tag"] == "BUTTON" and e["value"] == "grade")
    page.keyboard.press("Enter")
    expect(page.locator(".alert-success")).to_contain_text(f"已评分：{TRAINEE_NAME}")

    page.goto(grading_url)  # the stored grade: every criterion at its best level, status graded
    for key in keys:
        expect(page.locator(f"#lv-{key}-{levels[key] - 1}")).to_be_checked()
    expect(page.get_by_role("button", name="修改评分")).to_be_visible()
    page.context.clear_cookies()
    demo_login(page, TRAINEE)
    page.goto("/submissions")
    expect(page.locator("tr", has_text=CARD_TITLE)).to_contain_text("通过")
