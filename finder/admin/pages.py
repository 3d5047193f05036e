"""What every moderator's page shares: the layout's template values and the private response headers."""
from __future__ import annotations

from typing import Any

from finder.admin import auth
from finder.submissions.workflow import KIND_LABELS
from finder.web import i18n


def admin_globals() -> dict[str, Any]:
    """The admin layout's values (navigation for the logged-in account, role and kind names): a context processor
    for the blueprints whose pages extend admin/base.html."""
    return {"user": auth.current_user(), "auth": auth, "role_names": auth.ROLE_NAMES, "kind_labels": KIND_LABELS,
            "interface_languages": i18n.LANGUAGES}


def private(response: Any) -> Any:
    """Moderators' pages are never cached, indexed or framed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["X-Frame-Options"] = "DENY"
    return response
