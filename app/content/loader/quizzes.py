"""Quiz files: ``quizzes/<quiz-slug>.yaml`` — questions (rules per type from the question-type
registry), self-assessment bands and scales, knowledge-check answers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.assessments import pools
from app.assessments.enums import QuizKind
from app.assessments.question_types import REGISTRY, QuestionType, question_type
from app.assessments.review import DEFAULT_POLICY, POLICIES
from app.content.loader.common import SLUG_RE, Problem, Reader, either, read_text


@dataclass
class QuizData:
    """A quiz file; ``definition`` is the normalised, versioned part."""

    slug: str
    title: str
    kind: str
    course: str | None
    module: str | None
    instructions: str
    max_attempts: int | None
    cooldown_minutes: int
    pass_percent: int | None
    shuffle: bool
    definition: dict[str, Any]
    path: str
    review: str = "immediate"  # immediate | after-pass | never (app.assessments.review)
    time_limit: int | None = None  # minutes per attempt


QUIZ_FIELDS = {
    "title",
    "kind",
    "course",
    "module",
    "instructions",
    "max_attempts",
    "cooldown_minutes",
    "cooldown",
    "pass_percent",
    "shuffle",
    "questions",
    "bands",
    "scales",
    "review",
    "time_limit",
    "draw",
}
QUESTION_FIELDS = {"id", "type", "text", "options", "module", "scale", "reverse"}
KNOWLEDGE_FIELDS = {"answer", "explanation", "tags"}  # on a knowledge check's questions
DRAW_FIELDS = {"tag", "type", "count"}
MAX_TIME_LIMIT = 600  # minutes


def load_quiz(path: Path, root: Path, problems: list[Problem]) -> QuizData | None:
    """Read one quiz file."""
    reader = Reader(path, root, problems)
    if not SLUG_RE.match(path.stem):
        problems.append(Problem(reader.rel, f"quiz file name '{path.stem}' is not a slug"))
        return None
    text = read_text(path, root, problems)
    if text is None:
        return None
    data = reader.parse(text)
    if data is None:
        if not any(p.path == reader.rel for p in problems):
            problems.append(Problem(reader.rel, "the file is empty"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(reader.rel, "must be a mapping of fields", 1))
        return None
    reader.unknown_keys(data, (), QUIZ_FIELDS)
    title = reader.text(data, (), "title")
    kind = _kind(reader, data)
    knowledge = kind == QuizKind.KNOWLEDGE
    course = reader.require(data, (), "course", str, optional=not knowledge)
    if course is not None:
        reader.slug(course, ("course",))
    module = reader.require(data, (), "module", str, optional=True)
    if module is not None:
        reader.slug(module, ("module",))
    instructions = reader.text(data, (), "instructions", max_len=4000)
    max_attempts = reader.integer(data, (), "max_attempts", 1, 1000, optional=True)
    cooldown = _cooldown(reader, data)
    pass_percent = reader.integer(data, (), "pass_percent", 1, 100, optional=not knowledge)
    if not knowledge and data.get("pass_percent") is not None:
        reader.error(("pass_percent",), "only knowledge checks have a pass mark")
    shuffle = data.get("shuffle", knowledge)
    if not isinstance(shuffle, bool):
        reader.error(("shuffle",), "must be true or false")
        shuffle = knowledge
    questions = _questions(reader, data, kind)
    definition = _definition(reader, data, title, kind, questions, pass_percent)
    review = _review(reader, data, kind)
    time_limit = reader.integer(data, (), "time_limit", 1, MAX_TIME_LIMIT, optional=True)
    if time_limit is not None and not knowledge:
        reader.error(("time_limit",), "only knowledge checks have a time limit")
    draw = _draw(reader, data, kind, questions)
    if draw:
        definition["draw"] = draw
    if title is None or kind is None or instructions is None or not questions:
        return None
    return QuizData(
        path.stem,
        title,
        kind,
        course,
        module,
        instructions,
        max_attempts,
        cooldown,
        pass_percent,
        shuffle,
        definition,
        reader.rel,
        review=review,
        time_limit=time_limit if knowledge else None,
    )


def _cooldown(reader: Reader, data: dict) -> int:
    """``cooldown_minutes:`` (or its short form ``cooldown:``): minutes before the next attempt after one not passed."""
    if "cooldown" in data and "cooldown_minutes" in data:
        reader.error(("cooldown",), "give cooldown_minutes or cooldown, not both")
    key = "cooldown" if "cooldown" in data else "cooldown_minutes"
    return reader.integer(data, (), key, 0, 60 * 24 * 30, optional=True) or 0


def _review(reader: Reader, data: dict, kind: QuizKind | None) -> str:
    """``review:`` — what a trainee sees of their attempts; knowledge checks default to after-pass."""
    default = DEFAULT_POLICY.get(kind or "", "immediate")
    raw = data.get("review")
    if raw is None:
        return str(default)
    allowed = POLICIES.get(kind or "", POLICIES["knowledge"])
    if raw not in [str(p) for p in allowed]:
        reader.error(("review",), f"must be {either([str(p) for p in allowed])}")
        return str(default)
    return str(raw)


def _tags(reader: Reader, q: dict, path: tuple, question: dict) -> None:
    """A knowledge question's optional ``tags:`` (names the quiz's ``draw`` rules can ask for)."""
    tags = q.get("tags")
    if tags is None:
        return
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and t.strip() for t in tags):
        reader.error((*path, "tags"), "must be a list of tag names, e.g. [投诉流程]")
        return
    if any(len(t) > 40 for t in tags):
        reader.error((*path, "tags"), "a tag name has at most 40 characters")
        return
    question["tags"] = list(dict.fromkeys(t.strip() for t in tags))


def _rule_text(rule: dict) -> str:
    keys = ", ".join(f"{k}: {rule[k]}" for k in ("tag", "type") if k in rule)
    return f"{{{keys}, count: {rule['count']}}}"


def _draw(reader: Reader, data: dict, kind: QuizKind | None, questions: list[dict] | None) -> list[dict] | None:
    """``draw:`` — the rules each attempt's paper is drawn by; refused when the pool cannot satisfy them."""
    raw = data.get("draw")
    if raw is None:
        return None
    if kind != QuizKind.KNOWLEDGE:
        reader.error(("draw",), "only knowledge checks draw their questions from a pool")
        return None
    if not isinstance(raw, list) or not raw:
        reader.error(("draw",), "must be a list of rules, e.g. [{tag: 投诉流程, count: 3}, {type: multiple, count: 2}]")
        return None
    tags = {t for q in questions or [] for t in q.get("tags", [])}
    rules, ok = [], True
    for i, rule in enumerate(raw):
        path = ("draw", i)
        if not isinstance(rule, dict):
            reader.error(path, "must be a mapping {tag or type, count}")
            ok = False
            continue
        reader.unknown_keys(rule, path, DRAW_FIELDS)
        count = reader.integer(rule, path, "count", 1, 500)
        out: dict[str, Any] = {}
        if "tag" not in rule and "type" not in rule:
            reader.error(path, "needs a tag or a type (or both)")
            ok = False
        if "tag" in rule:
            tag = rule["tag"]
            if not isinstance(tag, str) or not tag.strip():
                reader.error((*path, "tag"), "must be a tag name")
                ok = False
            elif questions is not None and tag.strip() not in tags:
                reader.error((*path, "tag"), f"no question has the tag '{tag.strip()}'")
                ok = False
            else:
                out["tag"] = tag.strip()
        if "type" in rule:
            if rule["type"] not in REGISTRY:
                reader.error((*path, "type"), f"unknown type '{rule['type']}' ({', '.join(REGISTRY)})")
                ok = False
            else:
                out["type"] = rule["type"]
        if count is None:
            ok = False
        out["count"] = count
        rules.append(out)
    if not ok or not questions:
        return None
    short = pools.shortfall(rules, questions)
    if short:
        fits = "; ".join(f"{_rule_text(r)} fits {pools.candidates(r, questions)} question(s)" for r in rules)
        reader.error(
            ("draw",),
            f"the pool cannot satisfy these rules: a paper needs {pools.paper_size(rules, questions)} different "
            f"questions, {short} of them cannot be found ({fits})",
        )
        return None
    return rules


