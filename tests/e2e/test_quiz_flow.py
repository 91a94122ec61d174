"""A trainee takes the first-impression self-test: answers autosave, a reload resumes, the band shows; a
trainee fails a pooled, timed knowledge check, rereads, passes on a new paper; the instructor sees the items."""

import re
from datetime import timedelta
from pathlib import Path

import yaml
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


# --- a pooled, timed knowledge check ---------------------------------------------------------------

CHECK = "complaint-handling-check"
CHECK_FILE = Path(__file__).resolve().parents[2] / "quizzes" / f"{CHECK}.yaml"


def _keys() -> dict[str, dict]:
    """Each question's right and one wrong set of option keys, from the quiz file."""
    out = {}
    for q in yaml.safe_load(CHECK_FILE.read_text(encoding="utf-8"))["questions"]:
        keys = [o["key"] for o in q.get("options") or [{"key": "T"}, {"key": "F"}]]
        wrong = next(k for k in keys if k not in q["answer"])
        out[q["id"]] = {"right": q["answer"], "wrong": [wrong]}
    return out


def _answer_paper(page, which: str) -> list[str]:
    """Tick the right or wrong keys of every question on the page's paper; return the question ids."""
    keys = _keys()
    ids = page.locator("fieldset.question").evaluate_all("els => els.map(e => e.dataset.question)")
    for qid in ids:
        for key in keys[qid][which]:
            # wait for each autosave, so a reload right after the last tick cannot cut it off
            with page.expect_response(lambda r: r.url.endswith("/answer") and r.request.method == "POST"):
                page.check(f"#answer-{qid}-{key}")
    return ids


def test_a_trainee_fails_a_pooled_timed_check_rereads_and_passes_on_a_new_paper(
    browser_page, demo_login, live_app, _browser, live_server
):
    page = browser_page
    demo_login(page, "trainee5")
    page.goto(f"/quizzes/{CHECK}")
    expect(page.locator("#quiz-pool")).to_contain_text("每次从 23 道题中抽取 12 题")
    expect(page.locator("#quiz-time-limit")).to_have_text("限时 20 分钟")
    page.click("#start-quiz")
    expect(page.locator("#quiz-deadline time")).to_be_visible()  # the deadline is a time on the page
    expect(page.locator("#quiz-countdown")).to_have_text(re.compile(r"剩余时间 (19:[0-5]\d|20:00)"))
    first = _answer_paper(page, "wrong")
    assert len(first) == 12
    page.reload()  # resuming keeps the paper and the clock
    expect(page.locator("#quiz-countdown")).to_have_text(re.compile(r"剩余时间 19:[0-5]\d"))
    assert page.locator("fieldset.question").evaluate_all("els => els.map(e => e.dataset.question)") == first
    page.click("#submit-quiz")

    expect(page.locator("#result-verdict")).to_contain_text("未通过", timeout=20_000)  # scoring a timed paper
    expect(page.locator("#review")).to_have_attribute("data-level", "mistakes")
    expect(page.locator("#review .qz-reread a")).to_have_count(12)  # what to reread, for each question
    body = page.content()
    assert "见模块「" not in body and ">正确答案<" not in body  # and no right answer anywhere
    reread = page.locator("#review .qz-reread a").first
    title = reread.inner_text()
    reread.click()
    expect(page.locator("h1")).to_contain_text(title)

    page.goto(f"/quizzes/{CHECK}")
    expect(page.locator("#quiz-blocked")).to_contain_text("下次作答")
    with live_app.app_context():  # ten minutes later
        from sqlalchemy import select

        from app.accounts.models import User
        from app.assessments.models import Attempt
        from app.extensions import db

        mine = select(Attempt).join(User, User.id == Attempt.user_id).where(User.username == "trainee5")
        for attempt in db.session.scalars(mine):
            attempt.submitted_at -= timedelta(minutes=11)
        db.session.commit()
        db.session.remove()
    page.reload()
    page.click("#start-quiz")
    second = _answer_paper(page, "right")
    assert len(second) == 12 and len(set(first) & set(second)) <= 6  # a new paper: unseen questions first
    page.click("#submit-quiz")
    expect(page.locator("#result-verdict")).to_have_text("通过", timeout=20_000)
    expect(page.locator("#review")).to_have_attribute("data-level", "full")
    expect(page.locator("#review")).to_contain_text("见模块「")

    # The instructor of the trainee's cohort sees the question statistics.
    context = _browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    staff = context.new_page()
    demo_login(staff, "instructor")
    staff.goto("/results")
    staff.locator("#statistics-links").get_by_role("link", name="客户投诉分析与受理知识检测").click()
    expect(staff.locator("#quiz-summary tbody td")).to_have_text(["2", "1", "50.0%", "100%", "0%"])
    expect(staff.locator("#items tbody tr")).to_have_count(23)
    for qid in second:
        expect(staff.locator(f"#item-{qid} .qz-facility")).to_have_text("100%" if qid not in first else "50%")
    context.close()
