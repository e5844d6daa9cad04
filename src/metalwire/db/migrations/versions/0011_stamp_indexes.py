"""indexes for the reads every request makes at a release instant

The content stamp of shared answers reads the newest audited definition per object type: with
an index on (object_type, id) each is one index lookup instead of a walk over every event of
that type. Sign-in throttling counts failures per client address.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 03:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_event_type_id", "audit_event", ["object_type", "id"])
    op.create_index("ix_login_attempt_address_at", "login_attempt", ["address", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempt_address_at", table_name="login_attempt")
    op.drop_index("ix_audit_event_type_id", table_name="audit_event")