def _kind(reader: Reader, data: dict) -> QuizKind | None:
    """The quiz's ``kind:`` (None, with a problem, when it is not one of QuizKind)."""
    kind = reader.require(data, (), "kind", str)
    if kind is not None and kind not in tuple(QuizKind):
        reader.error(("kind",), f"must be {either(QuizKind)}")
        return None
    return QuizKind(kind) if kind is not None else None


def _definition(
    reader: Reader,
    data: dict,
    title: str | None,
    kind: QuizKind | None,
    questions: list[dict] | None,
    pass_percent: int | None,
) -> dict[str, Any]:
    """The versioned part of a quiz: questions, and a self-assessment's bands and scales."""
    definition: dict[str, Any] = {
        "title": title,
        "kind": kind,
        "questions": questions or [],
        "pass_percent": pass_percent,
    }
    if kind == QuizKind.SELF_ASSESSMENT and questions:
        bands = _bands(reader, data.get("bands"), ("bands",), questions, None)
        definition["bands"] = bands or []
        definition["scales"] = _scales(reader, data, questions)
    elif kind == QuizKind.KNOWLEDGE:
        for key in ("bands", "scales"):
            if key in data:
                reader.error((key,), "knowledge checks have no bands or scales")
    return definition


def _questions(reader: Reader, data: dict, kind: QuizKind | None) -> list[dict] | None:
    raw = reader.require(data, (), "questions", list)
    if raw is None:
        return None
    if not raw:
        reader.error(("questions",), "needs at least one question")
        return None
    out: list[dict] = []
    ids: set[str] = set()
    ok = True
    for i, q in enumerate(raw):
        path = ("questions", i)
        if not isinstance(q, dict):
            reader.error(path, "must be a mapping")
            ok = False
            continue
        question = _question(reader, q, path, kind, ids)
        if question is None:
            ok = False
        else:
            out.append(question)
    return out if ok else None


