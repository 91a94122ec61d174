"""Import every room's models so metadata (migrations, create_all) sees all tables."""

from app.accounts import models as accounts_models  # noqa: F401  (registers tables)
from app.api import models as api_models  # noqa: F401
from app.assessments import models as assessments_models  # noqa: F401
from app.completion import models as completion_models  # noqa: F401
from app.core import audit as core_audit  # noqa: F401
from app.core import idempotency as core_idempotency  # noqa: F401
from app.core import jobs as core_jobs  # noqa: F401
from app.learning import models as learning_models  # noqa: F401
from app.notifications import models as notifications_models  # noqa: F401
from app.roleplay import models as roleplay_models  # noqa: F401
