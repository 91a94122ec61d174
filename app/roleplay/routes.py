"""Role-play pages: card library and cards, submissions, grading queue and page, live mode, notifications."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.decorators import role_required
from app.core.pagination import id_arg, paginate
from app.extensions import db
from app.roleplay import assistant, queries, scoring, services, uploads
from app.roleplay.enums import WAITING, SubmissionStatus
from app.roleplay.forms import GradeForm, LiveForm, ResponseForm, RubricForm, criterion_values
from app.roleplay.models import DIFFICULTIES, RoleplayCard, Submission

bp = Blueprint("roleplay", __name__)


@bp.app_context_processor
def navigation_counts() -> dict[str, Any]:
    """Expose a cached callable with the nav-bar counts (one query, only when a page asks)."""
    if not current_user.is_authenticated:
        return {}
    user = current_user._get_current_object()
    return {"roleplay_counts": cache(lambda: queries.nav_counts(user))}


def _card_or_404(slug: str) -> RoleplayCard:
    card = queries.card_by_slug(slug)
    if card is None:
        abort(404)
    if not queries.can_view_card(current_user, card):
        abort(403)
    return card


def _submission_or_404(submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None or not queries.can_view(current_user, submission):
        abort(404)
    return submission


@bp.get("/roleplays")
@login_required
def library():
    """Scenario cards the user may open, filtered by course and difficulty."""
    course_id = id_arg("course")
    difficulty = request.args.get("difficulty") if request.args.get("difficulty") in DIFFICULTIES else None
    page = paginate(queries.library(current_user, course_id, difficulty))
    mine = {}
    if current_user.has_role("trainee"):
        mine = queries.card_states(current_user.id, [card.id for card in page.items])
    courses = queries.courses_by_id({card.course_id for card in page.items})
    return render_template(
        "roleplay/library.html",
        page=page,
        courses=courses,
        required=queries.required_slugs(courses.values()),
        filter_courses=queries.library_courses(current_user),
        course_id=course_id,
        difficulty=difficulty,
        mine=mine,
    )


def _render_card(card: RoleplayCard, form: ResponseForm | None = None, status: int = 200):
    version = card.rubric.current_version
    course = queries.courses_by_id({card.course_id}).get(card.course_id)
    pass_mark = scoring.pass_mark(version.max_points, card.pass_percent) if version else 0
    context: dict[str, Any] = {"card": card, "version": version, "course": course, "pass_mark": pass_mark}
    if current_user.has_role("trainee"):
        latest = queries.latest_submission(current_user.id, card.id)
        if form is None:
            form = ResponseForm(response=latest.response_text if latest and latest.editable else "")
        context.update(
            latest=latest,
            actions=services.allowed_actions(latest, current_user),
            form=form,
            self_form=RubricForm(),
            self_scores=queries.self_scores(current_user.id, card.id),
            feedback=_feedback(latest) if latest else None,
        )
    return render_template("roleplay/card.html", **context), status


@bp.get("/roleplays/<slug>")
@login_required
def card(slug: str):
    """A card: background, task, observation points, time, rubric; the trainee's work on it."""
    return _render_card(_card_or_404(slug))


@bp.post("/roleplays/<slug>/submission")
@role_required("trainee")
def save_response(slug: str):
    """Save the written response (and recording) as a draft, or hand it in."""
    card = _card_or_404(slug)
    form = ResponseForm()
    if not form.validate_on_submit():
        return _render_card(card, form, 400)
    audio = form.audio.data
    stream = audio.stream if audio is not None and getattr(audio, "filename", "") else None
    try:
        submission = services.save_response(
            current_user, card, text=form.response.data, audio=stream, submit=bool(form.submit.data)
        )
    except services.RoleplayError as error:
        target = form.audio if error.field == "audio" else form.response
        target.errors = [*target.errors, str(error)]
        return _render_card(card, form, 400)
    if submission.status in WAITING:
        flash(_("已提交给讲师，批改后你会收到通知。"), "success")
    else:
        flash(_("草稿已保存，只有你自己能看到。"), "success")
    return redirect(url_for("roleplay.card", slug=card.slug) + "#my-work")