def _question(reader: Reader, q: dict, path: tuple, kind: QuizKind | None, ids: set[str]) -> dict | None:
    """One question (None when it has a blocking problem); ``ids`` collects the ids seen so far."""
    knowledge = kind == QuizKind.KNOWLEDGE
    reader.unknown_keys(q, path, QUESTION_FIELDS | (KNOWLEDGE_FIELDS if knowledge else set()))
    qid = reader.require(q, path, "id", (str, int))
    qid = str(qid) if qid is not None else None
    if qid is not None:
        if not SLUG_RE.match(qid):
            reader.error((*path, "id"), f"{qid!r} is not a valid id (lowercase letters, digits, hyphens)")
        elif qid in ids:
            reader.error((*path, "id"), f"duplicate question id '{qid}'")
        ids.add(qid)
    handler = _type(reader, q, path, kind)
    qtype = handler.name if handler else None
    text = reader.text(q, path, "text", max_len=2000)
    options = _options(reader, q, path, handler, knowledge)
    question: dict[str, Any] = {"id": qid, "type": qtype, "text": text, "options": options or []}
    module = reader.require(q, path, "module", str, optional=True)
    if module is not None and reader.slug(module, (*path, "module")):
        question["module"] = module
    if not knowledge:
        scale = reader.require(q, path, "scale", str, optional=True)
        if scale is not None:
            question["scale"] = scale
        reverse = q.get("reverse", False)
        if not isinstance(reverse, bool):
            reader.error((*path, "reverse"), "must be true or false")
        question["reverse"] = reverse is True
    else:
        _answer(reader, q, path, handler, options, question)
        _tags(reader, q, path, question)
    if qid is None or qtype is None or text is None or options is None:
        return None
    return question


