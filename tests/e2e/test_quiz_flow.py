"""A trainee takes the first-impression self-test: answers autosave, a reload resumes, the band shows."""

import re

from playwright.sync_api import expect

# A on questions 1–9, C on 10–12: 9 × 5 + 3 × 1 = 48 points, the document's 47–60 band.
ANSWERS = ["A"] * 9 + ["C"] * 3


def choose(page, number: int, key: str) -> None:
    """Click an option of question ``q<number>`` and wait until the autosave has answered."""
    with page.expect_response(lambda r: r.url.endswith("/answer") and r.request.method == "POST") as saved:
        page.check(f"#answer-q{number}-{key}")
    assert saved.value.ok


def test_trainee_takes_the_first_impression_test_and_sees_their_band(browser_page, demo_login):
    page = browser_page
    demo_login(page, "trainee3")
    page.get_by_role("link", name="自测与检测").click()
    page.locator('[data-quiz="first-impression"] a').click()
    expect(page.locator("h1")).to_contain_text("第一印象自我测试")
    page.click("#start-quiz")
    expect(page).to_have_url(re.compile(r"/quizzes/first-impression/attempts/\d+$"))

    for number, key in enumerate(ANSWERS[:4], start=1):
        choose(page, number, key)
    expect(page.locator("#quiz-progress-text")).to_contain_text("已答 4 / 12 题")
    page.reload()  # resumes where it was
    expect(page.locator("#answer-q4-A")).to_be_checked()
    expect(page.locator("#quiz-progress")).to_have_attribute("value", "4")

    page.click("#submit-quiz")  # eight questions still open: nothing is submitted
    expect(page.locator("#unanswered")).to_contain_text("第 5 题")
    expect(page).to_have_url(re.compile(r"/attempts/\d+$"))

    for number, key in enumerate(ANSWERS[4:], start=5):
        choose(page, number, key)
    page.click("#submit-quiz")
    expect(page.locator("#result-score")).to_have_text("48")
    expect(page.locator("#result-band")).to_have_text("你给别人的印象非常好")
    expect(page.locator("svg.qz-range")).to_be_visible()
    expect(page.locator("#costly")).to_contain_text("建议学习")

    page.get_by_role("link", name="返回测验，查看历次记录").click()
    expect(page.locator("#history")).to_contain_text("你给别人的印象非常好")


def test_small_screens_show_one_question_at_a_time(browser_page, demo_login):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 800})
    demo_login(page, "trainee4")
    page.goto("/quizzes/empathy")
    page.click("#start-quiz")
    expect(page.locator("#question-q1")).to_be_visible()
    expect(page.locator("#question-q2")).to_be_hidden()
    expect(page.locator("#qz-page-label")).to_have_text("第 1 / 13 题")
    page.get_by_role("button", name="下一题").click()
    expect(page.locator("#question-q2")).to_be_visible()
    expect(page.locator("#question-q1")).to_be_hidden()
