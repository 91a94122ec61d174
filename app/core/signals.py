"""Every signal a room sends, with its sender and payload, in one place (as indico does).

Rooms send these objects and listeners connect to them; nobody matches a signal by its name. Payloads
are keyword arguments of plain ids and values (never a session-bound object a listener might change),
except the sender, which is the object the event is about. Each signal is sent after the write it
reports has been committed, so a listener sees the stored state.

| signal              | sent by     | sender                 | keyword arguments                                       |
|---------------------|-------------|------------------------|---------------------------------------------------------|
| module_completed    | learning    | the Module             | user_id, course_id                                      |
| assignment_changed  | learning    | the Assignment         | (none)                                                  |
| attempt_scored      | assessments | the Attempt            | user_id, quiz_id, course_id, passed, percent, regraded  |
| submission_graded   | roleplay    | the Submission         | user_id, card_id, course_id, passed                     |
| content_loaded      | content     | the SyncReport         | (none; ``report.changed`` says whether anything changed)|
| sessions_ended      | accounts    | the User               | (none; password changed, deactivated or roles changed)  |
| certificate_expired | completion  | the Certificate        | user_id, course_id, expired_on (the expiry date)        |
| invitations_issued  | accounts    | the inviting User/None | invitations (list of user_id, name, email, url, expires_at) |
| job_finished        | core (jobs) | the Job's id           | kind, state, started_by_id (None: a scheduled job)      |

Listeners: completion (module_completed, attempt_scored, submission_graded, content_loaded), the API
(sessions_ended revokes tokens), notifications (invitations_issued: e-mail the links when SMTP is set;
a receiver returns the ids of the people it e-mailed). The enrolment rows are kept by learning's flush listener, not by a
signal.
"""

from __future__ import annotations

from blinker import signal

module_completed = signal("module-completed", doc="A trainee marked a module read (learning).")
assignment_changed = signal("assignment-changed", doc="A course assignment was made, changed or removed (learning).")
attempt_scored = signal(
    "attempt-scored", doc="A quiz attempt was scored and stored, or regraded (``regraded=True``) (assessments)."
)
submission_graded = signal("submission-graded", doc="A role-play submission got a final grade (roleplay).")
content_loaded = signal("content-loaded", doc="Courses and quizzes were loaded from the files (content).")
sessions_ended = signal("sessions-ended", doc="A user's sessions ended everywhere (accounts).")
certificate_expired = signal(
    "certificate-expired", doc="A renewable course's certificate expired; a new cycle began (completion)."
)
invitations_issued = signal(
    "invitations-issued", doc="Invitation links were made; receivers return the ids of the people they e-mailed."
)
job_finished = signal(
    "job-finished", doc="A background job ended, done or failed (core.jobs); app.jobs notifies its starter."
)

ALL = (
    module_completed,
    assignment_changed,
    attempt_scored,
    submission_graded,
    content_loaded,
    sessions_ended,
    invitations_issued,
    job_finished,
)