def _type(reader: Reader, q: dict, path: tuple, kind: QuizKind | None) -> QuestionType | None:
    """The question's type from the registry (None, with a problem, when unknown)."""
    name = reader.require(q, path, "type", str)
    if name is None:
        return None
    if name not in REGISTRY:
        reader.error((*path, "type"), f"unknown type '{name}' ({', '.join(REGISTRY)})")
        return None
    handler = question_type(name)
    problem = handler.kind_problem(kind)
    if problem:
        reader.error((*path, "type"), problem)
    return handler


def _options(reader: Reader, q: dict, path: tuple, handler: QuestionType | None, knowledge: bool) -> list[dict] | None:
    rules = handler or QuestionType()  # an unknown type: only the general rules
    supplied = rules.supplied_options()
    if supplied is not None and "options" not in q:
        return supplied
    raw = reader.require(q, path, "options", list)
    if raw is None:
        return None
    too_few = rules.too_few_options(len(raw))
    if too_few:
        reader.error((*path, "options"), too_few)
        return None
    options: list[dict[str, Any]] = []
    keys: set[str] = set()
    ok = True
    for j, opt in enumerate(raw):
        option = _option(reader, opt, (*path, "options", j), knowledge, keys)
        if option is None:
            ok = False
            continue
        if option["key"] is None or option["text"] is None or (not knowledge and option["score"] is None):
            ok = False
        options.append(option)
    problem = rules.options_problem([o["key"] for o in options])
    if problem:
        reader.error((*path, "options"), problem)
        ok = False
    return options if ok else None


def _option(reader: Reader, opt: Any, opath: tuple, knowledge: bool, keys: set[str]) -> dict[str, Any] | None:
    """One option {key, text} (and ``score`` in a self-assessment); ``keys`` collects the keys seen so far."""
    if not isinstance(opt, dict):
        reader.error(opath, "must be a mapping {key, text" + ("}" if knowledge else ", score}"))
        return None
    reader.unknown_keys(opt, opath, {"key", "text"} | (set() if knowledge else {"score"}))
    key = reader.require(opt, opath, "key", (str, bool, int))
    key = {True: "Y", False: "N"}.get(key, key) if isinstance(key, bool) else key
    key = str(key) if key is not None else None
    text = reader.text(opt, opath, "text", max_len=1000)
    if key is not None:
        if key in keys:
            reader.error((*opath, "key"), f"duplicate option key '{key}'")
        keys.add(key)
    option: dict[str, Any] = {"key": key, "text": text}
    if not knowledge:
        option["score"] = reader.require(opt, opath, "score", int)
    return option


def _answer(
    reader: Reader, q: dict, path: tuple, handler: QuestionType | None, options: list[dict] | None, question: dict
) -> None:
    answer = q.get("answer")
    if isinstance(answer, (str, bool)):
        answer = [answer]
    if not isinstance(answer, list) or not answer:
        reader.error((*path, "answer"), "required: a list of option keys, e.g. [B]")
        return
    answer = [("T" if a else "F") if isinstance(a, bool) else str(a) for a in answer]
    keys = {o["key"] for o in options or []}
    for key in answer:
        if options is not None and key not in keys:
            reader.error((*path, "answer"), f"'{key}' is not one of the options ({', '.join(sorted(keys))})")
    if len(set(answer)) != len(answer):
        reader.error((*path, "answer"), "lists an option twice")
    problem = handler.answer_problem(answer) if handler and not handler.kind_problem(QuizKind.KNOWLEDGE) else None
    if problem:
        reader.error((*path, "answer"), problem)
    explanation = reader.text(q, path, "explanation", max_len=2000)
    question["answer"] = sorted(answer)
    question["explanation"] = explanation or ""


def score_range(questions: list[dict]) -> list[int]:
    """Every reachable total of a set of scored questions (reverse items mirror)."""
    reachable = {0}
    for q in questions:
        scores = [o["score"] for o in q["options"] if isinstance(o.get("score"), int)]
        if not scores:
            continue
        reachable = {t + s for t in reachable for s in set(scores)}
    return sorted(reachable)