@bp.post("/roleplays/<slug>/self-score")
@role_required("trainee")
def self_score(slug: str):
    """Score one's own rehearsal against the rubric (private)."""
    card = _card_or_404(slug)
    if not RubricForm().validate_on_submit():
        abort(400)
    version = card.rubric.current_version
    try:
        levels = criterion_values(request.form, version.definition, "level")
        score = services.save_self_score(current_user, card, levels)
    except services.RoleplayError as error:
        flash(str(error), "danger")
    else:
        flash(_("自评得分：%(total)d / %(max)d 分。", total=score.total, max=score.max_points), "success")
    return redirect(url_for("roleplay.card", slug=card.slug) + "#self-score")


@bp.get("/roleplays/<slug>/partner")
@role_required("trainee", "instructor")
def partner(slug: str):
    """The customer's brief, for the person playing the customer (on their own device); same access as the card."""
    return render_template("roleplay/partner.html", card=_card_or_404(slug))


@bp.get("/submissions")
@role_required("trainee")
def my_submissions():
    """The trainee's own submissions with their status."""
    return render_template("roleplay/mine.html", page=paginate(queries.my_submissions(current_user.id)))


def _feedback(submission: Submission) -> dict[str, Any] | None:
    """Per-criterion levels and comments of a graded submission (None before grading)."""
    if submission.status != SubmissionStatus.GRADED or submission.rubric_version is None:
        return None
    levels, comments = submission.chosen()
    return {
        "rows": scoring.feedback_rows(submission.rubric_version.definition, levels, comments),
        "pass_mark": scoring.pass_mark(submission.max_points or 0, submission.pass_percent or 0),
    }


