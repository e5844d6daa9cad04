"""pricing: a late original is released when it was approved, not back-dated to its schedule

Until now an original approved after its scheduled time was recorded as released at that time,
so ``as_of`` between the schedule and the approval showed a price nobody could yet see. Its
release instant becomes its approval instant, and the series' publication sequence moves, so
that every answer cached with the old instants is made again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LATE = (
    "assessment.version = 1 AND assessment.status = 'approved' "
    "AND assessment.approved_at > assessment.release_at"
)


def upgrade() -> None:
    op.execute(
        "UPDATE price_series SET publication_seq = publication_seq + 1 WHERE id IN "
        f"(SELECT series_id FROM assessment WHERE {LATE})"
    )
    op.execute(f"UPDATE assessment SET release_at = approved_at WHERE {LATE}")


def downgrade() -> None:
    # The scheduled instants are not kept: a downgrade leaves the true release instants.
    pass