def _bands(reader: Reader, raw: Any, path: tuple, questions: list[dict], scale: str | None) -> list[dict] | None:
    """A self-assessment's (or one scale's) bands: parsed, then checked to cover every reachable total."""
    bands = _parse_bands(reader, raw, path)
    if bands is None:
        return None
    keys = [b["key"] for b in bands]
    for i, band in enumerate(bands):
        if keys.count(band["key"]) > 1 and keys.index(band["key"]) != i:
            reader.error((*path, band["_i"], "key"), f"duplicate band key '{band['key']}'")
    scored = [q for q in questions if scale is None or q.get("scale") == scale]
    _check_coverage(reader, path, sorted(bands, key=lambda b: b["min"]), score_range(scored))
    for band in bands:
        band.pop("_i")
    return bands


def _parse_bands(reader: Reader, raw: Any, path: tuple) -> list[dict] | None:
    """Each band {key, min, max, title, text} with its index in the file as ``_i`` (None when any is unusable)."""
    if not isinstance(raw, list) or not raw:
        reader.error(path, "required: a list of bands {key, min, max, title, text}")
        return None
    bands, ok = [], True
    for i, band in enumerate(raw):
        bpath = (*path, i)
        if not isinstance(band, dict):
            reader.error(bpath, "must be a mapping")
            ok = False
            continue
        reader.unknown_keys(band, bpath, {"key", "min", "max", "title", "text"})
        key = reader.require(band, bpath, "key", str)
        lo = reader.require(band, bpath, "min", int)
        hi = reader.require(band, bpath, "max", int)
        title = reader.text(band, bpath, "title")
        text = reader.text(band, bpath, "text", max_len=4000)
        if key is None or lo is None or hi is None or title is None or text is None:
            ok = False
            continue
        if lo > hi:
            reader.error(bpath, f"min {lo} is greater than max {hi}")
            ok = False
        bands.append({"key": key, "min": lo, "max": hi, "title": title, "text": text, "_i": i})
    return bands if ok else None


def _check_coverage(reader: Reader, path: tuple, ordered: list[dict], totals: list[int]) -> None:
    """Bands (sorted by ``min``) neither overlap nor leave gaps, and cover the lowest and highest reachable totals."""
    for prev, band in zip(ordered, ordered[1:], strict=False):
        if band["min"] <= prev["max"]:
            reader.error((*path, band["_i"]), f"overlaps band '{prev['key']}' ({prev['min']}–{prev['max']})")
        elif band["min"] > prev["max"] + 1:
            reader.error((*path, band["_i"]), f"gap: totals {prev['max'] + 1}–{band['min'] - 1} have no band")
    if totals and ordered:
        if ordered[0]["min"] > totals[0]:
            reader.error((*path, ordered[0]["_i"], "min"), f"the lowest reachable total {totals[0]} has no band")
        if ordered[-1]["max"] < totals[-1]:
            reader.error((*path, ordered[-1]["_i"], "max"), f"the highest reachable total {totals[-1]} has no band")


def _scales(reader: Reader, data: dict, questions: list[dict]) -> dict[str, Any]:
    names = {q["scale"] for q in questions if q.get("scale")}
    raw = data.get("scales")
    if raw is None:
        if names:
            reader.error(("scales",), f"questions name scales ({', '.join(sorted(names))}) but no scales are defined")
        return {}
    if not isinstance(raw, dict):
        reader.error(("scales",), "must be a mapping of scale name to {title, bands}")
        return {}
    out = {}
    for name, spec in raw.items():
        spath = ("scales", name)
        if name not in names:
            reader.error(spath, "no question uses this scale")
        if not isinstance(spec, dict):
            reader.error(spath, "must be a mapping {title, bands}")
            continue
        title = reader.text(spec, spath, "title")
        bands = _bands(reader, spec.get("bands"), (*spath, "bands"), questions, name)
        out[name] = {"title": title, "bands": bands or []}
    for name in names - set(raw):
        reader.error(("scales",), f"scale '{name}' is used by questions but not defined")
    return out
