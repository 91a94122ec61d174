"""Smoke: the app starts, the login page renders in Chinese."""


def test_login_page_renders_in_chinese(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "登录客服学院" in response.get_data(as_text=True)


def test_trainee_sees_assigned_course(client, login_as, app):
    from tests import factories

    user = login_as("trainee", cohort="c1")
    factories.assign(cohort="c1")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "测试课程" in page
    assert user.name in page
