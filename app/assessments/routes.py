"""Quiz pages: list, start, take (with autosave), results and history; results for instructors and HR."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.assessments import queries, services
from app.assessments.charts import history_chart, range_chart
from app.assessments.forms import AttemptForm, ResultsFilterForm
from app.assessments.models import Attempt, AttemptAnswer, Quiz
from app.assessments.questions import in_attempt_order
from app.assessments.scoring import score_knowledge, score_self_assessment
from app.core.decorators import role_required
from app.core.domain import http_status
from app.core.pagination import id_arg, paginate
from app.extensions import db

bp = Blueprint("assessments", __name__)


def _quiz_or_404(slug: str) -> Quiz:
    quiz = queries.available_quiz(current_user, slug)
    if quiz is None:
        abort(404)
    return quiz


def _own_attempt_or_404(slug: str, attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id or attempt.quiz.slug != slug or attempt.quiz.archived:
        abort(404)
    return attempt


@bp.get("/quizzes")
@login_required
def index():
    """The quizzes the user may take, with their latest result or open attempt."""
    page = paginate(queries.available_quizzes(current_user))
    summaries = queries.quiz_summaries(current_user.id, [q.id for q in page.items])
    latest = [s.latest for s in summaries.values() if s.latest]
    courses = queries.course_titles({q.course_id for q in page.items if q.course_id})
    return render_template(
        "assessments/index.html", page=page, summaries=summaries, titles=queries.band_titles(latest), courses=courses
    )


def _history_chart(quiz: Quiz, attempts: list[Attempt]):
    labels = [(a.submitted_at.strftime("%m-%d"), a.percent if quiz.kind == "knowledge" else a.score) for a in attempts]
    if quiz.kind == "knowledge":
        return history_chart(labels, 0, 100, [(quiz.pass_percent or 0, _("及格线 %(p)d%%", p=quiz.pass_percent or 0))])
    bands = sorted(quiz.current_version.definition.get("bands") or [], key=lambda b: b["min"])
    if not bands:
        return None
    lines = [(b["min"], str(b["min"])) for b in bands[1:]]
    return history_chart(labels, bands[0]["min"], bands[-1]["max"], lines)


@bp.get("/quizzes/<slug>")
@login_required
def quiz(slug: str):
    """A quiz's start page: instructions, start or resume, and the user's history at this quiz."""
    quiz = _quiz_or_404(slug)
    summary = queries.quiz_summaries(current_user.id, [quiz.id])[quiz.id]
    block = None if summary.open else services.attempt_block(current_user, quiz)
    page = paginate(queries.history(current_user.id, quiz.id))
    chart = _history_chart(quiz, queries.chart_attempts(current_user.id, quiz.id))
    return render_template(
        "assessments/quiz.html", quiz=quiz, summary=summary, block=block, page=page, chart=chart,
        titles=queries.band_titles(page.items), form=AttemptForm(),
    )


@bp.post("/quizzes/<slug>/start")
@login_required
def start(slug: str):
    """Start a new attempt, or resume the open one."""
    quiz = _quiz_or_404(slug)
    if not AttemptForm().validate_on_submit():
        abort(400)
    try:
        attempt = services.start_or_resume(current_user, quiz)
    except services.AttemptError as error:
        flash(str(error), "warning")
        return redirect(url_for(".quiz", slug=slug))
    return redirect(url_for(".take", slug=slug, attempt_id=attempt.id))


def _render_take(attempt: Attempt, unanswered: list[str] | None = None, status: int = 200):
    answers = queries.answers_of(attempt.id)
    views = in_attempt_order(attempt.version.definition, attempt.order, answers)
    missing = [v for v in views if v.id in set(unanswered or [])]
    return (
        render_template(
            "assessments/take.html", attempt=attempt, quiz=attempt.quiz, questions=views, answered=len(answers),
            missing=missing, form=AttemptForm(),
        ),
        status,
    )


@bp.get("/quizzes/<slug>/attempts/<int:attempt_id>")
@login_required
def take(slug: str, attempt_id: int):
    """Answer the questions of an open attempt (saved answers are filled in)."""
    attempt = _own_attempt_or_404(slug, attempt_id)
    if attempt.submitted:
        return redirect(url_for(".result", attempt_id=attempt.id))
    return _render_take(attempt)


def _form_answers(attempt: Attempt) -> dict[str, Any]:
    raw = {}
    for view in in_attempt_order(attempt.version.definition, attempt.order, {}):
        value = view.handler.from_form(request.form.getlist(f"answer-{view.id}"))
        if value is not None:
            raw[view.id] = value
    return raw


@bp.post("/quizzes/<slug>/attempts/<int:attempt_id>")
@login_required
def take_post(slug: str, attempt_id: int):
    """Save every answer of the form (works without JavaScript); with action=submit, score it."""
    attempt = _own_attempt_or_404(slug, attempt_id)
    if not AttemptForm().validate_on_submit():
        abort(400)
    if attempt.submitted:
        return redirect(url_for(".result", attempt_id=attempt.id))
    try:
        services.replace_answers(attempt, _form_answers(attempt))
        if request.form.get("action") == "submit":
            services.submit(attempt)
            return redirect(url_for(".result", attempt_id=attempt.id))
    except services.Unanswered as error:
        return _render_take(attempt, error.question_ids, 422)
    except services.AttemptError as error:
        db.session.refresh(attempt)
        if attempt.submitted:
            return redirect(url_for(".result", attempt_id=attempt.id))
        flash(str(error), "danger")
        return _render_take(attempt, status=http_status(error))
    flash(_("答案已保存，可以稍后继续作答。"), "success")
    return redirect(url_for(".take", slug=slug, attempt_id=attempt.id))


@bp.post("/quizzes/<slug>/attempts/<int:attempt_id>/answer")
@login_required
def autosave(slug: str, attempt_id: int):
    """Save one answer as the user goes (JSON: {"question": id, "value": key | [keys] | null})."""
    attempt = _own_attempt_or_404(slug, attempt_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("question"), str):
        return jsonify(errors=[_("请求格式不正确。")]), 400
    result_url = url_for(".result", attempt_id=attempt.id)
    if attempt.submitted:
        return jsonify(errors=[_("本次作答已经提交，不能再修改答案。")], redirect=result_url), 409
    try:
        services.save_answer(attempt, data["question"], data.get("value"))
    except services.AttemptError as error:
        status = http_status(error)
        return jsonify(errors=error.errors, redirect=result_url if status == 409 else None), status
    answered = db.session.scalar(select(func.count()).where(AttemptAnswer.attempt_id == attempt.id))
    return jsonify(saved=True, answered=answered, total=len(attempt.version.definition["questions"]))


@bp.get("/attempts/<int:attempt_id>")
@login_required
def result(attempt_id: int):
    """A submitted attempt's result, for its owner, HR and the instructors of the owner's cohorts."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or not queries.can_view_attempt(current_user, attempt):
        abort(404)
    if not attempt.submitted:
        if attempt.user_id == current_user.id and not attempt.quiz.archived:
            return redirect(url_for(".take", slug=attempt.quiz.slug, attempt_id=attempt.id))
        abort(404)
    definition = attempt.version.definition
    answers = queries.answers_of(attempt.id)
    views = in_attempt_order(definition, attempt.order, answers)
    context: dict[str, Any] = {"attempt": attempt, "quiz": attempt.quiz, "questions": views, "definition": definition}
    if definition["kind"] == "knowledge":
        context["outcomes"] = {o.question_id: o for o in score_knowledge(definition, answers).questions}
    else:
        scored = score_self_assessment(definition, answers)
        bands = definition.get("bands") or []
        by_id = {v.id: v for v in views}
        context.update(
            band=next((b for b in bands if b["key"] == attempt.band_key), None),
            chart=range_chart(bands, attempt.score or 0, attempt.band_key),
            scales=[(s, range_chart(definition["scales"][s.key]["bands"], s.total, s.band and s.band["key"]))
                    for s in scored.scales],
            costly=[(c, by_id[c.question_id]) for c in scored.costly],
            links=queries.module_links(attempt.quiz.course_id, {c.module for c in scored.costly if c.module}),
        )
    return render_template("assessments/result.html", **context)


@bp.get("/results")
@role_required("instructor", "hr", "admin")
def results():
    """Submitted attempts, filtered by cohort and quiz (instructors: cohorts they teach)."""
    cohorts = queries.result_cohorts(current_user)
    quizzes = db.session.scalars(select(Quiz).where(Quiz.archived.is_(False)).order_by(Quiz.kind.desc(), Quiz.slug))
    form = ResultsFilterForm(formdata=request.args)
    form.cohort.choices = [(0, _("全部班组"))] + [(c.id, c.name) for c in cohorts]
    form.quiz.choices = [(0, _("全部测验"))] + [(q.id, q.title) for q in quizzes]
    cohort_id, quiz_id = id_arg("cohort"), id_arg("quiz")
    if cohort_id and cohort_id not in {c.id for c in cohorts}:
        abort(404)
    page = paginate(queries.results(current_user, cohort_id or None, quiz_id or None))
    return render_template(
        "assessments/results.html", page=page, form=form, titles=queries.band_titles(page.items),
        filters={"cohort": cohort_id or None, "quiz": quiz_id or None},
    )
