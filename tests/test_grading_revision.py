"""The revision story: per-criterion feedback on return, rounds kept, a new round keeps levels, the diff, notices."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.notifications.models import Notification
from app.roleplay import revisions
from tests.test_roleplay import grade_post, hand_in, login, only_submission, people

FIRST = "我：您好，<b>抱歉</b>让您久等了。"
SECOND = "我：您好，非常抱歉让您久等了。我今天下午3点前给您回电。"


def notices(kind: str) -> list[int]:
    """Who got notices of a kind."""
    return list(
        db.session.scalars(select(Notification.user_id).where(Notification.kind == kind).order_by(Notification.id))
    )


def test_diff_runs_and_escaping():
    pieces = revisions.diff("让您久等了", "让您久等了。我今天回电")
    assert [(p.op, p.text) for p in pieces] == [("same", "让您久等了"), ("ins", "。我今天回电")]
    pieces = revisions.diff("甲乙丙", "甲丁丙")
    assert [(p.op, p.text) for p in pieces] == [("same", "甲"), ("del", "乙"), ("ins", "丁"), ("same", "丙")]


def test_return_resubmit_round_trip(client):
    trainee, instructor = people()
    _, outsider = people("c2", trainee_name="外班学员")
    login(client, trainee)
    hand_in(client, FIRST)
    assert notices("roleplay.arrived") == [instructor.id]  # only the trainee's own instructors
    login(client, instructor)
    response = grade_post(
        client,
        only_submission(),
        "return",
        levels={"calm-first": 1, "solution": 0},
        overall="请补上具体的回电时间。",
        comments={"calm-first": "安抚得不够具体", "solution": "没有时间承诺"},
    )
    assert response.status_code == 302
    login(client, trainee)
    for url in (f"/submissions/{only_submission().id}", "/roleplays/demo-card"):
        page = client.get(url).get_data(as_text=True)
        assert "请补上具体的回电时间" in page and "安抚得不够具体" in page and "没有时间承诺" in page
    hand_in(client, SECOND)
    item = only_submission()
    assert item.status == "resubmitted"
    assert notices("roleplay.came-back") == [instructor.id] and outsider.id not in notices("roleplay.arrived")
    levels, comments = item.chosen()
    assert levels == {"calm-first": 1, "solution": 0} and set(comments.values()) == {
        ""
    }  # levels kept, comments cleared
    assert item.overall_comment == ""

    login(client, instructor)
    page = client.get(f"/grading/{item.id}").get_data(as_text=True)
    assert 'id="lv-calm-first-1" value="1"' in page and "checked" in page.split('id="lv-calm-first-1"')[1][:120]
    assert "安抚得不够具体</textarea>" not in page  # the comment box starts empty
    assert "第 1 轮" in page and "安抚得不够具体" in page  # the round keeps its comments
    assert "<ins>" in page and "<del>" in page and "&lt;b&gt;" in page and "<b>抱歉</b>" not in page
    grade_post(client, item, levels={"calm-first": 2, "solution": 1}, overall="好多了")
    login(client, trainee)
    page = client.get(f"/submissions/{item.id}").get_data(as_text=True)
    assert "第 1 轮" in page and "没有时间承诺" in page and "好多了" in page and "<ins>" in page


def test_trainee_sees_own_self_score_beside_the_grade(client):
    trainee, instructor = people()
    login(client, trainee)
    client.post("/roleplays/demo-card/self-score", data={"level-calm-first": "2", "level-solution": "2"})
    hand_in(client, SECOND)
    login(client, instructor)
    assert "你的自评" not in client.get(f"/submissions/{only_submission().id}").get_data(as_text=True)
    grade_post(client, only_submission(), levels={"calm-first": 1, "solution": 1})
    page = client.get(f"/submissions/{only_submission().id}").get_data(as_text=True)
    assert "你的自评" not in page  # private to the trainee
    login(client, trainee)
    page = client.get(f"/submissions/{only_submission().id}").get_data(as_text=True)
    assert "你的自评总分 10 / 10，讲师评分 5 / 10" in page and page.count("你的自评：") == 2
