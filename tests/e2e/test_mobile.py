"""A trainee on a phone (390×844): the home page's to-do list, a module page with its one-row reading bar
and tables that do not widen the page, a role-play card whose answer box is near the top, the library's
required cards, and reading an opened module with the network cut. axe-core checks each page.

The demo trainee3 is used only to read here (no answer is sent), so other browser tests see no change.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Error, expect

from tests.e2e.test_accessibility import problems

PHONE = {"width": 390, "height": 844}
TRAINEE = "trainee3"
WIDE_TABLE_MODULE = "/courses/complaint-handling/five-step-process"  # a five-column table among others


@pytest.fixture
def phone(_browser, live_server):
    """A phone-sized page (touch, mobile viewport) whose context lets axe's injected script run."""
    context = _browser.new_context(
        base_url=live_server,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        bypass_csp=True,
        reduced_motion="reduce",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def page_width(page) -> int:
    """How wide the document is: more than the viewport means the page scrolls sideways."""
    return page.evaluate("document.documentElement.scrollWidth")


def test_home_lists_the_to_dos_first(phone, demo_login):
    page = phone
    demo_login(page, TRAINEE)
    page.goto("/dashboard")
    todo = page.locator("#todo-title")
    expect(todo).to_have_text(re.compile("我的待办"))
    assert todo.bounding_box()["y"] < page.locator("#courses-title").bounding_box()["y"]
    items = page.locator(".todo-list .todo")
    assert items.count() >= 5  # the next module of each course, the quizzes and role-plays it requires
    for link in items.locator("a.todo-link").all():
        assert re.match(r"^/(courses|quizzes|roleplays)/", link.get_attribute("href"))
    # the progress counts every requirement: modules, the knowledge check and the role-plays
    expect(page.locator('[data-course="service-behaviour"]')).to_contain_text(re.compile(r"已完成 \d+ / 13 项要求"))
    assert page_width(page) <= PHONE["width"]
    assert problems(page, "home (phone)") == []


def test_module_page_reading_bar_is_one_row_and_tables_stay_inside(phone, demo_login):
    page = phone
    demo_login(page, TRAINEE)
    page.goto(WIDE_TABLE_MODULE)
    bar = page.locator(".reading-bar")
    expect(bar).to_be_visible()
    box = bar.bounding_box()
    assert box["height"] <= 72, box  # one row of 44-pixel buttons, not three rows covering the text
    tops = bar.evaluate(
        "b => Array.from(b.children, c => Math.round(c.getBoundingClientRect().top + c.offsetHeight / 2))"
    )
    assert max(tops) - min(tops) <= 4, tops
    # the icons keep their names
    expect(page.get_by_role("link", name=re.compile(r"^上一节："))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^下一节："))).to_be_visible()
    expect(page.get_by_role("button", name="标记为已完成")).to_be_visible()

    wide = page.locator(".content table.table-reflow").first
    wide.scroll_into_view_if_needed()
    assert wide.bounding_box()["x"] + wide.bounding_box()["width"] <= PHONE["width"]
    assert page.locator(".content .table-scroll").count() == page.locator(".content table").count()
    assert page_width(page) <= PHONE["width"]
    assert problems(page, "module (phone)") == []


def test_role_play_card_answer_box_is_within_two_screens(phone, demo_login):
    page = phone
    demo_login(page, TRAINEE)
    page.goto("/roleplays/five-step-complaint")  # the longest task and observation points of the cards
    expect(page.locator("#sec-task")).to_be_visible()
    assert page.locator("details.rpl-background").get_attribute("open") is None  # the background is folded
    top = page.locator("#response").evaluate("e => e.getBoundingClientRect().top + window.scrollY")
    assert top < 2 * PHONE["height"], top
    recorder = page.locator(".rpl-audio").evaluate("e => e.getBoundingClientRect().top + window.scrollY")
    assert recorder < 2 * PHONE["height"] + 600, recorder
    assert page.locator("#sec-task").evaluate("e => e.getBoundingClientRect().top") < top
    page.locator("details.rpl-background summary").click()
    expect(page.locator(".rpl-background .rpl-fold-body")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    assert problems(page, "role-play card (phone)") == []


def test_library_marks_required_cards_and_my_status(phone, demo_login):
    page = phone
    demo_login(page, TRAINEE)
    page.goto("/roleplays")
    expect(page.locator('[data-card="angry-computer-customer"] .rpl-required')).to_have_text("必修")
    assert page.locator('[data-card="car-dealer-hang-up"] .rpl-required').count() == 0
    assert page.locator(".rpl-mine").count() == page.locator(".rpl-card").count()
    expect(page.locator('[data-card="car-dealer-hang-up"] .rpl-mine')).to_contain_text("我的状态：")
    assert page_width(page) <= PHONE["width"]
    assert problems(page, "role-play library (phone)") == []


def kept_pages(page) -> list[str]:
    """The names of the caches that hold pages kept for offline reading."""
    return page.evaluate("async () => (await caches.keys()).filter((name) => name.startsWith('academy-pages-'))")


def test_an_opened_module_stays_readable_offline(phone, demo_login):
    page = phone
    demo_login(page, TRAINEE)
    page.goto("/dashboard")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.goto("/courses/service-basics")
    page.locator(".module-list a").first.click()
    title = page.locator("main h1 span").first.inner_text()
    module_url = page.url
    expect(page.locator("#mark-complete")).to_be_visible()
    page.wait_for_function("async () => (await caches.keys()).some((n) => n.startsWith('academy-pages-'))")

    page.context.set_offline(True)
    page.goto(module_url)
    expect(page.locator("main h1")).to_contain_text(title)
    expect(page.locator(".content")).not_to_be_empty()
    banner = page.locator("#offline-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("离线")
    page.click("#mark-complete")  # an action offline: not sent, not queued, and the page says why
    expect(banner).to_contain_text("需要网络连接")
    expect(banner).to_be_focused()
    assert page.url == module_url
    page.goto("/courses/service-basics/no-such-module-kept")
    expect(page.locator("h1")).to_have_text("需要网络连接")

    page.context.set_offline(False)
    page.goto(module_url)
    expect(page.locator("#mark-complete")).to_be_visible()  # nothing was replayed when the connection came back
    expect(page.locator("#offline-banner")).to_be_hidden()

    # signing out drops the kept pages (shared devices)
    page.locator(".navbar-toggler").click()  # the menu is folded on a phone
    page.locator("nav .dropdown-toggle").last.click()
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.wait_for_function("async () => !(await caches.keys()).some((n) => n.startsWith('academy-pages-'))")
    assert kept_pages(page) == []
    page.context.set_offline(True)
    try:
        page.goto(module_url)
    except Error:
        pass  # no worker yet after the site's data was cleared: the browser's own offline error
    else:
        expect(page.locator("main h1")).not_to_contain_text(title)
    page.context.set_offline(False)
