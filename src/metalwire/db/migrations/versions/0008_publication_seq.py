"""pricing: a per-series publication sequence and a release index, for cheap publication stamps

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("price_series", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("publication_seq", sa.Integer(), server_default="0", nullable=False)
        )
    # Every approval so far counts once, so stamps computed before and after differ.
    op.execute(
        "UPDATE price_series SET publication_seq = (SELECT count(*) FROM assessment "
        "WHERE assessment.series_id = price_series.id AND assessment.status = 'approved')"
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessment_series_release", ["series_id", "release_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_series_release")
    with op.batch_alter_table("price_series", schema=None) as batch_op:
        batch_op.drop_column("publication_seq")
