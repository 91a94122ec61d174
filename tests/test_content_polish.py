"""Editorial rules of the curriculum that a machine can check, and the glossary and card-channel checks.

The learner reads about their work, never about the source documents; other companies' rules are
examples from a named company; gaps are marked fill-ins listed in docs/content-spec.md; every module
ends with a recap and links to the glossary; every card's rubric can be observed on the card's channel.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import opencc
import pytest
import yaml

from app.content.loader import CHANNELS
from app.content.render import glossary_links, render_markdown
from app.content.validate import check

ROOT = Path(__file__).resolve().parents[1]
TEST_CONTENT = Path(__file__).parent / "data" / "content"
LEARNER_FILES = sorted(
    [*ROOT.glob("courses/**/*.md"), ROOT / "courses" / "glossary.yaml", *ROOT.glob("quizzes/**/*.yaml")]
)
IDS = [str(p.relative_to(ROOT)) for p in LEARNER_FILES]

# Phrases that talk about the source documents instead of the learner's work.
SOURCE_TALK = (
    "现有材料",
    "现有内容",
    "现有页面",
    "原材料",
    "原始材料",
    "培训材料",
    "原文",
    "原话",
    "文档",
    "资料中",
    "本材料",
    "名称不在",
    "补写",
    "课件",
    "提纲",
    "前五页",
    "打散",
    "不在现有",
    "本课程依据",
)
SCHOOL_WORDING = ("期末", "同学", "上台", "课外", "传呼机", "收音机")
# Another company's rules presented as the learner's own.
BORROWED_AS_OWN = ("本企业的服务标准", "我们的服务理念是", "本店的服务理念", "本店的服务目标", "本店的工作使命")
FILL_IN = re.compile(r"【由本公司补充：([^】]+)】")
# What only a person in the room can see; "当面时…" clauses say so explicitly and are ignored.
VISUAL = (
    "着装",
    "工作服",
    "工作牌",
    "仪表",
    "站姿",
    "坐姿",
    "目光",
    "眼神",
    "点头",
    "肢体",
    "身体语言",
    "双手",
    "名片",
    "倒茶",
)
IN_PERSON_CLAUSE = re.compile(r"当面时[^，；）)]*")


@pytest.fixture(scope="module")
def loaded():
    return check(ROOT)


@pytest.fixture(scope="module")
def content(loaded):
    return loaded[0]


@pytest.fixture(scope="module")
def courses(content):
    return {c.slug: c for c in content.courses}


@pytest.fixture(scope="module")
def rubrics(content):
    return {r.slug: r for r in content.rubrics}


def _lines(path: Path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if path.suffix == ".yaml" and line.lstrip().startswith("#"):
            continue  # YAML comments are for authors
        yield number, line


def test_content_check_passes_without_warnings(loaded):
    assert [str(p) for p in loaded[1]] == []


@pytest.mark.parametrize("path", LEARNER_FILES, ids=IDS)
def test_no_talk_about_the_source_documents(path):
    found = [f"{number}: {phrase}" for number, line in _lines(path) for phrase in SOURCE_TALK if phrase in line]
    assert not found, found


@pytest.mark.parametrize("path", LEARNER_FILES, ids=IDS)
def test_workplace_wording_not_school_or_dated_wording(path):
    found = [f"{number}: {word}" for number, line in _lines(path) for word in SCHOOL_WORDING if word in line]
    assert not found, found


@pytest.mark.parametrize("path", LEARNER_FILES, ids=IDS)
def test_other_companies_rules_are_not_presented_as_our_own(path):
    found = [f"{number}: {p}" for number, line in _lines(path) for p in BORROWED_AS_OWN if p in line]
    assert not found, found


def test_glossary_is_simplified_chinese_without_artefacts():
    text = (ROOT / "courses" / "glossary.yaml").read_text(encoding="utf-8")
    converted = opencc.OpenCC("t2s").convert(text)
    assert [(a, b) for a, b in zip(text, converted, strict=False) if a != b] == []
    assert "??" not in text and "？？" not in text


def test_fill_ins_use_one_marker_and_are_listed_in_the_content_spec():
    spec = (ROOT / "docs" / "content-spec.md").read_text(encoding="utf-8")
    markers = []
    for path in LEARNER_FILES:
        for number, line in _lines(path):
            # every bracketed "由本公司补充" is the full marker; no other bracket style
            assert line.count("由本公司补充：") == len(FILL_IN.findall(line)), f"{path}:{number}"
            markers += [(path, number, m.group(0)) for m in FILL_IN.finditer(line)]
    assert len(markers) >= 15
    missing = [f"{p.relative_to(ROOT)}:{n} {m}" for p, n, m in markers if f"`{p.relative_to(ROOT)}` | {m}" not in spec]
    assert not missing, "fill-ins not listed in docs/content-spec.md: " + "; ".join(missing)


def test_the_store_54321_gaps_are_fill_ins(courses):
    body = next(m.body for m in courses["store-after-sales"].modules if m.slug == "system-54321")
    assert "【由本公司补充：标准之一" in body and "【由本公司补充：标准之二" in body
    assert "【由本公司补充：三个控制点" in body and "【由本公司补充：四张表格的样表" in body


def test_every_module_ends_with_a_recap(content):
    for course in content.courses:
        for module in course.modules:
            headings = re.findall(r"^## (.+)$", module.body, re.M)
            assert headings and headings[-1] == "本节要点", module.path
            assert headings.count("本节要点") == 1, module.path
            recap = module.body.split("## 本节要点", 1)[1]
            assert len(re.findall(r"^- \S", recap, re.M)) >= 2, module.path


def test_every_module_links_to_the_glossary(content):
    terms = {t.slug for t in content.glossary}
    assert len(terms) >= 40
    for course in content.courses:
        for module in course.modules:
            anchors = [anchor for anchor, _ in glossary_links(module.body)]
            assert anchors, module.path
            assert set(anchors) <= terms, (module.path, set(anchors) - terms)


def test_glossary_links_resolve_everywhere(content, courses):
    terms = {t.slug for t in content.glossary}
    texts = [(c.path, c.intro) for c in content.courses]
    texts += [(m.path, m.body) for c in content.courses for m in c.modules]
    texts += [(card.path, card.body) for c in content.courses for card in c.cards]
    texts += [(t.path, t.definition) for t in content.glossary]
    for path, text in texts:
        for anchor, offset in glossary_links(text):
            assert anchor in terms, f"{path} (+{offset}): /glossary#{anchor}"
        for course_slug, module_slug in re.findall(r"\]\(/courses/([a-z0-9-]+)/([a-z0-9-]+)\)", text):
            assert module_slug in {m.slug for m in courses[course_slug].modules}, (path, course_slug, module_slug)


def test_glossary_links_survive_rendering():
    html = render_markdown("见[有级别投诉](/glossary#graded-complaint)。")
    assert 'href="/glossary#graded-complaint"' in html


def test_box_titles_hold_no_links(content):
    for course in content.courses:
        for module in course.modules:
            assert not re.search(r"^::: \w+ .*\]\(", module.body, re.M), module.path


@pytest.mark.parametrize(("term", "anchor"), [("无级别抱怨", "ungraded-grievance"), ("有级别", "graded-complaint")])
def test_graded_and_ungraded_complaints_are_explained_where_first_used(content, term, anchor):
    for course in sorted(content.courses, key=lambda c: c.order):
        for module in course.modules:
            lines = [line for line in module.body.splitlines() if term in line]
            if lines:
                assert f"/glossary#{anchor}" in lines[0], (module.path, lines[0][:60])
                glossary = {t.slug: t.definition for t in content.glossary}
                assert "解读" in glossary[anchor]
                return
    pytest.fail(f"{term} is not used in any module")


def test_the_twenty_percent_statistic_is_glossed_where_it_appears(content):
    seen = 0
    for course in content.courses:
        for module in course.modules:
            if "20% 的人再讲给" in module.body.replace("**", ""):
                seen += 1
                assert "扩散的趋势" in module.body, module.path
    assert seen >= 2


@pytest.mark.parametrize(
    ("course", "module", "phrase"),
    [
        ("store-after-sales", "complaint-handling", "四大原则"),
        ("complaint-handling", "feelings-first", "四大原则"),
        ("store-after-sales", "complaint-handling", "一般客诉处理流程"),
        ("complaint-handling", "five-step-process", "一般客诉处理流程"),
    ],
)
def test_the_courses_own_readings_are_marked_as_interpretations(courses, course, module, phrase):
    body = next(m.body for m in courses[course].modules if m.slug == module)
    section = body[body.index(phrase) :]
    assert "本课程的解读" in section[:600], (course, module, phrase)


def test_time_standards_are_compared_and_deferred_to_the_company(courses):
    body = next(m.body for m in courses["complaint-handling"].modules if m.slug == "five-step-process")
    comparison = body[body.index("## 几种投诉处理框架与时间标准的比较") :]
    for figure in ("2 小时", "24 小时", "15 分钟", "3 天"):
        assert figure in comparison, figure
    assert "以本企业标准为准" in comparison
    for slug in ("timing-follow-up", "complaints-apology"):
        assert "以本企业标准为准" in next(m.body for m in courses["communication-skills"].modules if m.slug == slug)


def test_risky_promises_only_appear_in_the_caveat(content):
    for course in content.courses:
        for module in course.modules:
            box = None
            for line in module.body.splitlines():
                if line.startswith(":::"):
                    box = line[3:].strip().split(" ", 1)[0] or None
                    continue
                for phrase in ("100%满意保证", "无条件退款"):
                    if phrase in line:
                        assert box == "warning", (module.path, line[:60])


def test_communication_modules_each_have_a_case_with_questions(courses):
    for module in courses["communication-skills"].modules:
        cases = re.findall(r"^::: case .+?^:::$", module.body, re.M | re.S)
        assert cases, module.path
        assert any("**思考：**" in c and re.search(r"^1\. \S", c, re.M) for c in cases), module.path


def test_every_card_declares_a_channel_its_rubric_fits(content, rubrics):
    cards = [card for c in content.courses for card in c.cards]
    assert {card.channel for card in cards} >= {"face-to-face", "phone"}
    for card in cards:
        assert card.channel in CHANNELS, card.path
        for criterion in rubrics[card.rubric].definition["criteria"]:
            assert card.channel in criterion.get("observable", []), (card.path, card.rubric, criterion["key"])


def test_the_two_misgraded_cards_have_rubrics_that_fit(content, rubrics):
    cards = {card.slug: card for c in content.courses for card in c.cards}
    phone = cards["new-customer-features"]
    assert phone.channel == "phone"
    for criterion in rubrics[phone.rubric].definition["criteria"]:
        text = criterion["title"] + "".join(level["text"] for level in criterion["levels"])
        assert not any(word in text for word in ("形象", "着装", "站姿", "工作牌")), criterion["key"]
    repair = cards["urgent-phone-repair"]
    titles = "".join(c["title"] for c in rubrics[repair.rubric].definition["criteria"])
    assert "选择" in titles and "期望" in titles


def test_criteria_observable_by_phone_do_not_rely_on_sight(rubrics):
    for rubric in rubrics.values():
        for criterion in rubric.definition["criteria"]:
            if "phone" not in criterion.get("observable", []):
                continue
            for level in criterion["levels"]:
                text = IN_PERSON_CLAUSE.sub("", level["text"])
                seen = [word for word in VISUAL if word in text]
                assert not seen, (rubric.slug, criterion["key"], level["points"], seen)


def _knowledge_singles(content):
    for quiz in content.quizzes:
        if quiz.kind == "knowledge":
            for q in quiz.definition["questions"]:
                if q["type"] == "single":
                    yield quiz.slug, q


def test_the_right_option_is_not_visibly_the_longest(content):
    singles = list(_knowledge_singles(content))
    longest = []
    for slug, q in singles:
        lengths = {o["key"]: len(o["text"]) for o in q["options"]}
        right = q["answer"][0]
        others = [n for key, n in lengths.items() if key != right]
        if lengths[right] > max(others):
            longest.append((slug, q["id"]))
            assert lengths[right] < 1.3 * max(others), (slug, q["id"], lengths)
    assert len(singles) >= 30
    assert len(longest) <= len(singles) // 4, longest


def test_questions_do_not_test_research_claims_or_what_is_merely_mentioned(content):
    for quiz in content.quizzes:
        for q in quiz.definition["questions"]:
            assert "研究表明" not in q["text"], (quiz.slug, q["id"])
            assert "提到的" not in q["text"], (quiz.slug, q["id"])


def test_posture_questions_of_the_first_impression_test_point_at_the_module_that_teaches_them(content, courses):
    quiz = next(q for q in content.quizzes if q.slug == "first-impression")
    modules = {m.slug: m.body for m in courses[quiz.course].modules}
    posture = [q for q in quiz.definition["questions"] if "坐姿" in q["text"] or "姿态" in q["text"]]
    assert len(posture) == 2
    for q in posture:
        best = max(q["options"], key=lambda o: o["score"])["text"].lstrip("我")
        assert q.get("module") in modules, q["id"]
        assert best in modules[q["module"]], (q["id"], q["module"], best)


# --- the loader and validator on small content ---------------------------------------------------


def _copy_test_content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, root)
    return root


def _set_front(path: Path, key: str, value: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\n---\n", f"\n{key}: {value}\n---\n", 1), encoding="utf-8")


def _rubric_file(root: Path) -> Path:
    return next((root / "quizzes" / "rubrics").glob("*.yaml"))


def _card_file(root: Path) -> Path:
    return next((root / "courses").glob("*/roleplays/*.md"))


def _declare_observable(root: Path, channels: str) -> None:
    path = _rubric_file(root)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for criterion in data["criteria"]:
        criterion["observable"] = yaml.safe_load(channels)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_a_card_on_a_channel_its_rubric_cannot_observe_is_reported(tmp_path):
    root = _copy_test_content(tmp_path)
    _declare_observable(root, "[face-to-face]")
    card = _card_file(root)
    _set_front(card, "channel", "phone")
    problems = [str(p) for p in check(root)[1]]
    rel = str(card.relative_to(root))
    assert any(p.startswith(rel) and "channel:" in p and "not observable on a phone" in p for p in problems), problems


def test_a_card_must_declare_its_channel_once_its_rubric_declares_observability(tmp_path):
    root = _copy_test_content(tmp_path)
    _declare_observable(root, "[face-to-face, phone]")
    problems = [str(p) for p in check(root)[1]]
    rel = str(_card_file(root).relative_to(root))
    assert any(p.startswith(rel) and "channel: required" in p for p in problems), problems
    _set_front(_card_file(root), "channel", "phone")
    assert [str(p) for p in check(root)[1] if not p.warning] == []


def test_unknown_channels_are_reported_with_file_and_field(tmp_path):
    root = _copy_test_content(tmp_path)
    _declare_observable(root, "[face-to-face, video]")
    card = _card_file(root)
    _set_front(card, "channel", "carrier-pigeon")
    problems = [str(p) for p in check(root)[1]]
    assert any(str(card.relative_to(root)) in p and "channel: must be one of" in p for p in problems), problems
    assert any("observable[1]: unknown channel 'video'" in p for p in problems), problems


def test_a_glossary_link_to_no_term_is_reported_with_file_and_line(tmp_path):
    root = _copy_test_content(tmp_path)
    (root / "courses" / "glossary.yaml").write_text(
        "terms:\n  - slug: graded-complaint\n    term: 有级别投诉\n    definition: 已经定级的投诉。\n",
        encoding="utf-8",
    )
    module = sorted((root / "courses").glob("*/0*.md"))[0]
    lines = module.read_text(encoding="utf-8").rstrip("\n").splitlines()
    lines += ["", "见[有级别投诉](/glossary#graded-complaint)和[没有的词](/glossary#no-such-term)。"]
    module.write_text("\n".join(lines) + "\n", encoding="utf-8")
    content, problems = check(root)
    assert [t.slug for t in content.glossary] == ["graded-complaint"]
    messages = [str(p) for p in problems]
    rel = str(module.relative_to(root))
    assert f"{rel}:{len(lines)}: link to /glossary#no-such-term: no such term in courses/glossary.yaml" in messages
    assert not any("graded-complaint" in m for m in messages)


def test_glossary_file_problems_are_reported(tmp_path):
    root = _copy_test_content(tmp_path)
    (root / "courses" / "glossary.yaml").write_text(
        "terms:\n"
        "  - {slug: a-term, term: 甲, definition: 一}\n"
        "  - {slug: a-term, term: 乙, definition: 二}\n"
        "  - {slug: Bad Slug, term: 丙, definition: 三}\n"
        "  - {slug: c-term, term: 甲, definition: 四, colour: red}\n",
        encoding="utf-8",
    )
    messages = [str(p) for p in check(root)[1]]
    assert "courses/glossary.yaml:3: terms[1].slug: duplicate term slug 'a-term'" in messages
    assert any(m.startswith("courses/glossary.yaml:4: terms[2].slug:") for m in messages)
    assert "courses/glossary.yaml:5: terms[3].term: duplicate term '甲'" in messages
    assert any(m.startswith("courses/glossary.yaml:5: terms[3].colour: unknown field") for m in messages)


# --- the glossary page ------------------------------------------------------------------------------


def test_the_glossary_page_has_an_anchor_per_term_and_module_links_reach_it(app, client, login_as):
    from app.content.sync import sync

    content, problems = check(ROOT)
    assert not [p for p in problems if not p.warning]
    sync(content)
    login_as("instructor")
    page = client.get("/glossary")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for term in content.glossary:
        assert f'id="{term.slug}"' in html
    assert "有级别投诉" in html and "术语表" in html
    module = client.get("/courses/complaint-handling/attitude-and-execution").get_data(as_text=True)
    assert 'href="/glossary#ungraded-grievance"' in module and 'href="/glossary"' in module


def test_the_glossary_page_needs_a_sign_in(client):
    response = client.get("/glossary")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_glossary_page_is_translated(app, client, login_as):
    login_as("trainee")
    client.post("/locale", data={"locale": "en", "next": "/glossary"})
    assert "Glossary" in client.get("/glossary").get_data(as_text=True)