@bp.get("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int):
    """One submission: the response, status, feedback; history for staff."""
    item = _submission_or_404(submission_id)
    own = item.trainee_id == current_user.id
    return render_template(
        "roleplay/submission.html",
        submission=item,
        own=own,
        feedback=_feedback(item),
        can_grade=queries.can_grade(current_user, item),
        can_play=queries.can_play_audio(current_user, item),
        events=[] if own else queries.events(item.id),
    )


@bp.get("/submissions/<int:submission_id>/audio")
@login_required
def audio(submission_id: int):
    """Stream the recording as an attachment to the trainee and their instructors only."""
    item = _submission_or_404(submission_id)
    if not queries.can_play_audio(current_user, item):
        abort(403)
    if not item.audio_name:
        abort(404)
    path = uploads.audio_path(item.audio_name)
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=item.audio_mime,
        as_attachment=True,
        download_name=f"roleplay-{item.id}{path.suffix}",
        conditional=True,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/grading")
@role_required("instructor")
def queue():
    """Work waiting for the instructor's cohorts, oldest first, with filters."""
    status = request.args.get("status", "waiting")
    status = status if status in queries.QUEUE_FILTERS else "waiting"
    filters = {
        "cohort_id": id_arg("cohort"),
        "course_id": id_arg("course"),
        "card_id": id_arg("card"),
    }
    page = paginate(queries.queue(current_user, status=status, **filters))
    cards = queries.card_choices()
    return render_template(
        "roleplay/queue.html",
        page=page,
        status=status,
        filters=filters,
        courses=queries.courses_by_id({s.card.course_id for s in page.items}),
        cohorts=queries.taught_cohorts(current_user.id),
        cards=cards,
        filter_courses=list({course.id: course for _card, course in cards}.values()),
    )


def _gradable_or_404(submission_id: int) -> Submission:
    item = db.session.get(Submission, submission_id)
    if item is None or not queries.can_grade(current_user, item):
        abort(404)
    return item


def _render_grading(
    item: Submission,
    form: GradeForm,
    levels: dict[str, int],
    comments: dict[str, str],
    status: int = 200,
    error: str | None = None,
    conflict: services.ConflictError | None = None,
):
    definition, maximum = item.rubric_version.definition, item.rubric_version.max_points
    detections = assistant.detect(item.response_text)
    saved_levels, saved_comments = item.chosen() if conflict else ({}, {})
    return render_template(
        "roleplay/grade.html",
        submission=item,
        card=item.card,
        definition=definition,
        form=form,
        levels=levels,
        comments=comments,
        total=scoring.total(definition, levels),
        max_points=maximum,
        pass_mark=scoring.pass_mark(maximum, item.card.pass_percent),
        verdict=scoring.verdict(definition, levels, maximum, item.card.pass_percent),
        actions=services.allowed_actions(item, current_user),
        findings=assistant.by_rule(detections),
        segments=assistant.segments(item.response_text, detections),
        events=queries.events(item.id),
        error=error,
        conflict=conflict,
        saved_levels=saved_levels,
        saved_comments=saved_comments,
    ), status


@bp.get("/grading/<int:submission_id>")
@role_required("instructor")
def grade(submission_id: int):
    """The grading page: card, response, audio, rubric levels, comments, assistant, history."""
    item = _gradable_or_404(submission_id)
    levels, comments = item.chosen()
    form = GradeForm(version=item.version_id, overall=item.overall_comment)
    return _render_grading(item, form, levels, comments)


def _posted_grading(item: Submission) -> tuple[dict[str, Any], dict[str, Any]]:
    definition = item.rubric_version.definition
    return criterion_values(request.form, definition, "level"), criterion_values(request.form, definition, "comment")


def _apply_grading(item: Submission, form: GradeForm, action: str) -> Submission:
    levels, comments = _posted_grading(item)
    try:
        expected = int(form.version.data)
    except (TypeError, ValueError):
        expected = None
    return services.save_grading(
        current_user,
        item,
        action=action,
        expected_version=expected,
        levels=levels,
        comments=comments,
        overall=form.overall.data,
    )


@bp.post("/grading/<int:submission_id>")
@role_required("instructor")
def grade_post(submission_id: int):
    """Save a draft, grade, or return for revision."""
    item = _gradable_or_404(submission_id)
    form = GradeForm()
    action = request.form.get("action", "save")
    raw_levels, comments = _posted_grading(item)
    levels, _bad = scoring.parse_levels(item.rubric_version.definition, raw_levels)
    if not form.validate_on_submit():
        return _render_grading(item, form, levels, comments, 400, error=_("表单无效，请刷新页面后重试。"))
    try:
        _apply_grading(item, form, action)
    except services.ConflictError as conflict:
        form.version.data = str(conflict.submission.version_id)
        return _render_grading(conflict.submission, form, levels, comments, 409, conflict=conflict)
    except services.RoleplayError as error:
        return _render_grading(item, form, levels, comments, 400, error=str(error))
    if action == "save":
        flash(_("批改草稿已保存。"), "success")
        return redirect(url_for("roleplay.grade", submission_id=item.id))
    if action == "return":
        flash(_("已退回给 %(name)s 修改。", name=item.trainee.name), "success")
    else:
        flash(
            _(
                "已评分：%(name)s，%(total)d / %(max)d 分。",
                name=item.trainee.name,
                total=item.total,
                max=item.max_points,
            ),
            "success",
        )
    return redirect(url_for("roleplay.queue"))


@bp.post("/grading/<int:submission_id>/draft")
@role_required("instructor")
def grade_autosave(submission_id: int):
    """Autosave a grading draft (JSON for the page script); 409 when someone else saved first."""
    item = _gradable_or_404(submission_id)
    form = GradeForm()
    if not form.validate_on_submit():
        return jsonify(errors=[_("表单无效，请刷新页面后重试。")]), 400
    try:
        saved = _apply_grading(item, form, "save")
    except services.ConflictError as conflict:
        event = conflict.event
        who = event.actor.name if event and event.actor else _("其他人")
        return jsonify(errors=[str(conflict)], conflict={"by": who, "version": conflict.submission.version_id}), 409
    except services.RoleplayError as error:
        return jsonify(errors=[str(error)]), 400
    definition = saved.rubric_version.definition
    levels, _comments = saved.chosen()
    return jsonify(version=saved.version_id, total=scoring.total(definition, levels), status=saved.status)


@bp.route("/grading/live", methods=["GET", "POST"])
@role_required("instructor")
def live():
    """Live classroom mode: pick a card, the trainee and their partner, then score on the spot."""
    form = LiveForm()
    cards = queries.card_choices()
    trainees = queries.taught_trainees(current_user.id)
    form.card_id.choices = [(0, _("请选择"))] + [(c.id, f"{course.title} · {c.title}") for c, course in cards]
    form.trainee_id.choices = [(0, _("请选择"))] + [(t.id, t.name) for t in trainees]
    if form.validate_on_submit():
        card = next((c for c, _course in cards if c.id == form.card_id.data), None)
        trainee = next((t for t in trainees if t.id == form.trainee_id.data), None)
        if card is None or trainee is None:
            abort(400)
        try:
            item = services.start_live(current_user, card, trainee, form.partner.data)
        except services.RoleplayError as error:
            form.partner.errors = [str(error)]
        else:
            return redirect(url_for("roleplay.grade", submission_id=item.id))
    return render_template("roleplay/live.html", form=form, trainees=trainees), 400 if form.errors else 200
