"""Sections that rooms above accounts add to an admin's cohort page, so accounts imports none of them.

The cohort page (``admin.cohort_detail``) belongs to accounts and shows the members; a room that
keeps something per cohort registers a panel at import time — learning adds the cohort's courses
(``app/learning/routes.py``). A panel takes the cohort and returns its HTML; the page shows the
panels beside the members, in registration order.
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup

from app.accounts.models import Cohort

CohortPanel = Callable[[Cohort], Markup]

COHORT_PANELS: list[CohortPanel] = []


def register_cohort_panel(panel: CohortPanel) -> CohortPanel:
    """Add a section to the cohort page (idempotent; usable as a decorator)."""
    if panel not in COHORT_PANELS:
        COHORT_PANELS.append(panel)
    return panel


def cohort_panels(cohort: Cohort) -> list[Markup]:
    """The HTML of every registered section for this cohort."""
    return [panel(cohort) for panel in COHORT_PANELS]
