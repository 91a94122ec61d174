"""The grading assistant: behaviours the documents teach and phrases they warn against."""

from __future__ import annotations

import pytest

from app.roleplay.assistant import RULES, by_rule, detect, segments


def found(text: str) -> list[tuple[str, str, int]]:
    """(rule, phrase, start) for every detection."""
    return [(d.rule.key, d.phrase, d.start) for d in detect(text)]


@pytest.mark.parametrize(
    ("text", "rule", "phrase"),
    [
        ("赵先生，真的非常抱歉。", "apology", "抱歉"),
        ("对不起，让您久等了。", "apology", "对不起"),
        ("我向您道歉。", "apology", "道歉"),
        ("您现在一定很着急吧。", "feeling", "您现在一定很着急"),
        ("换作是我也会很生气。", "feeling", "换作是我也会很生气"),
        ("我能感觉到您很委屈。", "feeling", "您很委屈"),
        ("我今天下午3点前给您回电话。", "time-commitment", "今天下午3点前"),
        ("硬盘会在3个工作日内恢复。", "time-commitment", "3个工作日内"),
        ("我们两个工作日内答复您。", "time-commitment", "两个工作日内"),
        ("工程师 8 小时内上门。", "time-commitment", "8 小时内"),
        ("明天上午给您送备用机。", "time-commitment", "明天上午"),
        ("周五之前一定给您结果。", "time-commitment", "周五之前"),
        ("如果我理解得没错，是电脑第三次坏了。", "restate", "如果我理解得没错"),
        ("您的意思是文件都丢了，对吗？", "restate", "您的意思是"),
        ("我确认一下您的需求。", "restate", "我确认一下"),
        ("先生，这是常有的事。", "commonplace", "这是常有的事"),
        ("这种情况很常见，您别急。", "commonplace", "这种情况很常见"),
        ("文件全部恢复是不可能的。", "impossible", "不可能"),
        ("这个我们没办法。", "impossible", "没办法"),
        ("我理解，但是规定就是这样。", "but", "但是"),
        ("这是您自己操作不当造成的。", "blame", "您自己操作不当"),
        ("都是你的问题。", "blame", "都是你的问题"),
        ("您当时为什么不备份？", "blame", "您当时为什么不"),
    ],
)
def test_rule_finds_phrase_at_its_position(text, rule, phrase):
    assert (rule, phrase, text.index(phrase)) in found(text)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("这不但是电脑的问题，也是服务的问题。", "but"),  # 不但是 is not a turn
        ("但是否换机要等主管审批。", "but"),  # 但 + 是否
        ("快一点吧，有一天会好的。", "time-commitment"),  # 一点 / 一天 are not times
        ("今天天气很好。", "time-commitment"),  # a day word alone is not a commitment
        ("难怪您生气，这不怪您。", "blame"),  # 难怪 / 不怪 are not blaming
        ("我们会尽快处理。", "apology"),
    ],
)
def test_rule_does_not_fire_on_look_alikes(text, rule):
    assert rule not in {key for key, _, _ in found(text)}


def test_every_rule_names_its_source_module():
    for rule in RULES:
        assert rule.kind in ("good", "warn")
        assert (
            rule.course and rule.module and rule.section
        )  # checked against the course files in test_grading_assistant


def test_detections_are_ordered_and_grouped_under_every_rule():
    text = "这是常有的事，但是非常抱歉。"
    detections = detect(text)
    assert [d.start for d in detections] == sorted(d.start for d in detections)
    groups = dict((rule.key, hits) for rule, hits in by_rule(detections))
    assert set(groups) == {rule.key for rule in RULES}
    assert [d.phrase for d in groups["apology"]] == ["抱歉"]
    assert groups["restate"] == []


def test_segments_rebuild_the_text_and_mark_each_phrase_once():
    text = "您好，这是常有的事，但是我们很抱歉。"
    pieces = segments(text, detect(text))
    assert "".join(piece for piece, _ in pieces) == text
    assert [piece for piece, hit in pieces if hit] == ["这是常有的事", "但是", "抱歉"]
