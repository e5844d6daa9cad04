"""What the account page shows of a reader's webhooks (its "Webhooks" section): kept apart from
the routes (pages/webhooks.py) so the account page can show it without importing them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from metalwire.accounts.models import User
from metalwire.delivery.webhooks import EVENT_NAMES, endpoints_of


def webhooks_context(session: Session, user: User) -> dict[str, object]:
    return {
        "webhooks": endpoints_of(session, user),
        "event_names": EVENT_NAMES,
        "new_webhook": None,  # {"id", "secret"}: right after adding, the only time it is shown
        "webhook_error": None,  # {"field", "text"}
        "webhook_values": {"url": "", "events": [], "series": ""},
    }
