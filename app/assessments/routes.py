"""Quiz pages: list, start, take (with autosave and a deadline), results and history; results, item
statistics and exports for instructors and HR; regrading for admins."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.assessments import analysis, exports, queries, services
from app.assessments.charts import history_chart
from app.assessments.enums import QuizKind
from app.assessments.forms import AttemptForm, RegradeForm, ResultsFilterForm
from app.assessments.models import Attempt, AttemptAnswer, Quiz, QuizVersion
from app.assessments.questions import in_attempt_order
from app.core.decorators import role_required
from app.core.domain import http_status
from app.core.pagination import id_arg, paginate, parse_int
from app.core.time import utcnow
from app.extensions import db

bp = Blueprint("assessments", __name__)
STAFF = ("instructor", "hr", "admin")


def _quiz_or_404(slug: str) -> Quiz:
    quiz = queries.available_quiz(current_user, slug)
    if quiz is None:
        abort(404)
    return quiz


def _definition(quiz: Quiz) -> dict[str, Any]:
    """The current definition of a live quiz (available_quiz only returns quizzes that have one)."""
    if quiz.current_version is None:
        abort(404)
    return quiz.current_version.definition


def _own_attempt_or_404(slug: str, attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id or attempt.quiz.slug != slug or attempt.quiz.archived:
        abort(404)
    return attempt


def _expired(attempt: Attempt) -> Any:
    """Submit an open attempt past its deadline and send the trainee to its result (None when in time)."""
    if attempt.submitted or not services.is_late(attempt):
        return None
    services.expire(attempt)
    flash(_("作答时间已到，已按截止前保存的答案自动交卷。"), "warning")
    return redirect(url_for(".result", attempt_id=attempt.id))


@bp.get("/quizzes")
@login_required
def index():
    """The quizzes the user may take, with their latest result or open attempt."""
    services.expire_due(user_id=current_user.id)
    page = paginate(queries.available_quizzes(current_user))
    summaries = queries.quiz_summaries(current_user.id, [q.id for q in page.items])
    latest = [s.latest for s in summaries.values() if s.latest]
    courses = queries.course_titles({q.course_id for q in page.items if q.course_id})
    return render_template(
        "assessments/index.html", page=page, summaries=summaries, titles=queries.band_titles(latest), courses=courses
    )


def _history_chart(quiz: Quiz, attempts: list[Attempt]):
    if quiz.kind == QuizKind.KNOWLEDGE:
        values = [(a.submitted_at, a.percent or 0) for a in attempts if a.submitted_at]
        line = [(quiz.pass_percent or 0, _("及格线 %(p)d%%", p=quiz.pass_percent or 0))]
        return history_chart(values, 0, 100, line, y_ticks=[0, 50, 100])
    bands = sorted(_definition(quiz).get("bands") or [], key=lambda b: b["min"])
    if not bands:
        return None
    values = [(a.submitted_at, a.score or 0) for a in attempts if a.submitted_at]
    lines = [(b["min"], str(b["min"])) for b in bands[1:]]
    return history_chart(values, bands[0]["min"], bands[-1]["max"], lines)


@bp.get("/quizzes/<slug>")
@login_required
def quiz(slug: str):
    """A quiz's start page: instructions, rules, start or resume, and the user's history at this quiz."""
    quiz = _quiz_or_404(slug)
    services.expire_due(quiz_id=quiz.id)
    summary = queries.quiz_summaries(current_user.id, [quiz.id])[quiz.id]
    block = None if summary.open else services.attempt_block(current_user, quiz)
    page = paginate(queries.history(current_user.id, quiz.id))
    chart = _history_chart(quiz, queries.chart_attempts(current_user.id, quiz.id))
    definition = _definition(quiz)
    return render_template(
        "assessments/quiz.html",
        quiz=quiz,
        summary=summary,
        block=block,
        page=page,
        chart=chart,
        titles=queries.band_titles(page.items),
        form=AttemptForm(),
        pool_size=len(definition["questions"]),
        pooled=bool(definition.get("draw")),
    )


@bp.post("/quizzes/<slug>/start")
@login_required
def start(slug: str):
    """Start a new attempt (drawing its paper and setting its deadline), or resume the open one."""
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
    remaining = None
    if attempt.deadline_at is not None:
        remaining = max(0, int((attempt.deadline_at - utcnow()).total_seconds()))
    return (
        render_template(
            "assessments/take.html",
            attempt=attempt,
            quiz=attempt.quiz,
            questions=views,
            answered=len([v for v in views if v.chosen]),
            missing=missing,
            form=AttemptForm(),
            remaining=remaining,
        ),
        status,
    )


@bp.get("/quizzes/<slug>/attempts/<int:attempt_id>")
@login_required
def take(slug: str, attempt_id: int):
    """Answer the questions of an open attempt (saved answers are filled in, the deadline counts down)."""
    attempt = _own_attempt_or_404(slug, attempt_id)
    if attempt.submitted:
        return redirect(url_for(".result", attempt_id=attempt.id))
    return _expired(attempt) or _render_take(attempt)


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
    except services.AttemptExpired as error:
        flash(str(error), "warning")
        return redirect(url_for(".result", attempt_id=attempt.id))
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
    return jsonify(saved=True, answered=answered, total=len(services.paper_questions(attempt)))


@bp.get("/attempts/<int:attempt_id>")
@login_required
def result(attempt_id: int):
    """A submitted attempt's result, for its owner, HR and the instructors of the owner's cohorts.

    What the owner sees follows the quiz's review policy (app.assessments.review); staff see everything.
    """
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or not queries.can_view_attempt(current_user, attempt):
        abort(404)
    if not attempt.submitted and services.is_late(attempt):
        services.expire(attempt)
    if not attempt.submitted:
        if attempt.user_id == current_user.id and not attempt.quiz.archived:
            return redirect(url_for(".take", slug=attempt.quiz.slug, attempt_id=attempt.id))
        abort(404)
    level = queries.review_level_for(current_user, attempt)
    return render_template(
        "assessments/result.html",
        attempt=attempt,
        quiz=attempt.quiz,
        mine=attempt.user_id == current_user.id,
        regrades=attempt.regrades,
        **queries.review_context(attempt, level),
    )


def _results_filters() -> tuple[list[Quiz], int | None, int | None, ResultsFilterForm]:
    cohorts = queries.result_cohorts(current_user)
    quizzes = list(
        db.session.scalars(select(Quiz).where(Quiz.archived.is_(False)).order_by(Quiz.kind.desc(), Quiz.slug))
    )
    form = ResultsFilterForm(formdata=request.args)
    form.cohort.choices = [(0, _("全部班组"))] + [(c.id, c.name) for c in cohorts]
    form.quiz.choices = [(0, _("全部测验"))] + [(q.id, q.title) for q in quizzes]
    cohort_id, quiz_id = id_arg("cohort"), id_arg("quiz")
    if cohort_id and cohort_id not in {c.id for c in cohorts}:
        abort(404)
    return quizzes, cohort_id or None, quiz_id or None, form


@bp.get("/results")
@role_required(*STAFF)
def results():
    """Submitted attempts, filtered by cohort and quiz (instructors: cohorts they teach)."""
    services.expire_due()
    quizzes, cohort_id, quiz_id, form = _results_filters()
    page = paginate(queries.results(current_user, cohort_id, quiz_id))
    return render_template(
        "assessments/results.html",
        page=page,
        form=form,
        titles=queries.band_titles(page.items),
        filters={"cohort": cohort_id, "quiz": quiz_id},
        checks=[q for q in quizzes if q.kind == QuizKind.KNOWLEDGE and (quiz_id is None or q.id == quiz_id)],
    )


def _statistics(slug: str) -> tuple[Quiz, int | None, analysis.QuizStatistics]:
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == slug, Quiz.kind == QuizKind.KNOWLEDGE))
    if quiz is None:
        abort(404)
    cohort_id = id_arg("cohort") or None
    if cohort_id and cohort_id not in {c.id for c in queries.result_cohorts(current_user)}:
        abort(404)
    services.expire_due(quiz_id=quiz.id)
    return quiz, cohort_id, analysis.load(current_user, quiz, cohort_id)


@bp.get("/results/quizzes/<slug>")
@role_required(*STAFF)
def statistics(slug: str):
    """Item statistics of a knowledge check: distribution, pass rates, per question and per cohort."""
    quiz, cohort_id, stats = _statistics(slug)
    form = ResultsFilterForm(formdata=request.args)
    form.cohort.choices = [(0, _("全部班组"))] + [(c.id, c.name) for c in queries.result_cohorts(current_user)]
    return render_template(
        "assessments/statistics.html",
        quiz=quiz,
        stats=stats,
        form=form,
        cohort_id=cohort_id,
        min_responses=analysis.MIN_RESPONSES,
    )


def _download_name(quiz: Quiz, extension: str) -> str:
    return f"item-statistics-{quiz.slug}-{utcnow():%Y%m%d}.{extension}"


@bp.get("/results/quizzes/<slug>/statistics.csv")
@role_required(*STAFF)
def statistics_csv(slug: str):
    """The per-question statistics as CSV (UTF-8 with BOM)."""
    quiz, _cohort, stats = _statistics(slug)
    response = Response(exports.csv_bytes(stats), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{_download_name(quiz, "csv")}"'
    return response


@bp.get("/results/quizzes/<slug>/statistics.xlsx")
@role_required(*STAFF)
def statistics_xlsx(slug: str):
    """The statistics as XLSX (overview, per question, per cohort), with typed cells."""
    quiz, _cohort, stats = _statistics(slug)
    return send_file(
        exports.xlsx_file(stats, quiz.title),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=_download_name(quiz, "xlsx"),
    )


def _regrade_page(quiz: Quiz, form: RegradeForm, status: int = 200):
    versions = [
        (version, count, services.regrade_preview(quiz, version.id)) for version, count in queries.regradable(quiz)
    ]
    return render_template("assessments/regrade.html", quiz=quiz, versions=versions, form=form), status


@bp.get("/quizzes/<slug>/regrade")
@role_required("admin")
def regrade(slug: str):
    """The attempts of earlier versions of a quiz, with the result the current version would give each."""
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == slug))
    if quiz is None or quiz.current_version is None:
        abort(404)
    return _regrade_page(quiz, RegradeForm())


@bp.post("/quizzes/<slug>/regrade")
@role_required("admin")
def regrade_post(slug: str):
    """Regrade the attempts of one earlier version against the current one (recorded, with the reason)."""
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == slug))
    if quiz is None or quiz.current_version is None:
        abort(404)
    form = RegradeForm()
    if not form.validate_on_submit():
        return _regrade_page(quiz, form, 422)
    version_id = parse_int(form.version.data)
    version = db.session.get(QuizVersion, version_id) if version_id is not None else None
    if version is None or version.quiz_id != quiz.id:
        abort(404)
    try:
        report = services.regrade(quiz, version.id, form.reason.data or "", current_user)
    except services.RegradeError as error:
        flash(str(error), "danger")
        return _regrade_page(quiz, form, http_status(error))
    flash(
        _(
            "已重新评分 %(n)d 次作答，其中 %(changed)d 次结果有变化；%(skipped)d 次无法按新版本评分，保持原样。",
            n=report.regraded,
            changed=report.changed,
            skipped=report.skipped,
        ),
        "success",
    )
    return redirect(url_for(".regrade", slug=quiz.slug))
