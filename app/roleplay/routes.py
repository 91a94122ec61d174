"""Role-play pages: card library and cards, submissions, grading queue and page, live mode, notifications."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.core.decorators import role_required
from app.core.forms import keep_errors
from app.core.pagination import id_arg, paginate
from app.extensions import db
from app.roleplay import agreement, assistant, partner_links, queries, revisions, scoring, services, uploads
from app.roleplay.enums import WAITING, MarkingStage, SubmissionStatus
from app.roleplay.forms import (
    AnchorForm,
    CalibrationForm,
    GradeForm,
    LiveForm,
    LiveSessionForm,
    ResponseForm,
    RubricForm,
    criterion_values,
)
from app.roleplay.models import DIFFICULTIES, Anchor, RoleplayCard, Submission

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
    levels = criterion_values(request.form, version.definition, "level")
    try:
        score = services.save_self_score(current_user, card, levels)
    except services.RoleplayError as error:
        chosen, _bad = scoring.parse_levels(version.definition, levels)
        missing = [c for c in version.definition.get("criteria", []) if c["key"] not in chosen]
        keep_errors(  # each criterion left without a level, at its first level's button
            [(f"self-{c['key']}-0", c["title"], str(error)) for c in missing] or [("", "", str(error))],
            {f"level-{key}": str(value) for key, value in chosen.items()},
        )
    else:
        flash(_("自评得分：%(total)d / %(max)d 分。", total=score.total, max=score.max_points), "success")
    return redirect(url_for("roleplay.card", slug=card.slug) + "#self-score")


@bp.get("/roleplays/<slug>/partner")
@role_required("trainee", "instructor")
def partner(slug: str):
    """The customer's brief, for the person playing the customer (on their own device); same access as the card.

    A trainee whose live performance of the card waits for grading plays the service role: not for them.
    """
    card = _card_or_404(slug)
    if current_user.has_role("trainee") and queries.plays_service_role_live(current_user.id, card.id):
        abort(403)
    return render_template("roleplay/partner.html", card=card)


@bp.get("/submissions")
@role_required("trainee")
def my_submissions():
    """The trainee's own submissions with their status."""
    return render_template("roleplay/mine.html", page=paginate(queries.my_submissions(current_user.id)))


def _feedback(submission: Submission) -> dict[str, Any] | None:
    """Per-criterion levels and comments of a graded or returned submission (None before), and for the
    trainee, their own latest self-score of the same rubric version beside the instructor's levels."""
    if (
        submission.status not in (SubmissionStatus.GRADED, SubmissionStatus.RETURNED)
        or submission.rubric_version is None
    ):
        return None
    definition = submission.rubric_version.definition
    levels, comments = submission.chosen()
    rows = scoring.feedback_rows(definition, levels, comments)
    own_score = None
    if submission.status == SubmissionStatus.GRADED and submission.trainee_id == current_user.id:
        latest = queries.self_scores(current_user.id, submission.card_id, limit=1)
        if latest and latest[0].rubric_version_id == submission.rubric_version_id:
            own_score = latest[0]
            for row in rows:
                index = own_score.levels.get(row["criterion"]["key"])
                row["self_level"] = row["criterion"]["levels"][index] if index is not None else None
    return {
        "rows": rows,
        "pass_mark": scoring.pass_mark(submission.max_points or 0, submission.pass_percent or 0),
        "self_score": own_score,
    }


