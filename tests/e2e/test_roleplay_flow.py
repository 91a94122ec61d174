"""A trainee submits a response to a card; the instructor grades it from the queue; the trainee sees the feedback."""

from playwright.sync_api import expect

CARD = "angry-computer-customer"
RESPONSE = (
    "客户：你们的电脑又坏了，文件全没了！\n"
    "我：赵先生，真的非常抱歉，您一定很着急，也很委屈。\n"
    "我：如果我理解得没错，您最担心的是周五要交的季度报告。我今天下午3点前给您送一台备用机。"
)


def logout(page) -> None:
    """Sign out through the user menu."""
    page.locator("nav button.dropdown-toggle").click()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/login**")


def test_trainee_submits_instructor_grades_trainee_sees_feedback(browser_page, demo_login):
    page = browser_page

    # The trainee opens the card from the library, writes a response and hands it in.
    demo_login(page, "trainee4")
    page.get_by_role("link", name="角色扮演").click()
    page.locator(f'[data-card="{CARD}"] a').click()
    expect(page.locator("h1")).to_contain_text("电脑反复故障的愤怒客户")
    expect(page.locator("#sec-task")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("学员不知道的情况")  # the partner brief stays hidden
    page.fill("#response", RESPONSE)
    page.click("#submit")
    expect(page.locator(".alert-success")).to_contain_text("已提交给讲师")
    expect(page.locator("#my-work .rpl-status")).to_have_text("已提交")
    logout(page)

    # The instructor sees the count, opens the queue and grades with the rubric.
    demo_login(page, "instructor")
    expect(page.locator("#grading-count")).to_be_visible()
    page.get_by_role("link", name="批改").first.click()
    row = page.locator("tr", has_text="赵磊").filter(has_text="电脑反复故障的愤怒客户")
    row.get_by_role("link", name="批改").click()
    expect(page.locator("#response")).to_contain_text("季度报告")
    expect(page.locator('[data-rule="apology"]')).to_have_attribute("data-count", "1")
    expect(page.locator('[data-rule="time-commitment"]')).not_to_have_attribute("data-count", "0")
    for fieldset in page.locator(".rpl-criterion-grade").all():
        fieldset.locator("label.rpl-level").last.click()
    expect(page.locator(".rpl-verdict")).to_have_text("通过")
    page.locator(".rpl-criterion-grade textarea").first.fill("开场先安抚，说出了客户的委屈。")
    page.fill("#overall", "方案具体、有时间，继续保持。")
    expect(page.locator(".rpl-autosave-status")).to_have_text("草稿已自动保存")
    page.get_by_role("button", name="完成评分").click()
    expect(page.locator(".alert-success")).to_contain_text("已评分：赵磊")
    logout(page)

    # The trainee is notified and reads the per-criterion feedback.
    demo_login(page, "trainee4")
    expect(page.locator("#notification-count")).to_have_text("1条未读")
    page.locator(".rpl-bell").click()
    page.locator(".rpl-notification-link").first.click()
    expect(page.locator(".rpl-result")).to_contain_text("通过")
    expect(page.locator("#feedback")).to_contain_text("开场先安抚，说出了客户的委屈。")
    expect(page.locator("#feedback")).to_contain_text("方案具体、有时间，继续保持。")
