"""Quiz files: ``quizzes/<quiz-slug>.yaml`` — questions (rules per type from the question-type
registry), self-assessment bands and scales, knowledge-check answers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.assessments.enums import QuizKind
from app.assessments.question_types import REGISTRY, QuestionType, question_type
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


QUIZ_FIELDS = {
    "title", "kind", "course", "module", "instructions", "max_attempts", "cooldown_minutes", "pass_percent",
    "shuffle", "questions", "bands", "scales",
}
QUESTION_FIELDS = {"id", "type", "text", "options", "module", "scale", "reverse"}
KNOWLEDGE_FIELDS = {"answer", "explanation"}  # on a knowledge check's questions


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
    cooldown = reader.integer(data, (), "cooldown_minutes", 0, 60 * 24 * 30, optional=True) or 0
    pass_percent = reader.integer(data, (), "pass_percent", 1, 100, optional=not knowledge)
    if not knowledge and data.get("pass_percent") is not None:
        reader.error(("pass_percent",), "only knowledge checks have a pass mark")
    shuffle = data.get("shuffle", knowledge)
    if not isinstance(shuffle, bool):
        reader.error(("shuffle",), "must be true or false")
        shuffle = knowledge
    questions = _questions(reader, data, kind)
    definition = _definition(reader, data, title, kind, questions, pass_percent)
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
    )


def _kind(reader: Reader, data: dict) -> QuizKind | None:
    """The quiz's ``kind:`` (None, with a problem, when it is not one of QuizKind)."""
    kind = reader.require(data, (), "kind", str)
    if kind is not None and kind not in tuple(QuizKind):
        reader.error(("kind",), f"must be {either(QuizKind)}")
        return None
    return QuizKind(kind) if kind is not None else None


def _definition(
    reader: Reader, data: dict, title: str | None, kind: QuizKind | None, questions: list[dict] | None,
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


def _options(
    reader: Reader, q: dict, path: tuple, handler: QuestionType | None, knowledge: bool
) -> list[dict] | None:
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
    options, keys, ok = [], set(), True
    for j, opt in enumerate(raw):
        opath = (*path, "options", j)
        if not isinstance(opt, dict):
            reader.error(opath, "must be a mapping {key, text" + ("}" if knowledge else ", score}"))
            ok = False
            continue
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
            score = reader.require(opt, opath, "score", int)
            if score is None:
                ok = False
            option["score"] = score
        if key is None or text is None:
            ok = False
        options.append(option)
    problem = rules.options_problem([o["key"] for o in options])
    if problem:
        reader.error((*path, "options"), problem)
        ok = False
    return options if ok else None


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
        if None in (key, lo, hi, title, text):
            ok = False
            continue
        if lo > hi:
            reader.error(bpath, f"min {lo} is greater than max {hi}")
            ok = False
        bands.append({"key": key, "min": lo, "max": hi, "title": title, "text": text, "_i": i})
    if not ok:
        return None
    keys = [b["key"] for b in bands]
    for i, band in enumerate(bands):
        if keys.count(band["key"]) > 1 and keys.index(band["key"]) != i:
            reader.error((*path, band["_i"], "key"), f"duplicate band key '{band['key']}'")
    scored = [q for q in questions if scale is None or q.get("scale") == scale]
    totals = score_range(scored)
    ordered = sorted(bands, key=lambda b: b["min"])
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
    for band in bands:
        band.pop("_i")
    return bands


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

