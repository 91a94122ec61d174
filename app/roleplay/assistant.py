"""Grading assistant: observable behaviours and warned-against phrases in a written response.

Pure functions. Each rule names the source document that teaches it. The findings are hints for
the grader only; they never set a level or a grade.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

NUM = r"(?:\d+|[一二两三四五六七八九十半]+)"
CN_NUM = r"[一二两三四五六七八九十半]+"
DAY = r"(?:今天|明天|后天|今晚|明早|(?:本|这|下)?周[一二三四五六日天]|星期[一二三四五六日天]|本周|这周|下周)"
PART = r"(?:上午|下午|中午|晚上|早上|傍晚)"
CLOCK = rf"(?:{PART}\s*{NUM}|\d{{1,2}})\s*点(?:半|钟|\s*\d{{1,2}}\s*分)?"
BEFORE = r"(?:之前|以前|之内|以内|前|内)"
FEELINGS = (
    "生气|愤怒|气愤|恼火|着急|焦急|焦虑|失望|委屈|担心|担忧|不满|沮丧|难过|烦心|心烦|不安|无奈|为难|郁闷|头疼|不便"
)


@dataclass(frozen=True)
class Rule:
    """One behaviour to look for: good (taught) or warn (warned against), with its source."""

    key: str
    kind: str
    title: object
    source: object
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Detection:
    """One match of a rule: the phrase found and where it starts and ends in the text."""

    rule: Rule
    phrase: str
    start: int
    end: int


RULES: tuple[Rule, ...] = (
    Rule(
        "apology",
        "good",
        _l("道歉"),
        _l("004《客户沟通策略与高效服务技巧》：真诚道歉的五要素；002：真诚致歉"),
        re.compile(r"对不起|抱歉|道歉|致歉|不好意思|请(?:您|你)?原谅"),
    ),
    Rule(
        "feeling",
        "good",
        _l("说出客户的感受"),
        _l("004《客户沟通策略与高效服务技巧》：表达同理心的六步骤——识别情绪、表达理解"),
        re.compile(
            rf"(?:您|你|换(?:作|成)?是?我)(?:现在|一定|肯定|确实|真的|的确|也|当然|会|是)*"
            rf"(?:感到|觉得|感觉)?(?:很|非常|特别|十分|有些|有点|太|挺|多么)?(?:{FEELINGS})"
        ),
    ),
    Rule(
        "time-commitment",
        "good",
        _l("具体的时间承诺"),
        _l("004《客户沟通策略与高效服务技巧》：SMART 承诺——有时限"),
        re.compile(
            rf"{DAY}\s*(?:{PART}\s*)?(?:{CLOCK}\s*)?{BEFORE}|{DAY}\s*{PART}(?:\s*{CLOCK})?|{DAY}\s*{CLOCK}"
            rf"|\d+\s*(?:个)?\s*(?:分钟|小时|工作日|天)(?:\s*{BEFORE})?"
            rf"|{CN_NUM}\s*(?:个)?\s*(?:分钟|小时|工作日|天)\s*{BEFORE}|{CLOCK}\s*{BEFORE}"
        ),
    ),
    Rule(
        "restate",
        "good",
        _l("复述问题"),
        _l("004《客户沟通策略与高效服务技巧》：复述确认法"),
        re.compile(
            r"如果我(?:没有?)?理解(?:得)?(?:正确|没错|得对|对)|我理解得对吗|我(?:再)?(?:确认|复述|重复|总结)一下"
            r"|(?:您|你)(?:的意思是|是说|刚才说|刚才提到|提到的|主要(?:担心|关心|是说|是想)的?是?)"
            r"|也就是说|换句话说"
        ),
    ),
    Rule(
        "commonplace",
        "warn",
        _l("“这是常有的事”"),
        _l("002《专卖店客户服务管理模式》：客诉处理禁止事项——告诉顾客“这是常有的事”"),
        re.compile(r"这是常有的事|常有的事|这种(?:事|情况|问题)(?:很|是|也)?(?:常见|经常发生|经常有|难免)"),
    ),
    Rule(
        "impossible",
        "warn",
        _l("否定的语言：“不可能”"),
        _l("000《客户服务人员的行为规范》：受理投诉时不得采用否定的语言"),
        re.compile(r"不可能|办不到|没(?:有)?办法"),
    ),
    Rule(
        "but",
        "warn",
        _l("转折词“但是”"),
        _l("004《客户沟通策略与高效服务技巧》：避免使用“但是”这类转折词，改用“同时”“另外”"),
        re.compile(r"(?<!不)但是(?!否)"),
    ),
    Rule(
        "blame",
        "warn",
        _l("责难客户"),
        _l("002《专卖店客户服务管理模式》：客诉处理禁止事项——吹毛求疵，责难顾客"),
        re.compile(
            r"(?:都是|就是|是)(?:您|你)(?:自己)?的(?:问题|错|责任|原因)|(?<![不难])怪(?:您|你)"
            r"|(?:您|你)(?:自己)?(?:操作不当|使用不当|操作失误|用错了|弄坏|搞错|没(?:有)?(?:按照?说明|仔细|注意|备份|看说明))"
            r"|使用不当|谁让(?:您|你)|(?:您|你)(?:当初|当时)?(?:为什么|怎么)(?:不|没)|(?:您|你)应该早"
        ),
    ),
)


def detect(text: str, rules: tuple[Rule, ...] = RULES) -> list[Detection]:
    """Every match of every rule in the text, ordered by position."""
    found = [
        Detection(rule, match.group(0), match.start(), match.end())
        for rule in rules
        for match in rule.pattern.finditer(text)
    ]
    return sorted(found, key=lambda d: (d.start, -d.end))


def by_rule(detections: list[Detection], rules: tuple[Rule, ...] = RULES) -> list[tuple[Rule, list[Detection]]]:
    """Group detections under every rule (rules without matches get an empty list)."""
    return [(rule, [d for d in detections if d.rule.key == rule.key]) for rule in rules]


def segments(text: str, detections: list[Detection]) -> list[tuple[str, Detection | None]]:
    """Split the text into plain and highlighted pieces (overlapping matches: the earlier wins)."""
    pieces: list[tuple[str, Detection | None]] = []
    position = 0
    for detection in detections:
        if detection.start < position:
            continue
        if detection.start > position:
            pieces.append((text[position : detection.start], None))
        pieces.append((text[detection.start : detection.end], detection))
        position = detection.end
    if position < len(text):
        pieces.append((text[position:], None))
    return pieces