@bp.get("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int):
    """One submission: the response, status, feedback; history for staff."""
    item = _submission_or_404(submission_id)
    own = item.trainee_id == current_user.id
    history = queries.events(item.id)
    return render_template(
        "roleplay/submission.html",
        submission=item,
        own=own,
        feedback=_feedback(item),
        can_grade=queries.can_grade(current_user, item),
        can_play=queries.can_play_audio(current_user, item),
        events=[] if own else history,
        rounds=revisions.rounds(history),
        diff=_response_diff(item, history),
        shown_marks=[] if own or services.blind(item) else [m for m in queries.marks(item.id) if m.role],
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
    double = [s for s in page.items if s.double_mark]
    marks = queries.marks_by_submission([s.id for s in double])
    stages = {s.id: services.marking_stage(s, marks[s.id]) for s in double}
    return render_template(
        "roleplay/queue.html",
        page=page,
        status=status,
        filters=filters,
        courses=queries.courses_by_id({s.card.course_id for s in page.items}),
        cohorts=queries.taught_cohorts(current_user.id),
        cards=cards,
        filter_courses=list({course.id: course for _card, course in cards}.values()),
        stages=stages,
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
    definition, maximum = services.version_of(item).definition, services.version_of(item).max_points
    uses = assistant.uses(definition)
    rules = tuple(use.rule for use in uses)
    detections = assistant.detect(item.response_text, rules)
    saved_levels, saved_comments = item.chosen() if conflict else ({}, {})
    marks = queries.marks(item.id) if item.double_mark else []
    stage = services.marking_stage(item, marks) if item.double_mark else None
    history = queries.events(item.id)
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
        findings=[(use, hits) for use, (_rule, hits) in zip(uses, assistant.by_rule(detections, rules), strict=True)],
        module_titles=queries.module_titles({(use.course, use.module) for use in uses}),
        criterion_titles={c["key"]: c["title"] for c in scoring.criteria(definition)},
        segments=assistant.segments(item.response_text, detections),
        events=history,
        rounds=revisions.rounds(history),
        diff=_response_diff(item, history),
        error=error,
        conflict=conflict,
        saved_levels=saved_levels,
        saved_comments=saved_comments,
        stage=stage,
        shown_marks=_visible_marks(item, marks),
        session_id=id_arg("session") if item.live else None,
        partner_link=_partner_link(item),
    ), status


def _partner_link(item: Submission) -> dict[str, Any] | None:
    """The signed link (and its QR code) that opens the partner brief on the credited partner's device."""
    if not item.live or item.partner_id is None or not item.waiting:
        return None
    token = partner_links.make_token(current_app.config["SECRET_KEY"], item.id, item.partner_id)
    url = url_for("roleplay.partner_brief", token=token, _external=True)
    return {"url": url, "qr": partner_links.qr_svg(url, _("搭档视图二维码"))}


def _response_diff(item: Submission, history: list) -> list[revisions.Piece] | None:
    """The diff of the response since it was last returned, once it came back (None: nothing to compare)."""
    if item.status == SubmissionStatus.RETURNED:
        return None
    earlier = revisions.earlier_response(history, item.response_text)
    return revisions.diff(earlier, item.response_text) if earlier is not None else None


def _visible_marks(item: Submission, marks: list) -> list:
    """The saved blind marks the viewer may see: all once settled; both for the moderator; none while blind."""
    saved = [m for m in marks if m.role]
    if not item.double_mark or not saved:
        return []
    if not services.blind(item):
        return saved
    stage = services.marking_stage(item, marks)
    if stage == MarkingStage.MODERATION and "grade" in services.allowed_actions(item, current_user):
        return saved
    return []


def _own_mark(item: Submission) -> tuple[dict[str, int], dict[str, str], str]:
    """The viewer's own blind mark of a double-marked submission (empty when they have none)."""
    mark = next((m for m in queries.marks(item.id) if m.grader_id == current_user.id), None)
    if mark is None:
        return {}, {}, ""
    return dict(mark.levels), dict(mark.comments), mark.overall


@bp.get("/grading/<int:submission_id>")
@role_required("instructor")
def grade(submission_id: int):
    """The grading page: card, response, audio, rubric levels, comments, assistant, history."""
    item = _gradable_or_404(submission_id)
    if services.blind(item):
        levels, comments, overall = _own_mark(item)
    else:
        (levels, comments), overall = item.chosen(), item.overall_comment
    form = GradeForm(version=item.version_id, overall=overall)
    return _render_grading(item, form, levels, comments)


def _refusal_status(error: services.RoleplayError) -> int:
    """403 when a double-marking rule refuses this grader; 400 for any other refused save (as before)."""
    return 403 if isinstance(error, services.MarkingError) else 400


def _posted_grading(item: Submission) -> tuple[dict[str, Any], dict[str, Any]]:
    definition = services.version_of(item).definition
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
    levels, _bad = scoring.parse_levels(services.version_of(item).definition, raw_levels)
    if not form.validate_on_submit():
        return _render_grading(item, form, levels, comments, 400, error=_("表单无效，请刷新页面后重试。"))
    try:
        _apply_grading(item, form, action)
    except services.ConflictError as conflict:
        form.version.data = str(conflict.submission.version_id)
        return _render_grading(conflict.submission, form, levels, comments, 409, conflict=conflict)
    except services.RoleplayError as error:
        return _render_grading(item, form, levels, comments, _refusal_status(error), error=str(error))
    if action == "save":
        flash(_("批改草稿已保存。"), "success")
        return redirect(url_for("roleplay.grade", submission_id=item.id))
    session_id = id_arg("session")
    back = url_for("roleplay.live_session", card=item.card_id, cohort=session_id) if item.live and session_id else None
    if item.double_mark and item.status != SubmissionStatus.GRADED and action == "grade":
        if services.marking_stage(item, queries.marks(item.id)) == MarkingStage.MODERATION:
            flash(_("你的盲评已保存。两次评分差距较大，已通知其他讲师裁定。"), "success")
        else:
            flash(_("你的盲评已保存。另一位讲师完成评分后才会得出最终成绩。"), "success")
        return redirect(back or url_for("roleplay.queue"))
    if back and action == "grade":
        message = _(
            "已评分：%(name)s，%(total)d / %(max)d 分。", name=item.trainee.name, total=item.total, max=item.max_points
        )
        flash(message, "success")
        return redirect(back)
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
        return jsonify(errors=[str(error)]), _refusal_status(error)
    definition = services.version_of(saved).definition
    levels = _own_mark(saved)[0] if services.blind(saved) else saved.chosen()[0]
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
            item = services.start_live(current_user, card, trainee, form.partner.data, observer=form.observer.data)
        except services.RoleplayError as error:
            form.partner.errors = [str(error)]
        else:
            return redirect(url_for("roleplay.grade", submission_id=item.id))
    pending = sum(1 for _anchor, mine in queries.anchors(current_user.id) if mine is None)
    return render_template("roleplay/live.html", form=form, trainees=trainees, pending_calibration=pending), (
        400 if form.errors else 200
    )


def _agreement_report() -> tuple[list[Any], agreement.Report | None]:
    """The rubrics with double-marked work and the report of the chosen one (``?rubric=``; default: the first)."""
    rubrics = agreement.rubrics_with_pairs()
    chosen_id = id_arg("rubric")
    rubric = next((r for r in rubrics if r.id == chosen_id), rubrics[0] if rubrics else None)
    if chosen_id and (rubric is None or rubric.id != chosen_id):
        abort(404)
    if rubric is None:
        return rubrics, None
    rows = agreement.pairs(rubric.id)
    names = agreement.grader_names(rows)
    return rubrics, agreement.report(rubric, rows, names, agreement.default_floor(current_app.config))


@bp.get("/grading/agreement")
@role_required("instructor", "admin", "hr")
def agreement_report():
    """Inter-rater agreement of double-marked work per rubric: alpha, exact and adjacent agreement, severity."""
    rubrics, result = _agreement_report()
    return render_template("roleplay/agreement.html", rubrics=rubrics, report=result)


@bp.get("/grading/agreement.csv")
@role_required("instructor", "admin", "hr")
def agreement_csv():
    """The agreement report of one rubric as CSV (UTF-8 with BOM)."""
    _rubrics, result = _agreement_report()
    if result is None:
        abort(404)
    headers = {
        "section": _("部分"),
        "group": _("分组"),
        "items": _("双评份数"),
        "ratings": _("评分对数"),
        "alpha": _("Krippendorff α（序数）"),
        "exact": _("完全一致"),
        "adjacent": _("相邻一致（相差不超过一级）"),
        "warn": _("低于阈值"),
        "overall": _("全部评分标准"),
        "total": _("总分"),
        "criterion": _("评分标准"),
        "pair": _("讲师组合"),
        "month": _("月份"),
        "yes": _("是"),
        "grader": _("讲师"),
        "dev_levels": _("平均偏差（等级）"),
        "dev_points": _("平均偏差（总分）"),
    }
    response = Response(agreement.csv_bytes(result, headers), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="agreement-{result.rubric.slug}.csv"'
    return response


@bp.route("/grading/anchors/<int:submission_id>", methods=["GET", "POST"])
@role_required("admin")
def anchor(submission_id: int):
    """An admin makes a handed-in submission a calibration anchor with a reference grade."""
    item = db.session.get(Submission, submission_id)
    if item is None or item.status == SubmissionStatus.DRAFT or item.rubric_version is None:
        abort(404)
    existing = queries.anchor_of(item.id)
    definition = services.version_of(item).definition
    form = AnchorForm(note=existing.note if existing else "")
    levels = dict(existing.levels) if existing else item.chosen()[0]
    error = None
    if form.validate_on_submit():
        raw = criterion_values(request.form, definition, "level")
        try:
            services.save_anchor(current_user, item, raw, form.note.data)
        except services.RoleplayError as refused:
            error = str(refused)
            levels = scoring.parse_levels(definition, raw)[0]
        else:
            flash(_("校准样本已保存。"), "success")
            return redirect(url_for("roleplay.calibration"))
    status = 400 if error or form.errors else 200
    return render_template(
        "roleplay/anchor.html", submission=item, definition=definition, form=form, levels=levels, error=error
    ), status


@bp.get("/grading/calibration")
@role_required("instructor", "admin")
def calibration():
    """Calibration anchors with the instructor's latest result on each."""
    return render_template(
        "roleplay/calibration.html", rows=queries.anchors(current_user.id, current_user.has_role("admin"))
    )


@bp.route("/grading/calibration/<int:anchor_id>", methods=["GET", "POST"])
@role_required("instructor")
def calibrate(anchor_id: int):
    """Grade an anchor blind, then see per criterion where one was harsher or milder than the reference."""
    item = db.session.get(Anchor, anchor_id)
    if item is None or not item.active:
        abort(404)
    definition = services.version_of(item).definition
    form = CalibrationForm()
    error = None
    if form.validate_on_submit():
        raw = criterion_values(request.form, definition, "level")
        try:
            services.save_calibration(current_user, item, raw)
        except services.RoleplayError as refused:
            error = str(refused)
        else:
            return redirect(url_for("roleplay.calibrate", anchor_id=item.id) + "#result")
    latest = queries.latest_calibration(item.id, current_user.id) if request.method == "GET" else None
    rows = scoring.calibration_rows(definition, item.levels, latest.levels) if latest else None
    return render_template(
        "roleplay/calibrate.html",
        anchor=item,
        definition=definition,
        form=form,
        rows=rows,
        latest=latest,
        reference_total=scoring.total(definition, item.levels),
        error=error,
    ), 400 if error or form.errors else 200


def _session_scope() -> tuple[RoleplayCard, Any, list[Any]] | None:
    """The card and taught cohort a live session runs on (``?card=&cohort=``), with the class list; None: not chosen."""
    card_id, cohort_id = id_arg("card"), id_arg("cohort")
    if not card_id or not cohort_id:
        return None
    card = next((c for c, _course in queries.card_choices() if c.id == card_id), None)
    cohort = next((c for c in queries.taught_cohorts(current_user.id) if c.id == cohort_id), None)
    if card is None or cohort is None:
        abort(404)
    trainees = [t for t in queries.cohort_trainees(cohort.id) if t.id != current_user.id]
    return card, cohort, trainees


@bp.route("/grading/live/session", methods=["GET", "POST"])
@role_required("instructor")
def live_session():
    """Live class mode on a tablet: one card and one class list, then score pair after pair."""
    scope = _session_scope()
    if scope is None:
        return render_template(
            "roleplay/live_session.html",
            cards=queries.card_choices(),
            cohorts=queries.taught_cohorts(current_user.id),
            scope=None,
            pending_calibration=sum(1 for _anchor, mine in queries.anchors(current_user.id) if mine is None),
        )
    card, cohort, trainees = scope
    form = LiveSessionForm()
    form.trainee_id.choices = [(0, _("请选择"))] + [(t.id, t.name) for t in trainees]
    form.partner_id.choices = [(0, _("外部搭档（填写姓名）"))] + [(t.id, t.name) for t in trainees]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            trainee = next((t for t in trainees if t.id == form.trainee_id.data), None)
            partner = next((t for t in trainees if t.id == form.partner_id.data), None)
            if trainee is None:
                abort(400)
            try:
                item = services.start_live(
                    current_user, card, trainee, form.partner.data, observer=form.observer.data, partner=partner
                )
            except services.RoleplayError as error:
                form.partner.errors = [str(error)]
            else:
                return redirect(url_for("roleplay.grade", submission_id=item.id, session=cohort.id))
        status = 400
    scored = queries.live_scored(card.id, [t.id for t in trainees])
    return render_template(
        "roleplay/live_session.html",
        scope=scope,
        card=card,
        cohort=cohort,
        trainees=trainees,
        scored=scored,
        form=form,
    ), status


@bp.get("/roleplays/partner/<token>")
@login_required
def partner_brief(token: str):
    """The customer's brief of one live performance, for its credited partner (or a grading instructor) only."""
    found = partner_links.read_token(current_app.config["SECRET_KEY"], token)
    item = db.session.get(Submission, found[0]) if found else None
    if item is None or found is None or item.partner_id != found[1]:
        abort(404)
    if current_user.id != item.partner_id and not queries.can_grade(current_user, item):
        abort(403)
    return render_template("roleplay/partner.html", card=item.card, submission=item)
