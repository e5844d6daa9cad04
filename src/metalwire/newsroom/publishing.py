"""Publishing: an editor releases an article to readers now, or schedules it for later."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from metalwire.accounts.gate import is_readable
from metalwire.accounts.models import Scope, User
from metalwire.audit import record
from metalwire.db.base import utcnow
from metalwire.newsroom.editing import require_role
from metalwire.newsroom.models import (
    Article,
    ArticleStatus,
)
from metalwire.newsroom.service import NewsroomError
from metalwire.outbox.events import announce
from metalwire.outbox.models import EventKind


def publish(
    session: Session,
    article: Article,
    *,
    user: User,
    publish_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
    allow_past: bool = False,
) -> Article:
    """An editor publishes the article now, or schedules it for ``publish_at``.

    Never before the data it quotes is released; not in the past unless ``allow_past`` (the
    demo dates its back catalogue to the data). Publishing a visible article again changes
    nothing.
    """
    require_role(user, Scope.PUBLISH, "publish articles")
    now = now or utcnow()
    if publish_at is not None and publish_at.utcoffset() is None:
        raise NewsroomError("give a timezone offset, e.g. 2026-11-26T03:30:00Z", field="publish_at")
    if is_readable(article, now):
        return article
    when = publish_at or now
    if when < now and not allow_past:
        raise NewsroomError(
            f"{when.isoformat()} is in the past; leave it out to publish now", field="publish_at"
        )
    if article.data_released_at is not None and when < article.data_released_at:
        raise NewsroomError(
            f"{when.isoformat()} is before the data it quotes is released "
            f"({article.data_released_at.isoformat()})",
            field="publish_at",
        )
    before = {"status": article.status.value, "publish_at": article.publish_at}
    article.status = ArticleStatus.PUBLISHED if when <= now else ArticleStatus.SCHEDULED
    article.publish_at = when
    article.published_by = user.email
    article.updated_at = now
    session.flush()
    record(
        session,
        at=now,
        actor=user.email,
        action="publish" if when <= now else "schedule",
        object_type="article",
        object_id=article.slug,
        before=before,
        after={"status": article.status.value, "publish_at": when},
    )
    announce(
        session,
        EventKind.REPORT_PUBLISHED,
        subject=article.slug,
        code=article.group_code or "",
        due_at=when,
        refs={"article_id": article.id},
    )
    return article
