"""Grading assistant: observable behaviours and warned-against phrases in a written response.

Pure functions. Each rule names the module (course, module and section heading) that teaches it;
a rubric's ``assistant:`` list (``RuleUse``) picks the rules that apply to it, the criterion a hint
comments on, and may point a rule at another module. Only the service person's lines are read:
lines the response gives to the customer (``客户：…``) are skipped, so a complaint's "等了8天"
is not taken for a time commitment. The findings are hints for the grader only; they never set a
level or a grade.
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
WITHIN = r"(?:之内|以内|内)"  # after a duration ("3天前" is "three days ago", "3天内" a promise)
FEELINGS = (
    "生气|愤怒|气愤|恼火|着急|焦急|焦虑|失望|委屈|担心|担忧|不满|沮丧|难过|烦心|心烦|不安|无奈|为难|郁闷|头疼|不便"
)


@dataclass(frozen=True)
class Rule:
    """One behaviour to look for: good (taught) or warn (warned against), with the module section that teaches it."""

    key: str
    kind: str
    title: object
    course: str  # course slug
    module: str  # module slug (the file name without its NN- prefix)
    section: str  # the heading of the section that teaches it
    pattern: re.Pattern[str]
    reject: re.Pattern[str] | None = None  # a match whose preceding text ends so is not one (e.g. "等了" before "8天")


@dataclass(frozen=True)
class Detection:
    """One match of a rule: the phrase found and where it starts and ends in the text."""

    rule: Rule
    phrase: str
    start: int
    end: int


@dataclass(frozen=True)
class RuleUse:
    """A rule as a rubric applies it: the criterion its hints comment on, and the module section it cites."""

    rule: Rule
    criterion: str | None
    course: str
    module: str
    section: str


RULES: tuple[Rule, ...] = (
    Rule(
        "apology",
        "good",
        _l("道歉"),
        "communication-skills",
        "complaints-apology",
        "真诚道歉的五要素",
        re.compile(r"对不起|抱歉|道歉|致歉|不好意思|请(?:您|你)?原谅"),
    ),
    Rule(
        "feeling",
        "good",
        _l("说出客户的感受"),
        "communication-skills",
        "empathy-trust",
        "共情表达的六步骤",
        re.compile(
            rf"(?:您|你|换(?:作|成)?是?我)(?:现在|一定|肯定|确实|真的|的确|也|当然|会|是|的|受)*"
            rf"(?:感到|觉得|感觉)?(?:很|非常|特别|十分|有些|有点|太|挺|多么)?(?:{FEELINGS})"
        ),
    ),
    Rule(
        "time-commitment",
        "good",
        _l("具体的时间承诺"),
        "communication-skills",
        "empathy-trust",
        "服务承诺与兑现",
        re.compile(
            rf"{DAY}\s*(?:{PART}\s*)?(?:{CLOCK}\s*)?{BEFORE}|{DAY}\s*{PART}(?:\s*{CLOCK})?|{DAY}\s*{CLOCK}"
            rf"|\d+\s*(?:个)?\s*(?:分钟|小时|工作日|天)(?:\s*{WITHIN})?(?![了前来多])"
            rf"|{CN_NUM}\s*(?:个)?\s*(?:分钟|小时|工作日|天)\s*{WITHIN}|{CLOCK}\s*{BEFORE}"
            rf"|{DAY}\s*(?:下班|中午|午饭|营业结束)\s*{BEFORE}"
            rf"|(?:{NUM}|半)\s*(?:个)?\s*(?:分钟|小时)\s*(?:后|以后|之后)(?=\s*(?:我|我们|师傅|工程师|会|就|给您|给你))"
            rf"|(?:{DAY}|{PART})(?=\s*(?:我|我们)?\s*(?:会|一定|就)?\s*(?:给您|给你|上门|回复|回电|联系您|答复|通知您|送到|送过去))"
        ),
        # a duration that already passed ("您等了8天", "已经三天", "修了两次用了5天") is no promise
        re.compile(r"(?:等了|已经|足足|整整|拖了|过了|用了|坏了|修了|耽误了|晚了|迟了|快|前|这|那|近|最近|过去)\s*$"),
    ),
    Rule(
        "restate",
        "good",
        _l("复述问题"),
        "communication-skills",
        "needs-discovery",
        "复述确认法",
        re.compile(
            r"如果我(?:没有?)?理解(?:得)?(?:正确|没错|得对|对)|我理解得对吗|我(?:再|先)?(?:确认|复述|重复|总结|核对)一下"
            r"|(?:您|你)(?:的意思是|是说|刚才说|刚才提到|提到的|主要(?:担心|关心|是说|是想)的?是?)"
            r"|也就是说|换句话说"
            r"|我(?:先|来)?(?:把|将)[^。！？?\n]{0,30}?(?:记下来|记录下来|记好了?|记一下|记录一下)"
            r"[^？?\n]{0,80}?(?:对吗|是吗|对不对|是不是|没错吧|有没有遗漏|有遗漏吗)"
            r"|(?:我(?:这边)?记(?:下|录)(?:的是|下来的是)|我听到的是|我理解的是)"
        ),
    ),
    Rule(
        "commonplace",
        "warn",
        _l("“这是常有的事”"),
        "store-after-sales",
        "complaint-handling",
        "客诉处理禁止事项",
        re.compile(r"这是常有的事|常有的事|这种(?:事|情况|问题)(?:很|是|也)?(?:常见|经常发生|经常有|难免)"),
    ),
    Rule(
        "impossible",
        "warn",
        _l("否定的语言：“不可能”"),
        "service-behaviour",
        "process-norms",
        "三、投诉处理",
        re.compile(r"不可能|办不到|没(?:有)?办法"),
        re.compile(r"(?:不是|并非|绝不是|没有什么|哪有)\s*$"),
    ),
    Rule(
        "but",
        "warn",
        _l("转折词“但是”"),
        "communication-skills",
        "objections-refusal",
        "处理客户异议的四个步骤",
        re.compile(r"(?<![不])但是(?!否)"),
    ),
    Rule(
        "blame",
        "warn",
        _l("责难客户"),
        "store-after-sales",
        "complaint-handling",
        "客诉处理禁止事项",
        re.compile(
            r"(?:都是|就是|是)(?:您|你)(?:自己)?的(?:问题|错|责任|原因)|(?<![不难])怪(?:您|你)"
            r"|(?:您|你)(?:自己)?(?:操作不当|使用不当|操作失误|用错了|弄坏|搞错|没(?:有)?(?:按照?说明|仔细|注意|备份|看说明))"
            r"|使用不当|谁让(?:您|你)|(?:您|你)(?:当初|当时)?(?:为什么|怎么)(?:不|没)|(?:您|你)应该早"
        ),
    ),
)
RULE_KEYS = tuple(rule.key for rule in RULES)
CUSTOMER_LINE = re.compile(r"^[ \t]*(?:客户|顾客|客人|用户|来电人|对方)[^：:\n]{0,6}[：:].*$", re.MULTILINE)


def default_uses(rules: tuple[Rule, ...] = RULES) -> tuple[RuleUse, ...]:
    """Every rule with its own module section and no criterion (a rubric without ``assistant:``)."""
    return tuple(RuleUse(rule, None, rule.course, rule.module, rule.section) for rule in rules)


def uses(definition: dict | None) -> tuple[RuleUse, ...]:
    """The rules a rubric version applies (its ``assistant:`` list, in that order), or every rule by default."""
    listed = (definition or {}).get("assistant")
    if not listed:
        return default_uses()
    by_key = {rule.key: rule for rule in RULES}
    found = []
    for entry in listed:
        rule = by_key.get(entry.get("rule"))
        if rule is not None:
            found.append(
                RuleUse(
                    rule,
                    entry.get("criterion"),
                    entry.get("course") or rule.course,
                    entry.get("module") or rule.module,
                    entry.get("section") or rule.section,
                )
            )
    return tuple(found)


def service_text(text: str) -> str:
    """The response with the customer's lines blanked out (same length, so positions stay)."""
    return CUSTOMER_LINE.sub(lambda m: " " * len(m.group(0)), text)


def detect(text: str, rules: tuple[Rule, ...] = RULES) -> list[Detection]:
    """Every match of every rule in the service person's lines, ordered by position."""
    searched = service_text(text)
    found = [
        Detection(rule, match.group(0), match.start(), match.end())
        for rule in rules
        for match in rule.pattern.finditer(searched)
        if rule.reject is None or not rule.reject.search(searched[max(0, match.start() - 6) : match.start()])
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
